"""The testbed's targets and training-set variants (reprise.reuse.testbed)."""

import numpy as np
import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.reuse.testbed import balanced_counts, elastic_distortion, fraction_counts, pareto_counts, per_class_subset, draw_target


def test_elastic_distortion_warps_each_image_reproducibly_and_keeps_the_ink():
    images = np.zeros((3, 32, 32), np.uint8)
    images[:, 8:24, 14:18] = 255  # a vertical bar
    warped = elastic_distortion(images, alpha=16, sigma=3, seed=0)
    assert warped.dtype == np.uint8 and warped.shape == images.shape
    assert np.array_equal(warped, elastic_distortion(images, alpha=16, sigma=3, seed=0))
    assert not np.array_equal(warped, elastic_distortion(images, alpha=16, sigma=3, seed=1))
    assert not np.array_equal(warped[0], warped[1])  # a field per image
    assert all((w != images[0]).sum() > 20 for w in warped)
    assert np.allclose(warped.astype(float).sum((1, 2)), images[0].astype(float).sum(), rtol=0.25)  # moved, not erased
    assert np.array_equal(elastic_distortion(images, alpha=0, sigma=3, seed=0), images)
    with pytest.raises(InputError, match="sigma"):
        elastic_distortion(images, alpha=1, sigma=0, seed=0)


def test_a_glyph_target_is_distorted_only_when_asked_and_handwriting_never():
    plain = draw_target("latin_upper", 2, 3, seed=0)
    distorted = draw_target("latin_upper", 2, 3, seed=0, elastic_alpha=16)
    assert plain.meta["concept"] == "latin_upper" and len(plain.train) == 26 * 2 and len(plain.test) == 26 * 3
    assert plain.train.index.equals(distorted.train.index)
    assert not np.array_equal(plain.train.pixels, distorted.train.pixels)
    with pytest.raises(InputError, match="handwriting"):
        draw_target("mnist", 2, 3, seed=0, elastic_alpha=16)
    with pytest.raises(InputError, match="unknown testbed target"):
        draw_target("klingon", 2, 3, seed=0)


def test_a_pareto_profile_has_the_asked_ratio_and_is_dealt_at_random():
    counts = pareto_counts(20, 10, 10, seed=0)
    assert counts.max() == 20 and counts.min() == 2
    assert sorted(counts, reverse=True) == sorted(pareto_counts(20, 10, 10, seed=1), reverse=True)
    assert not np.array_equal(counts, pareto_counts(20, 10, 10, seed=1))
    ranked = np.sort(counts)[::-1]
    assert (np.diff(ranked) <= 0).all() and ranked[1] == 10  # a power law: the second class has half the first (10 classes, ratio 10)
    assert pareto_counts(5, 26, 10, seed=0).min() == 1  # rounded down to one image, never to none
    with pytest.raises(InputError):
        pareto_counts(20, 10, 0.5, seed=0)


def test_subsets_keep_the_asked_images_of_each_class():
    index = pd.DataFrame({"image": np.arange(30), "label": np.repeat(np.arange(3), 10), "class_name": np.repeat(list("abc"), 10)})
    table = ImageTable(index, np.zeros((30, 4, 4), np.uint8))
    subset = per_class_subset(table, np.array([1, 5, 10]))
    assert subset.index.groupby("label").size().tolist() == [1, 5, 10]
    assert subset.index["image"].tolist()[:2] == [0, 10]  # the first images of each class
    assert fraction_counts(20, 3, 0.2).tolist() == [4, 4, 4]
    assert fraction_counts(5, 3, 0.2).tolist() == [1, 1, 1]
    with pytest.raises(InputError):
        fraction_counts(5, 3, 0)
    assert balanced_counts(11, 3).tolist() == [4, 4, 3] and balanced_counts(int(pareto_counts(20, 10, 10, 0).sum()), 10).sum() == 58
