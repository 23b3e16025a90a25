"""cluster: spherical k-means (cosine) over the pool's features; the unit when labels are absent.

results/cluster.json holds the cluster sizes, the k-means objective (mean cosine distance of an
image to its cluster's centroid) and the purity of the clusters against the pool's concepts."""

from reprise.core.artifacts import read_npy, read_parquet, write_json, write_npy
from reprise.core.layout import POOL_TABLE
from reprise.core.stage import run_stage
from reprise.reuse.clustering import cluster_count, cluster_summary, spherical_kmeans
from reprise.reuse.layout import CLUSTER_ASSIGNMENT, CLUSTER_SUMMARY, POOL_FEATURES
from reprise.reuse.settings import ClusterSettings, SelectSettings

READS = (ClusterSettings, SelectSettings.keys("unit"))


def main(p) -> None:
    c = p.cluster
    features = read_npy(POOL_FEATURES)
    k = cluster_count(c.k, p.select.unit, len(features))
    assignment, centroids = spherical_kmeans(features, k, c.iterations, c.seed)
    summary = cluster_summary(assignment, k, features, centroids, read_parquet(f"{POOL_TABLE}.parquet")["concept"].to_numpy())
    write_npy(assignment, CLUSTER_ASSIGNMENT)
    write_json(summary, CLUSTER_SUMMARY)
    print(summary)


if __name__ == "__main__":
    run_stage(main, READS)
