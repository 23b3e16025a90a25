"""The testbed suite (suite/dvc.yaml) end to end on the tiny world: every experiment's per-seed rows,
the paired report and its figures, outside the default `dvc repro`."""

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from pipeline_utils import REPO, TINY, dvc, env, git, make_repo, stages_run

pytestmark = pytest.mark.xdist_group("suite")  # its own repository, beside the default pipeline's tests

TINY_SUITE = {"testbed": {
    "targets": {"mnist": {"labels_per_class": 4, "test_per_class": 5, "elastic_alpha": 0},
                "latin_upper": {"labels_per_class": 2, "test_per_class": 2, "elastic_alpha": 16}},
    "elastic_sigma": 3.0, "pretrain_seeds": [0, 1], "seeds": 2, "sweep_seeds": 2, "workers": 2, "methods": ["none", "random", "uot", "label"],
    "tuning": {"lrs": [0.05, 0.01], "lambdas": [1.0], "val_fraction": 0.5, "seeds": 1, "shared": True},
    "k_multiples": [1, 2], "fractions": [0.5, 1.0], "long_tail": {"largest": 4, "ratio": 4}, "deciles": 2, "clusters": [6],
    "contrastive": {"epochs": 1, "clusters": 6},
}, "far_source": {
    "sources": {"greek": {"concepts": ["greek_lower"], "label_noise": 0.0}, "greek_noisy": {"concepts": ["greek_lower"], "label_noise": 0.5}},
    "images_per_class": 4, "epochs": 3, "checkpoints": [1, 3], "pretrain_seeds": [0, 1], "finetune_epochs": 1,
}, "near_source": {"epochs": [1, 2], "seeds": [0, 1], "finetune_epochs": 1},
   "zoo_paper": {"pretrain_seeds": [0, 1], "images_per_class": 6, "pretrain_epochs": 1, "multidomain_epochs": 1, "shots": {"2-shot": 2, "3-shot": 3},
                 "full_per_class": 5, "lrs": [0.01, 0.001], "epochs": 2}}


@pytest.fixture(scope="module")
def suite_repo(tmp_path_factory):
    """The tiny pipeline with what the suite reads from it (the world and the pre-training run),
    and the suite with TINY_SUITE's params."""
    root = make_repo(tmp_path_factory.mktemp("suite") / "repo", TINY)
    shutil.copytree(REPO / "suite", root / "suite", ignore=shutil.ignore_patterns("dvc.lock"))  # make_repo leaves the suite out
    (root / "suite" / "params.yaml").write_text(yaml.safe_dump(TINY_SUITE, sort_keys=False))
    assert "testbed" not in dvc(root, "stage", "list").stdout  # `dvc repro` (dvc.yaml) leaves the suite alone
    dvc(root, "repro", "pretrain")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "world and pre-training")
    return root


