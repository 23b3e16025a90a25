"""Where the testbed suite's files live, relative to the repository root (``suite/dvc.yaml`` names
the same paths)."""

from __future__ import annotations

BACKBONES_DIR = "data/testbed/backbones"      # <pretrain_seed>/: one pre-training run's backbones (backbone_dir, pool_features)
BACKBONES = ("supervised", "contrastive")     # pool labels (Table 1 and the sweeps); SimCLR, no labels (Table 1b)
PARTIAL_DIR = "data/testbed/partial"          # <experiment>.csv: rows of an unfinished experiment, for resuming
RESULTS_DIR = "results/testbed"               # <experiment>.csv: one row per run (committed)
TUNED = "results/testbed/tuned.csv"           # target, method, lr, lambda, val_top1: the chosen point


def results(experiment: str) -> str:
    return f"{RESULTS_DIR}/{experiment}.csv"


def pretraining_dir(pretrain_seed: int) -> str:
    """The folder of one pre-training run (the stage ``testbed_backbone@<pretrain_seed>``'s output)."""
    return f"{BACKBONES_DIR}/{pretrain_seed}"


def backbone_dir(pretrain_seed: int, backbone: str) -> str:
    """The checkpoint folder of ``backbone`` (one of :data:`BACKBONES`) pre-trained with ``pretrain_seed``."""
    return f"{pretraining_dir(pretrain_seed)}/{backbone}"


def pool_features(pretrain_seed: int, backbone: str) -> str:
    """The pool's features (float32 [pool images, d]) from ``backbone`` of that pre-training run."""
    return f"{pretraining_dir(pretrain_seed)}/{backbone}_pool.npy"
