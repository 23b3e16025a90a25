"""Where the testbed suite's files live, relative to the repository root (``suite/dvc.yaml`` names
the same paths)."""

from __future__ import annotations

CONTRASTIVE_DIR = "data/testbed/contrastive"  # the self-supervised backbone of table1b
PARTIAL_DIR = "data/testbed/partial"          # <experiment>.csv: rows of an unfinished experiment, for resuming
RESULTS_DIR = "results/testbed"               # <experiment>.csv: one row per run (committed)
TUNED = "results/testbed/tuned.csv"           # target, method, lr, lambda, val_top1: the chosen point


def results(experiment: str) -> str:
    return f"{RESULTS_DIR}/{experiment}.csv"
