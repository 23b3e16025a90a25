"""EpochLog: a training run's DVCLive series at 1-based epochs, accuracies in percent, only the
metrics asked for, epochs without a value left out."""

from __future__ import annotations

import json

import pandas as pd

from reprise.core.live import EpochLog

ROWS = [{"epoch": 1, "target_loss": 2.0, "source_loss": 0.0, "test_acc": float("nan")},
        {"epoch": 2, "target_loss": 1.0, "source_loss": 0.0, "test_acc": 0.75}]


def test_rows_are_logged_at_their_epoch_with_accuracies_in_percent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # DVCLive looks for a repository from the working directory
    log = EpochLog(tmp_path / "live", ("target_loss", "test_acc"), percent=("test_acc",))
    for row in ROWS:
        log(row)
    log.close()
    series = tmp_path / "live/plots/metrics"
    assert sorted(path.name for path in series.iterdir()) == ["target_loss.tsv", "test_acc.tsv"]  # source_loss not asked for
    assert pd.read_csv(series / "target_loss.tsv", sep="\t").to_dict("list") == {"step": [1, 2], "target_loss": [2.0, 1.0]}
    assert pd.read_csv(series / "test_acc.tsv", sep="\t").to_dict("list") == {"step": [2], "test_acc": [75.0]}  # epoch 1 untested
    assert json.loads((tmp_path / "live/metrics.json").read_text()) == {"target_loss": 1.0, "test_acc": 75.0, "step": 2}
