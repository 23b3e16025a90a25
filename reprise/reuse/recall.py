"""Selection quality on a pool whose units carry concepts: recall of the target's concept.

Recall of a concept in the top K (e.g. CUB: how many of ImageNet's 59 bird classes are among
the 100 selected, the paper's Table 4) for every method and cost, the same recall as ε_c varies
(Fig. 4a), and the recall and precision of the pipeline's own selection (the evaluate stage).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from reprise.core.artifacts import write_figure
from reprise.core.errors import InputError
from reprise.reuse.cost import COSTS
from reprise.reuse.selection import score_units, top_k

SIMILARITY_METHODS = ("greedy", "uot")


def recall(selected_units: np.ndarray, relevant: np.ndarray) -> tuple[int, int]:
    """Relevant units among ``selected_units`` and the number of relevant units in the pool
    (``relevant[u]``: whether unit ``u`` has the concept)."""
    relevant = np.asarray(relevant, dtype=bool)
    return int(relevant[np.unique(np.asarray(selected_units, dtype=np.int64))].sum()), int(relevant.sum())


def concept_recall(source, target, relevant: np.ndarray, k: int, method: str, cost: str, eps_c: float, **uot) -> tuple[int, int]:
    """Relevant units among the top ``k`` by ``method`` and the number of relevant units."""
    relevant = np.asarray(relevant, dtype=bool)
    if len(relevant) != len(source):
        raise InputError(f"{len(relevant)} concept flags for {len(source)} source units")
    if not relevant.any():
        raise InputError("no source unit has the concept; check the concept name and the concepts file")
    return recall(top_k(score_units(source, target, method, cost=cost, eps_c=eps_c, **uot), k), relevant)


def selection_metrics(manifest: pd.DataFrame, pool: pd.DataFrame, units: pd.DataFrame, unit: str, target_concept: str | None) -> dict:
    """How well the pipeline's selection found the target's concept.

    ``recall``: for class units, the share of the concept's classes among the selected units
    (the paper's Table 4 recall); for clusters and single images, the share of the concept's
    pool images that the selected units hold. ``precision``: the share of selected images of
    the concept. Without a target concept, only the counts.
    """
    selected_units = np.unique(manifest["unit"].to_numpy())
    metrics = {"units_selected": int(len(selected_units)), "images_selected": int(len(manifest))}
    if target_concept is None or "concept" not in pool.columns:
        return metrics
    is_concept = pool["concept"].to_numpy() == target_concept
    hits = int(is_concept[manifest["row"].to_numpy()].sum())
    metrics["precision"] = hits / len(manifest) if len(manifest) else 0.0
    if unit == "class" and "concept" in units.columns:
        relevant = np.zeros(int(units["unit"].max()) + 1, dtype=bool)
        relevant[units.loc[units["concept"] == target_concept, "unit"].to_numpy()] = True
        found, total = recall(selected_units, relevant)
    else:
        found, total = hits, int(is_concept.sum())
    metrics["recall"] = found / max(total, 1)
    return metrics


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
    write_figure(fig, path)
    plt.close(fig)