def test_the_suite_runs_every_experiment_paired_by_seed_and_reports_intervals(suite_repo):
    root = suite_repo
    shutil.copytree(REPO / "tools", root / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "tools/suite.py"], cwd=root, env=env(), capture_output=True, text=True)  # make suite
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    progress = re.findall(r"^suite: (\d+)(?: of \d+\+?)? rows done, (\d+) stages? to run", done.stdout, flags=re.M)
    assert progress[0][0] == "0" and progress[-1][1] == "0" and len(progress) == int(progress[0][1]) + 1  # a line before each stage and at the end
    timings = pd.read_csv(root / "results" / "suite_timings.csv")
    assert len(timings) == int(progress[0][1]) and (timings["seconds"] > 0).all()
    assert timings.set_index("stage").loc["testbed@table1", "rows"] == 2 * 2 * 4 * 2
    assert "rows done, 0 stages to run" in subprocess.run([sys.executable, "tools/suite.py", "--dry"], cwd=root, env=env(),
                                                          capture_output=True, text=True, check=True).stdout
    assert {"suite/dvc.yaml:testbed_backbone@0", "suite/dvc.yaml:testbed_backbone@1", "suite/dvc.yaml:testbed_tuning", "suite/dvc.yaml:testbed@deciles", "suite/dvc.yaml:testbed_clusters", "suite/dvc.yaml:testbed_table1b",
            "suite/dvc.yaml:testbed_report", "suite/dvc.yaml:findings"} <= set(stages_run(done.stdout))
    results = root / "results" / "testbed"
    table1 = pd.read_csv(results / "table1.csv")
    assert list(table1.columns[:7]) == ["experiment", "target", "setting", "method", "pretrain_seed", "seed", "top1"]
    assert len(table1) == 2 * 2 * 4 * 2 and table1["top1"].between(0, 100).all()
    label = table1[table1["method"] == "label"]
    assert set(label["units"]) == {10, 26} and (label["recall"] == 1).all()  # the concept's classes of the tiny pool
    tuned = pd.read_csv(results / "tuned.csv")
    uot = table1[(table1["method"] == "uot") & (table1["target"] == "mnist")]
    assert set(uot["lr"]) == set(tuned[(tuned["method"] == "uot") & (tuned["target"] == "mnist")]["lr"])
    deciles = pd.read_csv(results / "deciles.csv")
    assert set(deciles["method"]) == {"none", "decile 1", "decile 2"} and deciles.loc[deciles["method"] != "none", "units"].sum() == 2 * 2 * 2 * 60
    long_tail = pd.read_csv(results / "long_tail.csv")
    sizes = long_tail.groupby(["target", "setting"])["train_images"].first()
    assert sizes["mnist", "long tail"] == sizes["mnist", "balanced"]  # the same number of images, balanced or not
    paired = pd.read_csv(results / "paired.csv")
    row = paired[(paired["experiment"] == "table1") & (paired["method"] == "label") & (paired["against"] == "random")]
    assert len(row) == 2 and set(row["seeds"]) == {4} and set(row["pretrain_runs"]) == {2}  # intervals over the two pre-training runs
    assert (results / "sweeps.png").stat().st_size > 0 and (results / "tables.png").stat().st_size > 0
    findings = pd.read_csv(root / "results" / "findings.csv")  # every study's: the testbed's, the paper-regime zoo's, the checkpoint studies'
    assert list(findings.columns) == ["study", "claim", "comparison", "target", "setting", "runs", "pretrain_runs", "mean", "lo", "hi", "verdict"]
    assert {"reuse", "zoo", "checkpoints"} <= set(findings["study"]) and (findings["lo"] <= findings["mean"]).all() and (findings["mean"] <= findings["hi"]).all()
    uot_random = findings[(findings["comparison"] == "UOT − random") & (findings["setting"].str.startswith("Table 1,"))]
    assert set(uot_random["target"]) == {"mnist", "latin_upper"} and set(uot_random["runs"]) == {4} and set(uot_random["pretrain_runs"]) == {2}
    assert "UOT − random" in (root / "results" / "findings.md").read_text()
    near = pd.read_csv(root / "results" / "near_source" / "seeds.csv")  # the checkpoint study of the default run's pre-training, the suite's seeds
    assert len(near) == 2 * 2 and set(near["epoch"]) == {1, 2} and set(near["seed"]) == {0, 1}
    far = pd.read_csv(root / "results" / "far_source" / "seeds.csv")
    assert len(far) == 2 * 2 * 2 and set(far["epoch"]) == {1, 3} and set(far["seed"]) == {0, 1}  # sources, runs, checkpoints; a seed a run
    assert far[["source_train_top1", "source_val_top1", "fe_top1", "ft_top1", "fm_top1", "fr_top1"]].stack().between(0, 100).all()
    far_found = findings[findings["setting"].str.startswith("source greek")]  # the far-source claims, over the two pre-training runs
    assert len(far_found) == 2 * 4 and set(far_found["pretrain_runs"]) == {2} and (far_found["study"] == "checkpoints").all()
    assert (findings["study"] == "checkpoints").sum() > len(far_found)  # and the near-source study's
    zoo = pd.read_csv(root / "results" / "zoo_paper" / "accuracy.csv")  # the tiny zoo's 4 members, 2 targets, 3 regimes, 2 rates, 2 runs
    assert list(zoo.columns[:8]) == ["member", "target", "regime", "epochs", "pretrain_seed", "seed", "lr", "val_top1"]
    assert len(zoo) == 4 * 2 * 3 * 2 * 2 and set(zoo["regime"]) == {"full", "2-shot", "3-shot"} and set(zoo["epochs"]) == {2}
    assert zoo.groupby("pretrain_seed")["seed"].unique().map(list).to_dict() == {0: [0], 1: [1]}  # a fine-tuning seed a run
    zoo_found = findings[findings["study"] == "zoo"]
    assert len(zoo_found) and set(zoo_found["pretrain_runs"]) == {2} and zoo_found["claim"].str.contains("Fig. 6b").any()
    pretrained = [pd.read_csv(root / "data" / "zoo_paper" / "runs" / str(seed) / "models" / "greek" / "log.csv") for seed in (0, 1)]
    assert not pretrained[0]["train_loss"].equals(pretrained[1]["train_loss"])  # two pre-training runs, not one run twice
    assert json.loads(dvc(root, "status", "suite/dvc.yaml", "--json").stdout) == {}
    assert not (root / "data" / "testbed" / "partial" / "table1.csv").exists()  # the partial rows go once the stage is done
