"""Selection units, the manifest of reused images, and k-means clusters."""

import numpy as np
import pandas as pd
import pytest

from builders import glyph_table
from reprise.core.errors import InputError
from reprise.reuse.clustering import cluster_summary, spherical_kmeans
from reprise.reuse.manifest import build_manifest, reused_source, selection_manifest
from reprise.reuse.units import cluster_units, unit_means


def test_unit_means_and_empty_units():
    features = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    means, counts = unit_means(features, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(means, [[2.0, 1.0], [5.0, 5.0]])
    assert counts.tolist() == [2, 1]
    with pytest.raises(InputError, match="unit 2 has no images"):
        unit_means(features, np.array([0, 0, 1]), 3)


def test_manifest_lists_the_images_of_selected_units_in_rank_order():
    pool_units = np.array([0, 1, 2, 1, 0, 3, 2])
    manifest = build_manifest(pool_units, np.array([2, 0]), np.array([0.5, 0.1, 0.9, 0.0]))
    assert manifest["row"].tolist() == [0, 2, 4, 6]
    assert manifest["unit"].tolist() == [0, 2, 0, 2]
    assert manifest["source_label"].tolist() == [1, 0, 1, 0]
    assert manifest["rank"].tolist() == [2, 1, 2, 1]
    assert manifest["score"].tolist() == [0.5, 0.9, 0.5, 0.9]


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


def test_manifest_of_single_images_carries_their_classes_for_the_source_head():
    pool_classes = np.array([5, 5, 9, 2, 9])
    manifest = build_manifest(np.arange(5), np.array([4, 0, 2]), np.linspace(0, 1, 5), head_labels=pool_classes)
    assert manifest["row"].tolist() == [0, 2, 4]
    assert manifest["rank"].tolist() == [2, 3, 1]
    assert manifest["source_label"].tolist() == [0, 1, 1]  # classes 5, 9, 9 renumbered


def test_selection_manifest_reads_no_label_for_clusters_and_reused_source_carries_the_head_labels():
    pool = glyph_table(12, 3, 0)
    assignment = np.array([7, 7, 2, 2, 9, 9, 7, 2, 9, 7, 2, 9])  # three clusters, renumbered 2 -> 0, 7 -> 1, 9 -> 2
    scores = np.array([0.1, 0.9, 0.5])
    unlabelled = pool.index.drop(columns=["label"])
    manifest = selection_manifest("cluster", unlabelled, assignment, np.array([1, 2]), scores)
    assert manifest["row"].tolist() == [0, 1, 4, 5, 6, 8, 9, 11]
    assert manifest["source_label"].tolist() == [0, 0, 1, 1, 0, 1, 0, 1]  # position in rank order
    by_class = selection_manifest("class", pool.index, None, np.array([2]), np.array([0.0, 0.0, 1.0]))
    assert by_class["row"].tolist() == [2, 5, 8, 11] and (by_class["source_label"] == 0).all()
    source = reused_source(pool, manifest)
    assert len(source) == 8 and source.labels.tolist() == manifest["source_label"].tolist()
    assert np.array_equal(source.load_uint8(np.arange(8), 32, 1)[:, 0].numpy(), pool.pixels[manifest["row"].to_numpy()])
    assert pool.labels.tolist() == list(np.arange(12) % 3)  # the pool itself is untouched
