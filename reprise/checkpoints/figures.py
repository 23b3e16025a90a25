"""The checkpoint study's figures: FE, FT and source accuracy along pre-training (the paper's
Fig. 1-2), the spectral components (Table 1 and Fig. 5), each score against FT (Fig. 6), and the
t-SNE of target features before and after fine-tuning (Fig. 4)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402

from reprise.checkpoints.analysis import SCORE_NAMES, role_labels, scores_in, signed  # noqa: E402
from reprise.checkpoints.records import CheckpointStudy  # noqa: E402
from reprise.core.artifacts import write_figure  # noqa: E402


def tsne_2d(features: np.ndarray, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """t-SNE (scikit-learn, PCA initialisation) of ``features [n, d]`` to ``[n, 2]``; the
    perplexity is capped below n / 3 so that tiny runs work."""
    n = len(features)
    if n < 3:
        return np.zeros((n, 2), dtype=np.float32)
    perplexity = float(min(perplexity, max(1.0, (n - 1) / 3)))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(np.asarray(features, dtype=np.float32))


def embeddings(studies: dict[int, CheckpointStudy], labels: dict[int, str], perplexity: float) -> pd.DataFrame:
    """t-SNE points of the sampled test images of each checkpoint in ``labels`` (epoch → name),
    before and after fine-tuning: columns ``checkpoint, epoch, model, x, y, label``."""
    frames = []
    for epoch, name in labels.items():
        study = studies[epoch]
        for model, feats in (("pretrained", study.embedding_pretrained), ("finetuned", study.embedding_finetuned)):
            xy = tsne_2d(feats, perplexity)
            frames.append(pd.DataFrame({"checkpoint": name, "epoch": epoch, "model": model, "x": xy[:, 0], "y": xy[:, 1],
                                        "label": study.embedding["label"].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def plot_trajectory(summary: pd.DataFrame, seeds: pd.DataFrame, path: str | Path, title: str) -> None:
    """Fig. 1-2: FE, FT and source accuracy against the pre-training epoch; mean ± std over seeds
    (error bars) and every seed (dots)."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), dpi=120)
    for ax, key, column, name, colour in ((axes[0], "fe", "fe_acc", "FE (frozen features + softmax)", "tab:blue"),
                                          (axes[1], "ft", "ft_acc", "FT (whole model fine-tuned)", "tab:orange")):
        ax.errorbar(summary["epoch"], summary[key], yerr=summary[f"{key}_std"], marker="o", capsize=3, color=colour, label="mean ± std")
        ax.scatter(seeds["epoch"], 100 * seeds[column], s=10, color="grey", alpha=0.6, label="one seed", zorder=3)
        best = summary.loc[summary[key].idxmax()]
        ax.scatter([best["epoch"]], [best[key]], s=120, facecolors="none", edgecolors="red", label="best mean", zorder=4)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("target test top-1 (%)")
    axes[2].plot(summary["epoch"], summary["source"], marker="o", color="tab:green")
    axes[2].set_title("source (held-out pool) accuracy", fontsize=10)
    axes[2].set_ylabel("source top-1 (%)")
    for ax in axes:
        ax.set_xlabel("pre-training epoch")
        ax.set_xticks(summary["epoch"])
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


