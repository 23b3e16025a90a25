"""cluster: spherical k-means (cosine) over the pool's features; the unit when labels are absent.

results/cluster.json holds the cluster sizes, the k-means objective (mean cosine distance of an
image to its cluster's centroid) and the purity of the clusters against the pool's concepts."""

from reprise.core import layout
from reprise.core.artifacts import read_npy, read_parquet, write_json, write_npy
from reprise.core.messages import warn
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.clustering import cluster_summary, spherical_kmeans


def main(params: dict) -> None:
    c, unit = section(params, "cluster"), section(params, "select")["unit"]
    features = read_npy(layout.POOL_FEATURES)
    k = c["k"]
    if unit != "cluster" and k > len(features):  # a small real pool: the clusters only feed the reports
        warn(f"cluster.k = {k} exceeds the {len(features)} source images; clustering into {len(features)} (select.unit is {unit})")
        k = len(features)
    assignment, centroids = spherical_kmeans(features, k, c["iterations"], c["seed"])
    concepts = read_parquet(f"{layout.POOL_TABLE}.parquet")["concept"].to_numpy()
    summary = cluster_summary(assignment, k, features, centroids, concepts)
    write_npy(assignment, layout.CLUSTER_ASSIGNMENT)
    write_json(summary, layout.CLUSTER_SUMMARY)
    print(summary)


if __name__ == "__main__":
    run_stage(main)
