"""Selection units: the mean feature of every source class or cluster, and of every target class.

Paper §3.2: a_i (target class i) and b_j (source unit j) are plain means of the features of
their images; every unit then carries weight 1 in eq. 5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reprise.core.layout import POOL_TABLE
from reprise.reuse.layout import POOL_FEATURES, means_prefix
from reprise.core.artifacts import read_npy, read_parquet
from reprise.core.errors import InputError
from reprise.core.means import unit_means


UNITS = ("class", "cluster", "image")


def pool_unit_ids(unit: str, labels: np.ndarray | None, assignment: np.ndarray | None) -> np.ndarray:
    """The unit of every pool image.

    ``class``: the image's class label. ``cluster``: the image's k-means cluster, renumbered over
    the non-empty clusters in cluster-id order (no label is read). ``image``: the image itself.
    """
    if unit == "class":
        return np.asarray(labels, dtype=np.int64)
    if unit == "cluster":
        return np.unique(np.asarray(assignment, dtype=np.int64), return_inverse=True)[1].astype(np.int64)
    if unit == "image":
        return np.arange(len(labels) if labels is not None else len(assignment), dtype=np.int64)
    raise InputError(f"select.unit must be one of {', '.join(UNITS)}, got {unit!r}")


def image_units(pool: pd.DataFrame) -> pd.DataFrame:
    """The unit table when every pool image is its own unit: ``unit`` (table row), ``name`` (its
    class), ``count`` (1) and ``concept`` when the pool has one."""
    table = pd.DataFrame({"unit": np.arange(len(pool)), "name": pool["class_name"].to_numpy(), "count": 1})
    if "concept" in pool.columns:
        table["concept"] = pool["concept"].to_numpy()
    return table


def class_units(pool: pd.DataFrame, features: np.ndarray, what: str = "source class") -> tuple[np.ndarray, pd.DataFrame]:
    """Means of the labelled classes of an image index, and the unit table ``unit, name, count``
    (plus ``concept`` when the index has one)."""
    labels = pool["label"].to_numpy()
    means, counts = unit_means(features, labels, int(labels.max()) + 1, what)
    first = pool.drop_duplicates("label").sort_values("label")
    table = pd.DataFrame({"unit": first["label"].to_numpy(), "name": first["class_name"].to_numpy(), "count": counts})
    if "concept" in pool.columns:
        table["concept"] = first["concept"].to_numpy()
    return means, table


def cluster_units(assignment: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Means of the non-empty k-means clusters and the unit table ``unit, name, count``."""
    clusters = np.unique(assignment)
    means, counts = unit_means(features, pool_unit_ids("cluster", None, assignment), len(clusters), "source cluster")
    return means, pd.DataFrame({"unit": np.arange(len(clusters)), "name": [f"cluster {c}" for c in clusters], "count": counts})


def unit_table(unit: str) -> pd.DataFrame:
    """The table ``unit, name, count`` (+ ``concept``) of the pipeline's source units of kind
    ``unit``, as the means stage wrote it (for ``image``: from the pool's index)."""
    if unit not in UNITS:
        raise InputError(f"select.unit must be one of {', '.join(UNITS)}, got {unit!r}")
    if unit == "image":
        return image_units(read_parquet(f"{POOL_TABLE}.parquet"))
    return read_parquet(f"{means_prefix(unit)}.parquet")


def source_units(unit: str) -> tuple[np.ndarray, pd.DataFrame]:
    """The features ``[units, d]`` and :func:`unit_table` of the pipeline's source units; for
    ``image`` the pool's features, memory-mapped, so that they can be streamed."""
    table = unit_table(unit)
    features = read_npy(POOL_FEATURES, mmap=True) if unit == "image" else read_npy(f"{means_prefix(unit)}.npy")
    return features, table
