"""The testbed suite's report: every method against plain fine-tuning and random reuse, paired by
seed (:func:`reprise.core.paired.compare`), the mean and spread of each row, and one figure per
sweep beside the paper's (Fig. 3a, 3b, 4b; Tables 1, 2, 3 as interval plots)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from reprise.core.artifacts import write_figure
from reprise.core.paired import plot_intervals

SWEEPS = ("k", "low_data", "deciles", "clusters")


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, 95% t-interval half-width and seeds of ``top1`` per
    (experiment, target, setting, method), in the table's order."""
    grouped = table.groupby(["experiment", "target", "setting", "method"], sort=False)["top1"]
    out = grouped.agg(mean="mean", std="std", seeds="count").reset_index()
    out["ci95"] = stats.t.ppf(0.975, np.maximum(out["seeds"] - 1, 1)) * out["std"] / np.sqrt(out["seeds"])
    return out


REPORTED = ("none", "random")  # the references of paired.csv and the interval figure


def paired(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``comparisons`` (:func:`reprise.core.paired.compare` of the suite's rows, with
    ``none`` and ``random`` first among its references) against ``none`` and ``random``: every
    method against those two within each (experiment, target, setting), in compare's order."""
    return comparisons[comparisons["against"].isin(REPORTED)].reset_index(drop=True)


def plot_sweeps(table: pd.DataFrame, path) -> None:
    """One row per sweep, one column per target: top-1 (mean and 95% t-interval over seeds)
    against the swept quantity; dashed lines: plain fine-tuning and label-based reuse of Table 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweeps = [s for s in SWEEPS if s in set(table["experiment"])]
    targets = list(dict.fromkeys(table["target"]))
    rows = summary(table)
    fig, axes = plt.subplots(len(sweeps), len(targets), figsize=(4 * len(targets), 3 * len(sweeps)), squeeze=False)
    reference = rows[rows["experiment"] == "table1"]
    for i, sweep in enumerate(sweeps):
        for j, target in enumerate(targets):
            ax, part = axes[i, j], rows[(rows["experiment"] == sweep) & (rows["target"] == target)]
            if sweep == "deciles":
                deciles = part[part["method"] != "none"]
                ax.errorbar(np.arange(1, len(deciles) + 1), deciles["mean"], deciles["ci95"], marker="o", capsize=2, label="decile reused")
                ax.axhline(*part.loc[part["method"] == "none", "mean"].head(1), color="gray", linestyle="--", label="no reuse")
                ax.set_xlabel("decile of the pool by UOT score (1: closest)")
            else:
                settings = list(dict.fromkeys(part["setting"]))
                for method, group in part.groupby("method", sort=False):
                    group = group.set_index("setting").reindex(settings)
                    ax.errorbar(np.arange(len(settings)), group["mean"], group["ci95"], marker="o", capsize=2, label=method)
                ax.set_xticks(np.arange(len(settings)), settings, rotation=20, fontsize=7)
                for method, style in (("none", "--"), ("label", ":")):
                    line = reference[(reference["target"] == target) & (reference["method"] == method)]
                    if sweep != "low_data" and len(line):
                        ax.axhline(line["mean"].iloc[0], color="gray", linestyle=style, label=f"{method} (Table 1)")
            ax.set_title(f"{sweep}: {target}", fontsize=9)
            ax.set_ylabel("top-1 (%)")
            ax.legend(fontsize=6)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


def plot_paired(comparison: pd.DataFrame, experiments, path) -> None:
    """The paired intervals of ``experiments`` (Table 1, 1b, 3)."""
    plot_intervals(comparison[comparison["experiment"].isin(experiments)], path)
