"""The checkpoint study under DVC on a tiny world: which checkpoints are studied is a param, and
changing the list reruns only the affected per-checkpoint stages and the report; an epoch that
pre-training did not keep is a one-line error."""

import json

import pandas as pd
import pytest
import yaml
from PIL import Image

from pipeline_utils import TINY, dvc, git, make_repo, merged, run_module, stages_run
from reprise.core.score_names import SCORE_LABELS

# `make test` runs tests in two processes; those of one group share one, so the repository
# fixture they read is built once.
pytestmark = pytest.mark.xdist_group("checkpoint_study")

STUDY = {"epochs": [1, 3], "labels_per_class": 5, "test_per_class": 10, "seeds": [0, 1],
         "classifier": {"fe_epochs": 5, "spectral_epochs": 3, "batch_size": 16},
         "finetune": {"epochs": 1, "batch_size": 16}, "embedding_points": 30, "tsne_perplexity": 5}
PARAMS = merged(TINY, {"pretrain": {"epochs": 3, "keep_epochs": [1, 2, 3]}, "checkpoints": STUDY})


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = make_repo(tmp_path_factory.mktemp("checkpoints") / "repo", PARAMS)
    first = dvc(root, "repro", "checkpoint_report")
    assert set(stages_run(first.stdout)) == {"world", "pretrain", "checkpoint@1", "checkpoint@3", "checkpoint_report"}
    git(root, "add", "-A")
    git(root, "commit", "-qm", "checkpoint study")
    return root


def set_epochs(root, epochs) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["checkpoints"]["epochs"] = epochs
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_report_has_the_trajectory_spectral_table_and_correlations(repo):
    metrics = json.loads((repo / "results/checkpoints/metrics.json").read_text())
    assert metrics["setup"]["seeds"] == [0, 1] and metrics["setup"]["train_images"] == 50
    assert set(metrics["trajectory"]) == {"epoch_1", "epoch_3"}
    assert metrics["finding"]["last_epoch"] == 3 and isinstance(metrics["finding"]["holds"], bool)
    assert {"best_fe", "last"} <= set(metrics["spectral"])  # and "first" where the best FE is the last
    for task in ("FE", "FT"):
        assert {"F", "F_m", "F_r", "k_mean"} <= set(metrics["spectral"]["last"][task])
    assert set(metrics["transferability_vs_ft"]) == set(SCORE_LABELS) - {"rsa"} | {"source_val_acc"}  # RSA: no target-trained probe
    assert {"pearson", "kendall_tau"} <= set(metrics["transferability_vs_ft"]["logme"])
    seeds = pd.read_parquet(repo / "data/checkpoints/epoch_3/seeds.parquet")
    assert list(seeds["seed"]) == [0, 1] and seeds[["fe_acc", "ft_acc"]].apply(lambda c: c.between(0, 1)).all().all()
    spectral = pd.read_parquet(repo / "data/checkpoints/epoch_3/spectral.parquet")
    assert len(spectral) == 2 * 2 * 2  # seeds × (pretrained, finetuned) × (F_m, F_r)
    trajectory = pd.read_csv(repo / "results/checkpoints/trajectory.csv")
    assert set(trajectory["series"]) == {"FE", "FT", "source"} and set(trajectory["epoch"]) == {1, 3}
    spectral_series = pd.read_csv(repo / "results/checkpoints/spectral.csv")
    assert set(spectral_series["series"]) == {"F_m (FE)", "F_r (FE)", "F_m (FT)", "F_r (FT)"} and spectral_series["acc"].between(0, 100).all()
    scores = pd.read_csv(repo / "results/checkpoints/scores.csv")
    assert set(scores["series"]) == {SCORE_LABELS[s] for s in SCORE_LABELS if s != "rsa"} and len(scores) == 13 * 2
    summary = (repo / "results/checkpoints/summary.md").read_text()
    assert summary.startswith("# Checkpoint study: mnist, 5 labels a class, seeds [0, 1]")
    assert "| 1 | " in summary and "| 3 | " in summary and "Kendall τ" in summary
    sizes = {"trajectory.png": (1440, 432), "spectral.png": (1800, 468), "scores.png": (1632, 1536)}  # scores: 14 panels, 4 a row
    for name, size in sizes.items():
        assert Image.open(repo / "results/checkpoints" / name).size == size  # figsize × dpi of its plot
    assert Image.open(repo / "results/checkpoints/tsne.png").size[0] == 960


def test_checkpoint_list_reruns_only_what_it_must(repo):
    set_epochs(repo, [1, 2, 3])  # add one
    assert set(stages_run(dvc(repo, "repro", "checkpoint_report").stdout)) == {"checkpoint@2", "checkpoint_report"}
    set_epochs(repo, [2, 3])  # remove one
    assert set(stages_run(dvc(repo, "repro", "checkpoint_report").stdout)) == {"checkpoint_report"}
    assert stages_run(dvc(repo, "repro", "checkpoint_report").stdout) == []
    metrics = json.loads((repo / "results/checkpoints/metrics.json").read_text())
    assert metrics["setup"]["epochs"] == [2, 3]


def test_an_epoch_that_pretraining_did_not_keep_is_a_one_line_error(repo):
    set_epochs(repo, [3, 5])
    done = run_module(repo, "stages.checkpoint", "5")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "epoch 5" in errors[0] and "pretrain.keep_epochs" in errors[0] and "[1, 2, 3]" in errors[0]
    assert not (repo / "data/checkpoints/epoch_5").exists()
