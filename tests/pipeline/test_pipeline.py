"""The DVC pipeline end to end on a tiny glyph world (about a minute on two cores)."""

import json
import shutil

import pandas as pd
import pytest
from PIL import Image

from pipeline_utils import dvc, stages_run

# `make test` runs tests in two processes; those of one group share one, so the repository
# fixture they read is built once.
pytestmark = pytest.mark.xdist_group("tiny_repo")


@pytest.fixture(scope="module")
def repo(tiny_repo, tmp_path_factory):
    """A copy of the tiny repository that these tests may change."""
    root = tmp_path_factory.mktemp("knobs") / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    return root


def test_repro_writes_documented_artifacts(repo):
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert set(metrics["top1"]) == {"baseline", "reuse"}
    assert all(0 <= v <= 100 for v in metrics["top1"].values())
    selection = metrics["selection"]
    assert selection["units_selected"] == 5 and selection["images_selected"] == 5 * 6
    assert 0 <= selection["recall"] <= 1
    assert metrics["solver"]["converged"]
    scores = pd.read_parquet(repo / "data/selection/scores.parquet")
    assert list(scores.columns[:3]) == ["unit", "score", "rank"]
    manifest = pd.read_parquet(repo / "data/selection/manifest.parquet")
    assert manifest["unit"].isin(scores.nsmallest(5, "rank")["unit"]).all()
    checkpoints = sorted(p.name for p in (repo / "data/pretrain").glob("epoch_*.pt"))
    assert checkpoints == ["epoch_001.pt", "epoch_002.pt"]
    curves = pd.read_csv(repo / "results/curves.csv")
    assert sorted(curves.groupby("run")["epoch"].max().items()) == [("baseline", 2), ("reuse", 2)]  # finetune.epochs
    assert (curves.loc[curves["run"] == "baseline", "source_loss"] == 0).all() and (curves.loc[curves["run"] == "reuse", "source_loss"] > 0).all()
    p1 = pd.read_csv(repo / "results/p1_rank.csv")
    assert p1["rank"].tolist() == list(range(1, len(scores) + 1)) and p1["score"].is_monotonic_decreasing
    assert {"concept", "count"} <= set(p1.columns)
    assert Image.open(repo / "results/curves.png").size == (1080, 420)
    assert Image.open(repo / "results/p1_rank.png").size == (840, 480)


def test_second_repro_does_nothing(repo):
    again = dvc(repo, "repro")
    assert stages_run(again.stdout) == []


def test_uot_knob_reruns_only_downstream_stages(repo):
    before = json.loads((repo / "results/metrics.json").read_text())
    run = dvc(repo, "exp", "run", "-S", "uot.tau1=0.5")
    assert set(stages_run(run.stdout)) == {"params", "score", "select", "finetune_reuse", "evaluate"}  # params: the whole file checked
    diff = dvc(repo, "metrics", "diff", "--json")
    changes = json.loads(diff.stdout)["results/metrics.json"]
    assert changes, "dvc metrics diff shows no change"
    after = json.loads((repo / "results/metrics.json").read_text())
    assert after["top1"]["baseline"] == before["top1"]["baseline"]  # the baseline was not rerun


def test_every_image_its_own_unit_streamed(repo):
    run = dvc(repo, "exp", "run", "-S", "select.unit=image", "-S", "select.k=30", "-S", "uot.block_rows=64", "-S", "uot.memory_budget=0")
    # cluster reads select.unit (a pool smaller than cluster.k is clustered whole unless clusters are selected)
    assert set(stages_run(run.stdout)) == {"params", "cluster", "score", "select", "finetune_reuse", "evaluate"}
    manifest = pd.read_parquet(repo / "data/selection/manifest.parquet")
    assert len(manifest) == 30 and manifest["unit"].is_unique and (manifest["row"] == manifest["unit"]).all()
    pool = pd.read_parquet(repo / "data/world/pool.parquet")
    # The source head learns the selected images' own classes, renumbered from 0.
    classes = pool.loc[manifest["row"], "label"].to_numpy()
    assert manifest["source_label"].max() + 1 == len(set(classes))
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert metrics["selection"]["unit"] == "image" and metrics["selection"]["images_selected"] == 30
    assert json.loads((repo / "data/selection/solver.json").read_text())["kernel"] == "streamed"


def test_zoo_member_change_reruns_only_that_member(repo):
    run = dvc(repo, "exp", "run", "-S", "zoo.members.greek.concepts=[greek_lower,digit]")
    assert set(stages_run(run.stdout)) == {"params", "zoo_pretrain@greek", "zoo_scores@greek", "zoo_finetune@greek", "zoo_report"}
    selection = pd.read_csv(repo / "results/zoo/selection.csv")
    assert {"lfc", "lgc", "leep", "nce", "logme", "domain_similarity", "rsa", "feature_metrics", "random", "oracle"} <= set(selection["score"])
    assert set(selection["regime"]) == {"full", "few"}
    accuracy = pd.read_csv(repo / "results/zoo/accuracy.csv")
    assert len(accuracy) == 4 * 2 * 2 * 2 and accuracy["chosen"].sum() == 4 * 2 * 2  # members x targets x regimes x rates, one seed


def test_cotuning_reuses_the_source_classifier_and_no_source_image(repo):
    run = dvc(repo, "exp", "run", "-S", "select.method=cotuning")
    assert set(stages_run(run.stdout)) == {"params", "score", "select", "finetune_reuse", "evaluate"}  # params: the whole file checked
    assert "Co-Tuning: 10 target classes over" in run.stdout
    assert len(pd.read_parquet(repo / "data/selection/manifest.parquet")) == 0
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert metrics["selection"]["units_selected"] == 0 and 0 <= metrics["top1"]["reuse"] <= 100
    log = pd.read_csv(repo / "data/finetune/reuse/log.csv")
    assert (log["source_loss"] > 0).all()  # the relationship term was trained
