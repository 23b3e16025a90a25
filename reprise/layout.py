"""Where the pipeline's artifacts live (relative to the repository root); dvc.yaml names the same
paths. ``*_TABLE`` values are prefixes of image tables: ``.parquet`` index (+ ``.npy`` pixels)."""

POOL_TABLE = "data/world/pool"            # source pool: label, class_name, concept, image|path
POOL_VAL_TABLE = "data/world/pool_val"    # held-out pool images (source accuracy of checkpoints)
TARGET_TRAIN_TABLE = "data/target/train"  # labelled target images: label, class_name, image|path
TARGET_TEST_TABLE = "data/target/test"
TARGET_META = "data/target/meta.json"     # name, concept, class_names

PRETRAIN_DIR = "data/pretrain"            # epoch_NNN.pt checkpoints
PRETRAIN_LOG = "data/pretrain/log.csv"    # epoch, lr, train_loss, train_acc, val_acc

POOL_FEATURES = "data/features/pool.npy"            # float32 [pool images, d]
TARGET_FEATURES = "data/features/target_train.npy"  # float32 [target train images, d]

CLUSTER_ASSIGNMENT = "data/cluster/assignment.npy"  # int64 [pool images]: k-means cluster id
CLUSTER_SUMMARY = "results/cluster.json"            # sizes and imbalance (a DVC metric)

MEANS_DIR = "data/means"  # {class,cluster,target}.npy float64 [units, d] + .parquet (unit, count, ...)

SCORES = "data/selection/scores.parquet"     # unit, score, rank (1 = most similar)
SOLVER = "data/selection/solver.json"        # method, iterations, convergence
MANIFEST = "data/selection/manifest.parquet" # row, unit, rank, source_label

FINETUNE_DIR = "data/finetune"  # <run>/model.pt and <run>/log.csv for run in baseline, reuse

ZOO_DIR = "data/zoo"  # models/<member>/epoch_NNN.pt, targets/<target>/, scores/<member>.parquet, finetune/<member>.parquet
ZOO_RESULTS = "results/zoo"  # metrics.json, accuracy.csv, scores.csv, selection.csv, figures

CHECKPOINT_STUDY_DIR = "data/checkpoints"       # epoch_<N>/ per studied pre-training checkpoint
CHECKPOINT_RESULTS = "results/checkpoints"      # metrics.json, summary.md, trajectory/spectral/scores CSVs, figures

METRICS = "results/metrics.json"
CURVES = "results/curves.csv"     # run, epoch, target_loss, source_loss, train_acc, test_acc
P1_PLOT = "results/p1_rank.csv"   # rank, score, unit, name, concept
