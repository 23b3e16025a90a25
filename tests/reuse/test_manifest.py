"""The manifest of reused images (k-means clusters: test_clustering.py)."""

import numpy as np

from builders import glyph_table
from reprise.reuse.manifest import build_manifest, reused_source, selection_manifest


def test_manifest_lists_the_images_of_selected_units_in_rank_order():
    pool_units = np.array([0, 1, 2, 1, 0, 3, 2])
    manifest = build_manifest(pool_units, np.array([2, 0]), np.array([0.5, 0.1, 0.9, 0.0]))
    assert manifest["row"].tolist() == [0, 2, 4, 6]
    assert manifest["unit"].tolist() == [0, 2, 0, 2]
    assert manifest["source_label"].tolist() == [1, 0, 1, 0]
    assert manifest["rank"].tolist() == [2, 1, 2, 1]
    assert manifest["score"].tolist() == [0.5, 0.9, 0.5, 0.9]


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
