"""The manifest: the source images of the selected units, which fine-tuning reuses.

Columns: ``row`` (row of the source pool table), ``unit`` (selected unit id), ``rank`` (the
unit's rank, 1 = most similar), ``source_label`` (0..K-1 in rank order: the class index of the
source head in eq. 6 when the unit is a class; the cluster index when it is a cluster).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def build_manifest(pool_units: np.ndarray, selected_units: np.ndarray) -> pd.DataFrame:
    """Rows of the pool whose unit (``pool_units[row]``) is among ``selected_units`` (best first)."""
    rank_of = {int(u): r for r, u in enumerate(selected_units)}
    rows = np.flatnonzero(np.isin(pool_units, selected_units))
    units = pool_units[rows].astype(np.int64)
    source_label = np.array([rank_of[int(u)] for u in units], dtype=np.int64)
    return pd.DataFrame({"row": rows.astype(np.int64), "unit": units, "rank": source_label + 1, "source_label": source_label})
