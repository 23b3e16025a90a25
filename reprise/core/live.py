"""Training curves that DVC sees while a stage runs: each epoch's row of a training log written
through DVCLive (``<dir>/metrics.json``, the last epoch's values, a DVC metric; and
``<dir>/plots/metrics/<name>.tsv``, the series, DVC plots), so that ``dvc plots show`` and
``dvc exp show`` follow a long real-mode run as it goes."""

from __future__ import annotations

import math
from pathlib import Path


class EpochLog:
    """Logs ``metrics`` (keys of a training loop's epoch rows) to a DVCLive folder; called with
    every row, in epoch order. Values that are not finite (an epoch without a test pass) are
    left out of that epoch."""

    def __init__(self, folder: str | Path, metrics: tuple[str, ...]) -> None:
        from dvclive import Live  # here, not at the top: only stages that log a training run load it

        self.metrics = metrics
        self.live = Live(str(folder), dvcyaml=None, save_dvc_exp=False, report=None)

    def __call__(self, row: dict) -> None:
        for name in self.metrics:
            value = float(row[name])
            if math.isfinite(value):
                self.live.log_metric(name, value)
        self.live.next_step()

    def close(self) -> None:
        self.live.end()
