"""means: one mean feature per source class, per source cluster and per target class (paper §3.2)."""

from reprise.core.artifacts import read_npy, read_parquet, write_npy, write_parquet
from reprise.core.layout import POOL_TABLE, TARGET_TRAIN_TABLE
from reprise.core.stage import run_stage
from reprise.reuse.layout import CLUSTER_ASSIGNMENT, POOL_FEATURES, TARGET_FEATURES, means_prefix
from reprise.reuse.units import class_units, cluster_units

READS = ()


def main(p) -> None:
    pool_features = read_npy(POOL_FEATURES)
    units = {
        "class": class_units(read_parquet(f"{POOL_TABLE}.parquet"), pool_features),
        "cluster": cluster_units(read_npy(CLUSTER_ASSIGNMENT), pool_features),
        "target": class_units(read_parquet(f"{TARGET_TRAIN_TABLE}.parquet"), read_npy(TARGET_FEATURES), "target class"),
    }
    for name, (means, table) in units.items():
        write_npy(means, f"{means_prefix(name)}.npy")
        write_parquet(table, f"{means_prefix(name)}.parquet")
        print(f"{name}: {len(table)} units")


if __name__ == "__main__":
    run_stage(main, READS)
