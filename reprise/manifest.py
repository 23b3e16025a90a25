"""The manifest: the source images of the selected units, which fine-tuning reuses.

Columns: ``row`` (row of the source pool table), ``unit`` (selected unit id), ``rank`` and
``score`` (the unit's rank, 1 = most similar, and its score), ``source_label`` (0..K-1 in rank
order: the class of the source head in eq. 6 when the unit is a class).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def build_manifest(pool_units: np.ndarray, selected_units: np.ndarray, unit_scores: np.ndarray) -> pd.DataFrame:
    """Rows of the pool whose unit (``pool_units[row]``) is among ``selected_units`` (best
    first); ``unit_scores[u]`` is the score of unit ``u``."""
    position = np.full(len(unit_scores), -1, dtype=np.int64)
    position[np.asarray(selected_units, dtype=np.int64)] = np.arange(len(selected_units))
    rows = np.flatnonzero(position[pool_units] >= 0)
    units = pool_units[rows].astype(np.int64)
    source_label = position[units]
    return pd.DataFrame(
        {"row": rows.astype(np.int64), "unit": units, "rank": source_label + 1, "score": unit_scores[units], "source_label": source_label}
    )
