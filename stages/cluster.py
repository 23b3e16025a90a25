"""cluster: spherical k-means (cosine) over the pool's features; the unit when labels are absent.

results/cluster.json holds the cluster sizes, the k-means objective (mean cosine distance of an
image to its cluster's centroid) and the purity of the clusters against the pool's concepts."""

from reprise.core import layout
from reprise.core.artifacts import read_npy, read_parquet, write_json, write_npy
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.clustering import cluster_summary, spherical_kmeans


def main(params: dict) -> None:
    c = section(params, "cluster")
    features = read_npy(layout.POOL_FEATURES)
    assignment, centroids = spherical_kmeans(features, c["k"], c["iterations"], c["seed"])
    concepts = read_parquet(f"{layout.POOL_TABLE}.parquet")["concept"].to_numpy()
    summary = cluster_summary(assignment, c["k"], features, centroids, concepts)
    write_npy(assignment, layout.CLUSTER_ASSIGNMENT)
    write_json(summary, layout.CLUSTER_SUMMARY)
    print(summary)


if __name__ == "__main__":
    run_stage(main)
