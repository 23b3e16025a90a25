"""Selection quality on a pool whose units carry concepts: the paper's Table 4 and Fig. 4a.

Recall of a concept in the top K (e.g. CUB: how many of ImageNet's 59 bird classes are among
the 100 selected) for every method and cost, and the same recall as ε_c varies.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from reprise.errors import InputError
from reprise.selection import COSTS, score_units, top_k

SIMILARITY_METHODS = ("greedy", "uot")


def concept_recall(source, target, relevant: np.ndarray, k: int, method: str, cost: str, eps_c: float, **uot) -> tuple[int, int]:
    """Relevant units among the top ``k`` and the number of relevant units in the pool."""
    relevant = np.asarray(relevant, dtype=bool)
    if len(relevant) != len(source):
        raise InputError(f"{len(relevant)} concept flags for {len(source)} source units")
    if not relevant.any():
        raise InputError("no source unit has the concept; check the concept name and the concepts file")
    selected = top_k(score_units(source, target, method, cost=cost, eps_c=eps_c, **uot), k)
    return int(relevant[selected].sum()), int(relevant.sum())


def recall_table(source, target, relevant, k: int, eps_c: float, **uot) -> pd.DataFrame:
    """One row per (method, cost): ``method, cost, eps_c, hits, relevant, recall`` (%).

    Greedy-OT's ranking does not depend on ε_c (it scales every cost alike); UOT uses ``eps_c``.
    """
    rows = []
    for method in SIMILARITY_METHODS:
        for cost in COSTS:
            hits, total = concept_recall(source, target, relevant, k, method, cost, eps_c, **uot)
            rows.append({"method": method, "cost": cost, "eps_c": eps_c if method == "uot" else float("nan"), "hits": hits, "relevant": total, "recall": 100 * hits / total})
    return pd.DataFrame(rows)


def eps_c_sweep(source, target, relevant, k: int, eps_cs, **uot) -> pd.DataFrame:
    """UOT recall for every cost and ε_c, with Greedy-OT's (constant) recall beside it."""
    rows = []
    for cost in COSTS:
        greedy_hits, total = concept_recall(source, target, relevant, k, "greedy", cost, 1.0)
        for eps_c in eps_cs:
            hits, _ = concept_recall(source, target, relevant, k, "uot", cost, eps_c, **uot)
            rows.append({"cost": cost, "eps_c": eps_c, "uot_recall": 100 * hits / total, "greedy_recall": 100 * greedy_hits / total})
    return pd.DataFrame(rows)


def plot_eps_c_sweep(sweep: pd.DataFrame, path: str | Path, title: str) -> None:
    """Recall against ε_c (log axis), one colour per cost; Greedy-OT dashed (Fig. 4a)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=120)
    for i, (cost, part) in enumerate(sweep.groupby("cost", sort=False)):
        colour = f"C{i}"
        ax.plot(part["eps_c"], part["uot_recall"], marker="o", color=colour, label=f"UOT-{cost}")
        ax.axhline(part["greedy_recall"].iloc[0], color=colour, linestyle="--", label=f"Greedy-OT-{cost}")
    ax.set_xscale("log")
    ax.set_xlabel("ε_c")
    ax.set_ylabel("recall in the top K (%)")
    ax.set_ylim(0, 102)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
