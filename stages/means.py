"""means: one mean feature per source class, per source cluster and per target class (paper §3.2)."""

from reprise.core import layout
from reprise.core.artifacts import read_npy, read_parquet, write_npy, write_parquet
from reprise.core.stage import run_stage
from reprise.reuse.units import class_units, cluster_units


def main(params: dict) -> None:
    pool_features = read_npy(layout.POOL_FEATURES)
    units = {
        "class": class_units(read_parquet(f"{layout.POOL_TABLE}.parquet"), pool_features),
        "cluster": cluster_units(read_npy(layout.CLUSTER_ASSIGNMENT), pool_features),
        "target": class_units(read_parquet(f"{layout.TARGET_TRAIN_TABLE}.parquet"), read_npy(layout.TARGET_FEATURES), "target class"),
    }
    for name, (means, table) in units.items():
        write_npy(means, f"{layout.means(name)}.npy")
        write_parquet(table, f"{layout.means(name)}.parquet")
        print(f"{name}: {len(table)} units")


if __name__ == "__main__":
    run_stage(main)
