"""Where the data-reuse study's artifacts live (the UOT paper), relative to the repository root;
``dvc.yaml`` names the same paths, ``docs/artifacts.md`` documents every file's columns."""

from __future__ import annotations

POOL_FEATURES = "data/features/pool.npy"            # float32 [pool images, d]
TARGET_FEATURES = "data/features/target_train.npy"  # float32 [target train images, d]

CLUSTER_ASSIGNMENT = "data/cluster/assignment.npy"  # int64 [pool images]: k-means cluster id
CLUSTER_SUMMARY = "results/cluster.json"            # sizes and imbalance (a DVC metric)

MEANS_DIR = "data/means"  # {class,cluster,target}.npy float64 [units, d] + .parquet (unit, count, ...)

SCORES = "data/selection/scores.parquet"     # unit, score, rank (1 = most similar), log_score (UOT), name
SOLVER = "data/selection/solver.json"        # method, unit, iterations, convergence, log P1 range, warnings
MANIFEST = "data/selection/manifest.parquet" # row, unit, rank, score, source_label

FINETUNE_DIR = "data/finetune"  # <run>/model.pt and <run>/log.csv for run in baseline, reuse
FINETUNE_RUNS = ("baseline", "reuse")

METRICS = "results/metrics.json"
CURVES = "results/curves.csv"     # run, epoch, lr, target_loss, source_loss, train_acc, test_acc
CURVES_PLOT = "results/curves.png"
P1_PLOT_DATA = "results/p1_rank.csv"   # unit, score, rank, log_score (UOT), name, count, concept
P1_PLOT = "results/p1_rank.png"


def means_prefix(unit: str) -> str:
    """Prefix of the unit means of ``unit`` (class, cluster or target): ``.npy`` and ``.parquet``."""
    return f"{MEANS_DIR}/{unit}"


def finetune_dir(run: str) -> str:
    return f"{FINETUNE_DIR}/{run}"
