"""The mean feature of every unit (a class or a cluster) of a set of feature rows: the a_i and b_j
of the UOT paper's §3.2, and the class means of the model-selection scores (Domain Similarity)."""

from __future__ import annotations

import numpy as np
import torch

from reprise.core.errors import InputError


def unit_means(features: np.ndarray, unit_ids: np.ndarray, n_units: int, what: str = "unit") -> tuple[np.ndarray, np.ndarray]:
    """Mean feature ``[n_units, d]`` (float64) and image count ``[n_units]`` of every unit.

    ``unit_ids[r]`` is the unit (0..n_units-1) of feature row ``r``. A unit without images has
    no mean: that is an error naming the unit.
    """
    unit_ids = np.asarray(unit_ids, dtype=np.int64)
    if len(unit_ids) != len(features):
        raise InputError(f"{len(unit_ids)} {what} ids for {len(features)} feature rows: the index and the features are out of step; rerun extract")
    if len(unit_ids) and (unit_ids.min() < 0 or unit_ids.max() >= n_units):
        raise InputError(f"{what} ids must lie in 0..{n_units - 1}")
    if not np.isfinite(features).all():
        row = int(np.flatnonzero(~np.isfinite(features).all(axis=1))[0])
        raise InputError(f"features row {row} contains NaN or Inf; re-extract the features")
    counts = np.bincount(unit_ids, minlength=n_units)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise InputError(f"{what} {int(empty[0])} has no images ({len(empty)} empty {what}s in all); every {what} needs at least one image")
    sums = torch.zeros(n_units, features.shape[1], dtype=torch.float64)
    sums.index_add_(0, torch.tensor(unit_ids), torch.tensor(np.asarray(features, dtype=np.float64)))
    return sums.numpy() / counts[:, None], counts
