"""The manifest: the source images of the selected units, which fine-tuning reuses.

Columns: ``row`` (row of the source pool table), ``unit`` (selected unit id), ``rank`` and
``score`` (the unit's rank, 1 = most similar, and its score), ``source_label`` (the class of
the source head in eq. 6: the unit's position 0..K-1 in rank order when units are classes; the
image's pool class, renumbered over the classes present, when units are single images).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
