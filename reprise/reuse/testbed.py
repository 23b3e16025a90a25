"""The reuse study's testbed: target tasks on which *which* pre-training data is reused makes a
measurable difference, and the target-set variants of the UOT paper's §4.3 (low data, long tail).

On the default target (MNIST, 20 labels a class) reusing the 10 digit classes helps no more than
reusing as many random classes: the glyph pool's digits are fonts, MNIST is handwriting, and any
glyph data regularises alike. The testbed adds glyph concepts rendered anew and elastically
distorted (:func:`elastic_distortion`, a style no pool image has) in a low-data regime (5 labels a
class): the pool's classes of the target's concept are then the related data (26 of 299 classes,
as ImageNet's 59 bird classes of 1,000 are CUB's), and the other classes are the same kind of
image but the wrong shapes. ``docs/testbed.md`` gives the measurements behind this design.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.world.glyphs import CONCEPTS
from reprise.world.handwriting import HANDWRITING
from reprise.world.targets import TargetSplits, glyph_target, handwriting_target


def elastic_distortion(pixels: np.ndarray, alpha: float, sigma: float, seed: int) -> np.ndarray:
    """Each ``uint8 [n, h, w]`` image warped by its own random displacement field (Simard et al.,
    2003): uniform noise in [-1, 1] per pixel and axis, smoothed by a Gaussian of ``sigma`` pixels
    and scaled by ``alpha`` pixels, sampled bilinearly. The same seed gives the same images."""
    if alpha < 0 or sigma <= 0:
        raise InputError(f"elastic distortion needs alpha >= 0 and sigma > 0, got alpha={alpha}, sigma={sigma}")
    rng = np.random.default_rng(seed)
    n, h, w = pixels.shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    out = np.empty_like(pixels)
    for i, image in enumerate(pixels):
        dy, dx = (ndimage.gaussian_filter(rng.uniform(-1, 1, (h, w)), sigma) * alpha for _ in range(2))
        warped = ndimage.map_coordinates(image.astype(np.float64), [rows + dy, cols + dx], order=1, mode="constant")
        out[i] = np.clip(np.rint(warped), 0, 255).astype(np.uint8)
    return out


def draw_target(name: str, labels_per_class: int, test_per_class: int | None, seed: int, *, elastic_alpha: float = 0.0,
                   elastic_sigma: float = 3.0) -> TargetSplits:
    """A testbed target drawn by ``seed``: ``mnist``/``digits`` (real handwriting; ``test_per_class``
    null takes every image not used for training), or a glyph concept rendered anew (another seed
    than the pool's) and, when ``elastic_alpha`` > 0, elastically distorted image by image."""
    if name in HANDWRITING:
        if elastic_alpha:
            raise InputError(f"testbed target {name}: elastic distortion applies to glyph concepts, not to handwriting")
        return handwriting_target(name, labels_per_class, test_per_class, seed)
    if name not in CONCEPTS:
        raise InputError(f"unknown testbed target {name!r}; use one of {', '.join(HANDWRITING + CONCEPTS)}")
    if test_per_class is None:
        raise InputError(f"testbed target {name}: a glyph target needs test_per_class (its images are rendered, not drawn from a set)")
    splits = glyph_target(name, labels_per_class, test_per_class, seed)
    if not elastic_alpha:
        return splits
    pixels = elastic_distortion(splits.train.pixels, elastic_alpha, elastic_sigma, seed)
    return TargetSplits(ImageTable(splits.train.index, pixels), ImageTable(splits.test.index, pixels), splits.meta)


def per_class_subset(train: ImageTable, counts: np.ndarray) -> ImageTable:
    """The first ``counts[label]`` images of every class (the target's training split is already
    drawn at random by its seed)."""
    position = train.index.groupby("label").cumcount().to_numpy()
    keep = position < np.asarray(counts)[train.labels]
    return train.subset(np.flatnonzero(keep))


def fraction_counts(per_class: int, num_classes: int, fraction: float) -> np.ndarray:
    """Images a class for a class-balanced ``fraction`` of a training set of ``per_class`` a class
    (the paper's §4.3: 20%, 40%, ... of each class), at least one."""
    if not 0 < fraction <= 1:
        raise InputError(f"a training-set fraction must be in (0, 1], got {fraction}")
    return np.full(num_classes, max(1, round(fraction * per_class)), dtype=np.int64)


def pareto_counts(largest: int, num_classes: int, ratio: float, seed: int) -> np.ndarray:
    """Long-tailed class sizes (the paper's §4.3, after Cao et al.): a Pareto (power-law) profile
    ``n_r = largest · r^(-a)`` over the ranks r = 1..C, with ``a`` such that the largest class has
    ``ratio`` times the images of the smallest, rounded (at least one); the ranks are dealt to
    the classes at random by ``seed``."""
    if ratio < 1 or num_classes < 2:
        raise InputError(f"a long tail needs ratio >= 1 and at least 2 classes, got ratio={ratio}, classes={num_classes}")
    exponent = math.log(ratio) / math.log(num_classes)
    sizes = np.maximum(1, np.rint(largest * np.arange(1, num_classes + 1, dtype=np.float64) ** -exponent)).astype(np.int64)
    return sizes[np.random.default_rng(seed).permutation(num_classes)]


def balanced_counts(total: int, num_classes: int) -> np.ndarray:
    """``total`` images dealt as evenly as possible over the classes (the first classes take one
    more when they do not divide): the balanced training set of a long tail's size."""
    counts = np.full(num_classes, total // num_classes, dtype=np.int64)
    counts[: total % num_classes] += 1
    return counts
