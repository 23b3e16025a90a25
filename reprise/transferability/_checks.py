"""Input validation shared by every transferability score (one place, one-line messages)."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError


def check_labels(labels, n: int | None = None, *, min_classes: int = 2, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int64 array [n]; raise InputError on empty, non-integer,
    wrong-length or fewer than ``min_classes`` distinct classes."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InputError(f"{name}: expected a 1-D array of class ids, got shape {y.shape}")
    if y.size == 0:
        raise InputError(f"{name}: empty input, the target has no samples")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise InputError(f"{name}: class ids must be integers, got non-integer floats")
    elif y.dtype.kind not in "iub":
        raise InputError(f"{name}: class ids must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if n is not None and y.shape[0] != n:
        raise InputError(f"{name}: mismatched lengths, {y.shape[0]} labels for {n} samples")
    k = np.unique(y).size
    if k < min_classes:
        raise InputError(f"{name}: needs at least two classes, got {k}; score a target with >= 2 classes")
    return y


def check_matrix(x, name: str = "features", *, n: int | None = None) -> np.ndarray:
    """Return ``x`` as a 2-D float64 array [n, d]; raise InputError on empty, wrong shape,
    mismatched length or NaN/Inf entries."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name}: not a numeric array ({err})") from None
    if a.size == 0:
        raise InputError(f"{name}: empty input, shape {a.shape}")
    if a.ndim != 2:
        raise InputError(f"{name}: expected a 2-D array [n, d], got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise InputError(f"{name}: mismatched lengths, {a.shape[0]} rows for {n} samples")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name}: contains NaN/Inf in {int(np.sum(~np.isfinite(a)))} entries; fix the extraction")
    return a


def check_features_labels(features, labels) -> tuple[np.ndarray, np.ndarray]:
    """The common case: features [n, d] and labels [n] with >= 2 classes."""
    y = check_labels(labels)
    return check_matrix(features, "features", n=y.shape[0]), y
