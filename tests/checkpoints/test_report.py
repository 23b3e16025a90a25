"""The checkpoint report writes every artifact from the per-checkpoint records, without torch."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reprise.checkpoints.records import CheckpointStudy
from reprise.checkpoints.report import write_report
from builders import fake_seeds


def fake_study(epoch: int, fe: float, ft: float, seed_count: int = 2) -> CheckpointStudy:
    seeds = fake_seeds({epoch: fe}, {epoch: ft}, seeds=range(seed_count))
    spectral = pd.DataFrame([{"epoch": epoch, "seed": s, "model": m, "part": p, "acc": 0.5, "k_mean": 3.0, "feature_dim": 4}
                             for s in range(seed_count) for m in ("pretrained", "finetuned") for p in ("F_m", "F_r")])
    rng = np.random.default_rng(epoch)
    points = pd.DataFrame({"test_row": np.arange(12), "label": np.arange(12) % 3})
    return CheckpointStudy(seeds, spectral, pd.DataFrame(), points, rng.normal(size=(12, 4)).astype(np.float32), rng.normal(size=(12, 4)).astype(np.float32))


@pytest.mark.parametrize("studies", [{0: (90, 95)}, {1: (90, 95), 4: (93, 96), 8: (92, 97)}], ids=["one checkpoint", "three"])
def test_report_writes_every_artifact(tmp_path, studies):
    statement = write_report({e: fake_study(e, *acc) for e, acc in studies.items()}, "mnist", 5, 5.0, tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())  # strict JSON: NaN written as null
    assert metrics["finding"]["holds"] is (len(studies) == 3) and "finding" in statement
    epochs = sorted(studies)
    assert metrics["setup"]["epochs"] == epochs and metrics["setup"]["seeds"] == [0, 1]
    for epoch, (fe, ft) in studies.items():  # seeds 0 and 1 of fake_seeds sit 0.05 and 0 below
        assert metrics["trajectory"][f"epoch_{epoch}"]["fe"] == pytest.approx(fe - 0.025) and metrics["trajectory"][f"epoch_{epoch}"]["ft"] == pytest.approx(ft - 0.025)
    trajectory = pd.read_csv(tmp_path / "trajectory.csv")
    assert sorted(trajectory.loc[trajectory["series"] == "FE", "epoch"]) == epochs
    assert len(pd.read_csv(tmp_path / "spectral.csv")) == 4 * len(epochs) and len(pd.read_csv(tmp_path / "scores.csv")) == 3 * len(epochs)
    summary = (tmp_path / "summary.md").read_text()
    assert statement in summary and all(f"| {epoch} | " in summary for epoch in epochs)
    for name in ("trajectory.png", "spectral.png", "scores.png", "tsne.png"):
        assert Image.open(tmp_path / name).format == "PNG"


def test_the_report_reads_records_without_the_training_stack():
    """The checkpoint_report and zoo_report stages only read artifacts: importing them loads no torch."""
    import subprocess
    import sys

    code = "import sys, stages.checkpoint_report, stages.zoo_report; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
