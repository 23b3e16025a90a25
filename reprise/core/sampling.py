"""Sampling of the target task before scoring (linearized model-selection paper, §3.3: "we sample
the training set of target dataset and pick at most 25 images per class", following RSA)."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError


def sample_per_class(labels: np.ndarray, max_per_class: int = 25, seed: int = 0) -> np.ndarray:
    """Indices of at most ``max_per_class`` samples of every class, drawn without replacement.

    Classes with no more than ``max_per_class`` samples are kept whole. The draw depends only on
    ``labels`` and ``seed`` (numpy's PCG64 via ``default_rng(seed)``, classes in sorted order).

    Args:
        labels: [n] int class ids of the target training set.
        max_per_class: cap per class, >= 1 (the paper uses 25).
        seed: random seed.

    Returns:
        [m] int64 indices into ``labels``, sorted ascending, m <= n.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iu":
        raise InputError(f"labels: expected a non-empty 1-D array of integer class ids, got {y.dtype} of shape {y.shape}")
    if int(max_per_class) != max_per_class or max_per_class < 1:
        raise InputError(f"max_per_class: must be a positive integer, got {max_per_class}")
    rng = np.random.default_rng(seed)
    picked = []
    for k in np.unique(y):
        idx = np.flatnonzero(y == k)
        if idx.size > max_per_class:
            idx = rng.choice(idx, size=int(max_per_class), replace=False)
        picked.append(idx)
    return np.sort(np.concatenate(picked)).astype(np.int64)
