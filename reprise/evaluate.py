"""What the evaluate stage measures: target top-1 of fine-tuned models and the quality of the
selection (recall of the target's concept), plus the figures that show them."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from reprise.images import ImageTable
from reprise.models import load_backbone
from reprise.training import accuracy


def test_accuracy(model_path: str | Path, test: ImageTable, device: torch.device) -> float:
    """Top-1 (0-1) of a fine-tuned checkpoint (backbone + ``target_head``) on the test table."""
    backbone, spec, ckpt = load_backbone(model_path)
    state = ckpt["target_head"]
    head = torch.nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    head.load_state_dict(state)
    return accuracy(backbone.to(device), head.to(device), test, spec, device)


def selection_metrics(manifest: pd.DataFrame, pool: pd.DataFrame, units: pd.DataFrame, unit: str, target_concept: str | None) -> dict:
    """How well the selection found the target's concept.

    ``recall``: for class units, the share of the concept's classes among the selected units
    (the paper's Table 4 recall); for clusters, the share of the concept's pool images that the
    selected clusters hold. ``precision``: the share of selected images of the concept.
    """
    selected_units = np.unique(manifest["unit"].to_numpy())
    metrics = {"units_selected": int(len(selected_units)), "images_selected": int(len(manifest))}
    if target_concept is None or "concept" not in pool.columns:
        return metrics
    is_concept = pool["concept"].to_numpy() == target_concept
    concept_images = int(is_concept.sum())
    hits = int(is_concept[manifest["row"].to_numpy()].sum())
    metrics["precision"] = hits / len(manifest) if len(manifest) else 0.0
    if unit == "class" and "concept" in units.columns:
        concept_units = set(units.loc[units["concept"] == target_concept, "unit"])
        metrics["recall"] = len(concept_units & set(selected_units.tolist())) / max(len(concept_units), 1)
    else:
        metrics["recall"] = hits / max(concept_images, 1)
    return metrics


def plot_p1(scores: pd.DataFrame, path: str | Path, target_concept: str | None, title: str) -> None:
    """Score against rank, one colour per concept, the target's concept drawn on top."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ordered = scores.sort_values("rank")
    if "concept" in ordered.columns:
        concepts = sorted(ordered["concept"].unique(), key=lambda c: (c == target_concept, c))
        for concept in concepts:
            part = ordered[ordered["concept"] == concept]
            emphasis = concept == target_concept
            ax.scatter(part["rank"], part["score"], s=18 if emphasis else 8, label=concept, zorder=3 if emphasis else 2, edgecolors="black" if emphasis else "none", linewidths=0.4)
        ax.legend(fontsize=7, ncol=2, frameon=False)
    else:
        ax.scatter(ordered["rank"], ordered["score"], s=8)
    ax.set_xlabel("rank (1 = most similar)")
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curves(curves: pd.DataFrame, path: str | Path) -> None:
    """Target loss and test accuracy along fine-tuning, one line per run."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.5), dpi=120)
    for run, part in curves.groupby("run", sort=True):
        loss_ax.plot(part["epoch"], part["target_loss"], label=run)
        tested = part.dropna(subset=["test_acc"])
        acc_ax.plot(tested["epoch"], 100 * tested["test_acc"], marker="o", label=run)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("target training loss")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("target test top-1 (%)")
    acc_ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
