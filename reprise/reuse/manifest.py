"""The manifest: the source images of the selected units, which fine-tuning reuses.

Columns: ``row`` (row of the source pool table), ``unit`` (selected unit id), ``rank`` and
``score`` (the unit's rank, 1 = most similar, and its score), ``source_label`` (the class of
the source head in eq. 6: the unit's position 0..K-1 in rank order when units are classes or
clusters; the image's pool class, renumbered over the classes present, when units are single
images).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reprise.core.images import ImageTable
from reprise.reuse.units import pool_unit_ids


def build_manifest(pool_units: np.ndarray, selected_units: np.ndarray, unit_scores: np.ndarray, head_labels: np.ndarray | None = None) -> pd.DataFrame:
    """Rows of the pool whose unit (``pool_units[row]``) is among ``selected_units`` (best
    first); ``unit_scores[u]`` is the score of unit ``u``; ``head_labels[row]``, when given, is
    the pool class that the source head learns for that row."""
    position = np.full(len(unit_scores), -1, dtype=np.int64)
    position[np.asarray(selected_units, dtype=np.int64)] = np.arange(len(selected_units))
    rows = np.flatnonzero(position[pool_units] >= 0)
    units = pool_units[rows].astype(np.int64)
    rank = position[units] + 1
    source_label = position[units] if head_labels is None else np.unique(head_labels[rows], return_inverse=True)[1]
    return pd.DataFrame(
        {"row": rows.astype(np.int64), "unit": units, "rank": rank, "score": unit_scores[units], "source_label": source_label.astype(np.int64)}
    )


def selection_manifest(unit: str, pool: pd.DataFrame, assignment: np.ndarray | None, selected_units: np.ndarray, unit_scores: np.ndarray) -> pd.DataFrame:
    """The manifest of a selection of ``unit`` units (class, cluster or image) of the pool index
    ``pool``. Clusters read only the k-means ``assignment``, never a pool label; single images
    carry their pool class for the source head."""
    if unit == "cluster":
        return build_manifest(pool_unit_ids("cluster", None, assignment), selected_units, unit_scores)
    labels = pool["label"].to_numpy()
    return build_manifest(pool_unit_ids(unit, labels, None), selected_units, unit_scores, labels if unit == "image" else None)


def reused_source(pool: ImageTable, manifest: pd.DataFrame) -> ImageTable:
    """The manifest's images as a table whose ``label`` is the manifest's ``source_label``:
    classes (and single images) are reused by eq. 6 with it; clusters have no label and are
    reused by eq. 7, which never reads it, so the pool's labels are replaced, not read."""
    source = pool.subset(manifest["row"].to_numpy())
    source.index["label"] = manifest["source_label"].to_numpy()
    return source
