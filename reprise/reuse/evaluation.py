"""What the evaluate stage measures of a reuse run: target top-1 of the baseline and the reuse
fine-tuning, the quality of the selection (recall and precision of the target's concept), the
solver's report, and the figures that show them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch

from reprise.core.accuracy import accuracy
from reprise.core.artifacts import write_figure
from reprise.core.checkpoints import linear_head, load_backbone
from reprise.core.images import ImageTable
from reprise.reuse.recall import selection_metrics


def test_accuracy(model_path: str | Path, test: ImageTable, device: torch.device) -> float:
    """Top-1 (0-1) of a fine-tuned checkpoint (backbone + ``target_head``) on the test table."""
    backbone, spec, ckpt = load_backbone(model_path)
    return accuracy(backbone, linear_head(ckpt["target_head"]), test, spec, device)


@dataclass(frozen=True)
class ReuseEvaluation:
    metrics: dict          # results/metrics.json
    curves: pd.DataFrame   # results/curves.csv: run + the fine-tuning log's columns, accuracies in percent
    p1: pd.DataFrame       # results/p1_rank.csv: the scores with their unit table, by rank


def evaluate_reuse(
    top1: dict[str, float], logs: dict[str, pd.DataFrame], scores: pd.DataFrame, units: pd.DataFrame, manifest: pd.DataFrame,
    pool: pd.DataFrame, target_concept: str | None, method: str, unit: str, solver: dict,
) -> ReuseEvaluation:
    """The metrics of a reuse run from its artifacts: ``top1`` (0-1) and fine-tuning ``logs`` per
    run (baseline, reuse), the selection's ``scores``, source ``units`` and ``manifest``; the
    curves carry the logs' accuracies in percent, as the metrics do."""
    metrics = {
        "top1": {run: round(100 * acc, 2) for run, acc in top1.items()},
        "gain": round(100 * (top1["reuse"] - top1["baseline"]), 2),
        "selection": {"method": method, "unit": unit, **selection_metrics(manifest, pool, units, unit, target_concept)},
        "solver": solver,
    }
    curves = pd.concat([log.assign(run=run, train_acc=(100 * log["train_acc"]).round(6), test_acc=(100 * log["test_acc"]).round(6)) for run, log in logs.items()])
    p1 = scores.merge(units.drop(columns=["name"]), on="unit").sort_values("rank")
    return ReuseEvaluation(metrics, curves, p1)


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
    write_figure(fig, path)
    plt.close(fig)


def plot_curves(curves: pd.DataFrame, path: str | Path) -> None:
    """Target loss and test accuracy (%) along fine-tuning, one line per run."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.5), dpi=120)
    for run, part in curves.groupby("run", sort=True):
        loss_ax.plot(part["epoch"], part["target_loss"], label=run)
        tested = part.dropna(subset=["test_acc"])
        acc_ax.plot(tested["epoch"], tested["test_acc"], marker="o", label=run)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("target training loss")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("target test top-1 (%)")
    acc_ax.legend(frameon=False)
    fig.suptitle("Fine-tuning on the target: baseline and reuse runs", fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)
