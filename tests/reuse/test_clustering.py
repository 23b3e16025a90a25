"""Spherical k-means (UOT paper §4.1: K-means with cosine similarity): greedy k-means++ seeding,
recovery of well-separated clusters, no empty cluster, and the summary's objective and purity."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import reprise.reuse.clustering as clustering
from reprise.core.errors import InputError
from reprise.reuse.clustering import cluster_purity, cluster_summary, greedy_kmeanspp, mean_cosine_distance, spherical_kmeans
from reprise.reuse.units import cluster_units


def sphere_clusters(seed: int, noise: float, k: int = 20, per_cluster: int = 60, d: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """``k`` random unit directions, ``per_cluster`` points each: direction + N(0, noise²) per
    coordinate, renormalised. Rows float32 [k * per_cluster, d] and their cluster labels."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(k, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    labels = np.repeat(np.arange(k), per_cluster)
    x = directions[labels] + noise * rng.normal(size=(k * per_cluster, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


def test_spherical_kmeans_is_seeded_and_cosine():
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(4, 16))
    # Points at very different norms along 4 directions: cosine k-means ignores the norm.
    features = np.vstack([d * s + 0.05 * rng.normal(size=16) for d in directions for s in rng.uniform(1, 20, 25)])
    first, centroids = spherical_kmeans(features, 4, 20, seed=3)
    again, _ = spherical_kmeans(features, 4, 20, seed=3)
    assert np.array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, rtol=1e-5)
    for block in range(4):
        assert len(set(first[block * 25 : (block + 1) * 25])) == 1
    summary = cluster_summary(first, 4)
    assert summary["size_min"] == summary["size_max"] == 25 and summary["empty_clusters"] == 0
    means, table = cluster_units(first, features)
    assert table["count"].tolist() == [25] * 4 and means.shape == (4, 16)
    with pytest.raises(InputError, match="exceeds the 100 source images"):
        spherical_kmeans(features, 101, 5, 0)


@pytest.mark.parametrize("noise", [0.01, 0.02])
def test_recovers_twenty_well_separated_clusters_on_the_sphere(noise):
    # Plain faiss k-means++ merged one cluster and split another on most of these problems.
    for seed in range(8):
        x, labels = sphere_clusters(seed, noise)
        assignment, centroids = spherical_kmeans(x, 20, 25, seed)
        assert adjusted_rand_score(labels, assignment) == 1.0, f"seed {seed}"
        # The found partition is the true one, so the objective is the true clusters' objective.
        true_means, _ = cluster_units(labels, x)
        assert mean_cosine_distance(x, assignment, centroids) == pytest.approx(mean_cosine_distance(x, labels, true_means), rel=1e-4)


def test_greedy_seeding_puts_one_seed_in_each_well_separated_cluster_and_is_deterministic():
    x, labels = sphere_clusters(0, 0.01)
    seeds = greedy_kmeanspp(x, 20, seed=5)
    assert seeds.shape == (20, 32) and seeds.dtype == np.float32
    chosen = np.argmax(x @ seeds.T, axis=0)  # each seed is a row of x
    np.testing.assert_allclose(x[chosen], seeds)
    assert sorted(labels[chosen]) == list(range(20))
    np.testing.assert_array_equal(greedy_kmeanspp(x, 20, seed=5), seeds)
    assert not np.array_equal(greedy_kmeanspp(x, 20, seed=6), seeds)


def test_greedy_seeding_subsamples_a_large_pool(monkeypatch):
    x, labels = sphere_clusters(1, 0.01, k=5, per_cluster=200)
    monkeypatch.setattr(clustering, "SEEDING_ROWS", 100)
    monkeypatch.setattr(clustering, "SEEDING_ROWS_PER_CENTROID", 4)  # 100 of the 1,000 rows
    seeds = greedy_kmeanspp(x, 5, seed=2)
    np.testing.assert_array_equal(greedy_kmeanspp(x, 5, seed=2), seeds)
    assert sorted(labels[np.argmax(x @ seeds.T, axis=0)]) == list(range(5))
    assignment, _ = spherical_kmeans(x, 5, 10, seed=2)
    assert adjusted_rand_score(labels, assignment) == 1.0


def test_spherical_kmeans_is_deterministic_per_seed():
    x, _ = sphere_clusters(3, 0.3, k=10, per_cluster=30)
    given = x.copy()
    first, centroids = spherical_kmeans(x, 12, 10, seed=4)
    np.testing.assert_array_equal(x, given)  # the caller's float32 rows are not renormalised in place
    again, centroids_again = spherical_kmeans(x, 12, 10, seed=4)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(centroids, centroids_again)


def test_no_cluster_is_empty_when_rows_repeat():
    # 12 rows along only 3 directions and k = 5: nearest-centroid assignment leaves two
    # clusters empty; each is given one row, which is its centroid.
    x = np.repeat(np.eye(3, 4), [5, 4, 3], axis=0) * np.arange(1, 13)[:, None]
    assignment, centroids = spherical_kmeans(x, 5, 10, seed=0)
    summary = cluster_summary(assignment, 5, x, centroids)
    assert summary["empty_clusters"] == 0 and summary["size_min"] >= 1
    assert summary["mean_cosine_distance"] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, rtol=1e-5)


def test_objective_and_purity_on_a_known_case():
    # Cluster 0: two rows at 0° and 60° from its centroid (1, 0) (cosine distances 0 and 0.5);
    # cluster 1: three rows along (0, 1). Norms differ: only the directions count.
    features = np.array([[3.0, 0.0], [1.0, np.sqrt(3.0)], [0.0, 2.0], [0.0, 0.5], [0.0, 7.0]])
    assignment = np.array([0, 0, 1, 1, 1])
    centroids = np.array([[2.0, 0.0], [0.0, 1.0]])
    assert mean_cosine_distance(features, assignment, centroids) == pytest.approx(0.5 / 5)
    # Cluster 0 is all "a" (2 rows), cluster 1 has "b" twice and "c" once: (2 + 2) / 5.
    concepts = ["a", "a", "b", "c", "b"]
    assert cluster_purity(assignment, concepts) == pytest.approx(0.8)
    assert cluster_purity(assignment, ["a", "b", "b", "c", "d"]) == pytest.approx(0.4)  # ties: 1 + 1 of 5
    summary = cluster_summary(assignment, 2, features, centroids, concepts)
    assert summary["purity"] == pytest.approx(0.8) and summary["mean_cosine_distance"] == pytest.approx(0.1)
    assert {"clusters", "size_min", "size_median", "size_max", "empty_clusters", "max_over_median"} <= summary.keys()
    assert "purity" not in cluster_summary(assignment, 2) and "mean_cosine_distance" not in cluster_summary(assignment, 2)
