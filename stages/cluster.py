"""cluster: spherical k-means (cosine) over the pool's features; the unit when labels are absent."""

from reprise.core import layout
from reprise.core.artifacts import read_npy, write_json, write_npy
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.clustering import cluster_summary, spherical_kmeans


def main(params: dict) -> None:
    c = section(params, "cluster")
    assignment, _ = spherical_kmeans(read_npy(layout.POOL_FEATURES), c["k"], c["iterations"], c["seed"])
    summary = cluster_summary(assignment, c["k"])
    write_npy(assignment, layout.CLUSTER_ASSIGNMENT)
    write_json(summary, layout.CLUSTER_SUMMARY)
    print(summary)


if __name__ == "__main__":
    run_stage(main)
