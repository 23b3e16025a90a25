"""Training curves that DVC sees while a stage runs: each epoch's row of a training log written
through DVCLive (``<dir>/metrics.json``, the last epoch's values, a DVC metric; and
``<dir>/plots/metrics/<name>.tsv``, the series, DVC plots), so that ``dvc plots show`` and
``dvc exp show`` follow a long real-mode run as it goes."""

from __future__ import annotations

import math
from pathlib import Path


class EpochLog:
    """Logs ``metrics`` (keys of a training loop's epoch rows) to a DVCLive folder at each row's
    ``epoch`` (1-based; DVCLive's ``step``), those in ``percent`` (accuracies, 0-1 in the rows) as
    percentages (to 6 decimals); called with every row, in epoch order. Values that are not finite (an epoch
    without a test pass) are left out of that epoch."""

    def __init__(self, folder: str | Path, metrics: tuple[str, ...], percent: tuple[str, ...] = ()) -> None:
        from dvclive import Live  # here, not at the top: only stages that log a training run load it

        self.metrics = metrics
        self.percent = percent
        self.live = Live(str(folder), dvcyaml=None, save_dvc_exp=False, report=None)

    def __call__(self, row: dict) -> None:
        self.live.step = int(row["epoch"])
        for name in self.metrics:
            value = round(100 * float(row[name]), 6) if name in self.percent else float(row[name])  # 57.0, not 56.99999999999999
            if math.isfinite(value):
                self.live.log_metric(name, value)
        self.live.next_step()

    def close(self) -> None:
        self.live.end()
