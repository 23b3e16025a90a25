"""Where the pipeline's artifacts live, relative to the repository root; ``dvc.yaml`` names the
same paths. ``*_TABLE`` values are prefixes of image tables: ``.parquet`` index (+ ``.npy``
pixels). ``docs/artifacts.md`` documents every file's columns."""

from __future__ import annotations

# ---------------------------------------------------------------- shared: world, target, backbone
POOL_TABLE = "data/world/pool"            # source pool: label, class_name, concept, image|path
POOL_VAL_TABLE = "data/world/pool_val"    # held-out pool images (source accuracy of checkpoints)
TARGET_TRAIN_TABLE = "data/target/train"  # labelled target images: label, class_name, image|path
TARGET_TEST_TABLE = "data/target/test"
TARGET_META = "data/target/meta.json"     # name, concept, class_names

PRETRAIN_DIR = "data/pretrain"            # epoch_NNN.pt checkpoints
LIVE_DIR = "results/live"                 # finetune_<run>/: the run's curves through DVCLive (metrics.json, plots/metrics/*.tsv)
RESUME_DIR = "data/resume"                # <stage>/state.pt: an unfinished training run (reprise.core.resume); no stage output
PRETRAIN_LOG = "data/pretrain/log.csv"    # epoch, lr, train_loss, train_acc, val_acc

# ---------------------------------------------------------------- data reuse (the UOT paper)
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

# ---------------------------------------------------------------- model zoo (model-selection paper)
ZOO_DIR = "data/zoo"
ZOO_RESULTS = "results/zoo"  # metrics.json, accuracy.csv, scores.csv, selection*.csv, figures
ZOO_MULTIDOMAIN_DIR = "data/zoo/multidomain"  # <domain>.pt: one checkpoint a domain of the multi-domain expert; log.csv

# ---------------------------------------------------------------- checkpoint study (third paper)
CHECKPOINT_STUDY_DIR = "data/checkpoints"       # epoch_<N>/ per studied pre-training checkpoint
CHECKPOINT_RESULTS = "results/checkpoints"      # metrics.json, summary.md, series CSVs, figures


def means(unit: str) -> str:
    """Prefix of the unit means of ``unit`` (class, cluster or target): ``.npy`` and ``.parquet``."""
    return f"{MEANS_DIR}/{unit}"


def finetune_dir(run: str) -> str:
    return f"{FINETUNE_DIR}/{run}"


def zoo_member_dir(member: str) -> str:
    """A zoo member's checkpoints (``epoch_NNN.pt``) and pre-training ``log.csv``."""
    return f"{ZOO_DIR}/models/{member}"


def zoo_multidomain(domain: str) -> str:
    return f"{ZOO_MULTIDOMAIN_DIR}/{domain}.pt"


def zoo_target_dir(target: str) -> str:
    """A zoo target: ``full``/``few``/``test`` image tables, ``score_rows_<regime>.npy``,
    ``probe_<regime>.npy`` and ``meta.json``."""
    return f"{ZOO_DIR}/targets/{target}"


def zoo_scores(member: str) -> str:
    return f"{ZOO_DIR}/scores/{member}.parquet"


def zoo_finetune(member: str) -> str:
    return f"{ZOO_DIR}/finetune/{member}.parquet"


def checkpoint_study_dir(epoch: int) -> str:
    """One studied checkpoint's artifacts; N is not zero-padded, as ``dvc.yaml``'s ``epoch_${item}``."""
    return f"{CHECKPOINT_STUDY_DIR}/epoch_{int(epoch)}"