def plot_tsne(points: pd.DataFrame, accuracy: dict, path: str | Path) -> None:
    """Fig. 4: one row per checkpoint (the best-FE and the last: a 2 × 2 grid), columns before (FE)
    and after fine-tuning (FT); colour = target class. ``accuracy[(epoch, model)]`` (%) goes in
    the panel titles."""
    names = list(dict.fromkeys(points["checkpoint"]))
    fig, axes = plt.subplots(len(names), 2, figsize=(8, 4 * len(names)), dpi=120, squeeze=False)
    cmap = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        for j, model in enumerate(("pretrained", "finetuned")):
            ax = axes[i, j]
            part = points[(points["checkpoint"] == name) & (points["model"] == model)]
            ax.scatter(part["x"], part["y"], c=[cmap(int(label) % 10) for label in part["label"]], s=5)
            epoch = int(part["epoch"].iloc[0])
            task = "before fine-tuning (FE)" if model == "pretrained" else "after fine-tuning (FT)"
            ax.set_title(f"epoch {epoch} ({name}): {task}, {accuracy[(epoch, model)]:.2f}%", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=cmap(k), label=str(k)) for k in range(int(points["label"].max()) + 1)]
    fig.legend(handles=handles, loc="lower center", ncol=10, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    write_figure(fig, path)
    plt.close(fig)


def plot_spectral(table: dict, evolution: pd.DataFrame, path: str | Path) -> None:
    """Table 1 as grouped bars (F, F_m, F_r for FE and FT of each compared checkpoint) and Fig. 5
    (F_m and F_r against the pre-training epoch, before and after fine-tuning, one panel each)."""
    fig, (bars, main, residual) = plt.subplots(1, 3, figsize=(15, 3.9), dpi=120, gridspec_kw={"width_ratios": [1.3, 1, 1]})
    by_epoch = {e["epoch"]: e for e in table.values()}
    labels = role_labels({n: e["epoch"] for n, e in table.items()})
    groups = [(f"ep {epoch} ({name})\n{task}", by_epoch[epoch][task]) for epoch, name in labels.items() for task in ("FE", "FT")]
    width = 0.26
    for i, (part, colour) in enumerate((("F", "tab:grey"), ("F_m", "tab:orange"), ("F_r", "tab:blue"))):
        x = np.arange(len(groups)) + (i - 1) * width
        values = [g[part] for _, g in groups]
        bars.bar(x, values, width, yerr=[g[f"{part}_std"] for _, g in groups], capsize=2, color=colour, label=part)
        for xi, v in zip(x, values):
            bars.text(xi, v + 1.5, f"{v:.1f}", ha="center", fontsize=6)
    bars.set_xticks(np.arange(len(groups)))
    bars.set_xticklabels([name for name, _ in groups], fontsize=7)
    bars.set_ylabel("target test top-1 (%)")
    bars.set_ylim(0, 112)
    bars.legend(fontsize=7, frameon=False, ncol=3, loc="upper center")
    bars.set_title("Table 1: softmax classifiers on F, F_m, F_r", fontsize=10)
    for ax, part, colour in ((main, "F_m", "tab:orange"), (residual, "F_r", "tab:blue")):
        for model, style, task in (("pretrained", "-", "FE"), ("finetuned", "--", "FT")):
            group = evolution[(evolution["model"] == model) & (evolution["part"] == part)]
            ax.errorbar(group["epoch"], group["acc"], yerr=group["std"], linestyle=style, color=colour, marker="o", capsize=2, label=f"{part} ({task})")
        ax.set_xlabel("pre-training epoch")
        ax.set_ylabel("target test top-1 (%)")
        ax.set_xticks(sorted(evolution["epoch"].unique()))
        ax.legend(fontsize=7, frameon=False)
        ax.set_title(f"Fig. 5: {part} along pre-training", fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


def plot_scores(summary: pd.DataFrame, corr: dict, path: str | Path) -> None:
    """Fig. 6: each score against FT accuracy, one point per checkpoint (labelled by epoch)."""
    keys = [*scores_in(summary), "source_val_acc"]
    columns = 4
    rows = -(-len(keys) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 3.2 * rows), dpi=120, squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys):
        x = summary["source"] if key == "source_val_acc" else summary[key]
        ax.scatter(x, summary["ft"], color="tab:purple")
        for xi, yi, epoch in zip(x, summary["ft"], summary["epoch"]):
            ax.annotate(str(epoch), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        tau, r = corr[key]["kendall_tau"], corr[key]["pearson"]
        ax.set_title(f"{SCORE_NAMES[key]}: τ {signed(tau)}, r {signed(r)}", fontsize=9)
        ax.set_xlabel(SCORE_NAMES[key] + (" (%)" if key == "source_val_acc" else ""))
    for ax in axes[:, 0]:
        ax.set_ylabel("FT top-1 (%)")
    fig.suptitle("Each transferability score against FT top-1 across checkpoints (labels: pre-training epoch)", fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


FAR_SOURCE_LINES = ((("source_train_top1", "source, training images"), ("source_val_top1", "source, held out"), ("fe_top1", "FE (target)"),
                     ("ft_top1", "FT (target)")), (("fm_top1", "F_m, FE"), ("fr_top1", "F_r, FE"), ("fe_top1", "F (all), FE")))


def plot_far_source(rows: pd.DataFrame, path: str | Path) -> None:
    """One column a source: top-1 along pre-training (log epochs) of the source (training and
    held-out images) and of the target (FE, FT), then of FE on F_m and F_r (the paper's Fig. 5);
    the mean over pre-training runs, each run a thin line."""
    sources = list(dict.fromkeys(rows["source"]))
    fig, axes = plt.subplots(2, len(sources), figsize=(5 * len(sources), 7), squeeze=False)
    for j, source in enumerate(sources):
        part = rows[rows["source"] == source]
        for i, lines in enumerate(FAR_SOURCE_LINES):
            ax = axes[i, j]
            for k, (column, label) in enumerate(lines):
                colour = f"C{k}"
                for _, run in part.groupby("pretrain_seed"):
                    ax.plot(run["epoch"], run[column], color=colour, linewidth=0.6, alpha=0.35)
                mean = part.groupby("epoch")[column].mean()
                ax.plot(mean.index, mean.to_numpy(), color=colour, marker="o", markersize=3, label=label)
            ax.set_xscale("log")
            ax.set_xlabel("pre-training epoch")
            ax.set_ylabel("top-1 (%)")
            ax.set_title(f"{source}: " + ("source and target" if i == 0 else "spectral components (target, frozen)"), fontsize=9)
            ax.legend(fontsize=7)
    fig.suptitle(f"far-source checkpoints: mean of {rows['pretrain_seed'].nunique()} pre-training runs (thin: each run)", fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)
