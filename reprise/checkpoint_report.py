"""The checkpoint study's report: FE and FT along the pre-training run, whether the paper's
finding holds, the spectral table, the transferability correlations and the figures.

Reads the per-checkpoint artifacts of :mod:`reprise.trajectory` and reproduces, in miniature,
the inadequately-pretrained-checkpoints paper's Fig. 1-2 (FE, FT and source accuracy against
the pre-training epoch, mean ± standard deviation over seeds), Table 1 and Fig. 5 (softmax
classifiers on F_m and F_r for the best-FE and the last checkpoint, before and after
fine-tuning, and F_m / F_r along the run), Fig. 4 (t-SNE of target features) and §4.5 / Fig. 6
(Pearson r and Kendall τ between each transferability score and FT accuracy across checkpoints).

Accuracies in the report are percentages. "Last" is the highest studied epoch.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import kendalltau, pearsonr  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402

from reprise.artifacts import atomic_path, write_csv, write_json  # noqa: E402
from reprise.trajectory import CheckpointStudy, study_dir  # noqa: E402

SCORES = ("logme", "leep", "nce")
SCORE_NAMES = {"logme": "LogME", "leep": "LEEP", "nce": "NCE", "source_val_acc": "source accuracy"}


def load_studies(epochs: list[int], root: str | Path) -> dict[int, CheckpointStudy]:
    """The study of every epoch, read from ``<root>/epoch_<N>/`` (a missing one is an InputError)."""
    return {epoch: CheckpointStudy.read(study_dir(epoch, root)) for epoch in epochs}


def _finite(x: float) -> float | None:
    """A JSON-safe number: NaN/Inf become None."""
    return float(x) if x is not None and math.isfinite(x) else None


def _mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def trajectory_summary(seeds: pd.DataFrame) -> pd.DataFrame:
    """One row per epoch: ``source`` (%), ``fe``, ``fe_std``, ``ft``, ``ft_std`` (%, mean and
    sample standard deviation over seeds), the mean of every score, and ``seeds``."""
    rows = []
    for epoch, part in seeds.groupby("epoch", sort=True):
        fe, fe_std = _mean_std(100 * part["fe_acc"])
        ft, ft_std = _mean_std(100 * part["ft_acc"])
        row = {"epoch": int(epoch), "source": 100 * float(part["source_val_acc"].iloc[0]), "fe": fe, "fe_std": fe_std, "ft": ft, "ft_std": ft_std}
        for score in SCORES:
            row[score], row[f"{score}_std"] = _mean_std(part[score])
        row["seeds"] = len(part)
        rows.append(row)
    return pd.DataFrame(rows)


def _per_seed(seeds: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` as a table epoch × seed."""
    return seeds.pivot(index="epoch", columns="seed", values=column).sort_index()


def _trend(x, y) -> float | None:
    return _finite(kendalltau(x, y).statistic) if len(x) > 1 else None


def finding(seeds: pd.DataFrame) -> dict:
    """Whether the paper's finding holds: the best feature extractor is a checkpoint before the
    last (by more than the spread over seeds) while fine-tuning does better from the last
    checkpoint than from that best-FE one (by more than the spread).

    Gaps are paired by seed (each seed has its own target split): ``fe_gap`` = FE(best-FE) −
    FE(last), ``ft_gain`` = FT(last) − FT(best-FE), in points, mean and standard deviation over
    seeds. ``fe_trend`` / ``ft_trend``: Kendall τ between the epoch and the mean accuracy.
    """
    summary = trajectory_summary(seeds)
    epochs = summary["epoch"].tolist()
    last = epochs[-1]
    best_fe = int(summary.loc[summary["fe"].idxmax(), "epoch"])
    best_ft = int(summary.loc[summary["ft"].idxmax(), "epoch"])
    fe, ft = _per_seed(seeds, "fe_acc") * 100, _per_seed(seeds, "ft_acc") * 100
    fe_gap, fe_gap_std = _mean_std(fe.loc[best_fe] - fe.loc[last])
    ft_gain, ft_gain_std = _mean_std(ft.loc[last] - ft.loc[best_fe])
    fe_middle = best_fe != last and fe_gap > fe_gap_std
    ft_later = best_fe != last and ft_gain > ft_gain_std
    return {
        "epochs": epochs,
        "last_epoch": last,
        "best_fe_epoch": best_fe,
        "best_ft_epoch": best_ft,
        "fe_gap_best_minus_last": fe_gap,
        "fe_gap_std": fe_gap_std,
        "ft_gain_last_minus_best_fe": ft_gain,
        "ft_gain_std": ft_gain_std,
        "fe_trend_kendall_tau": _trend(epochs, summary["fe"]),
        "ft_trend_kendall_tau": _trend(epochs, summary["ft"]),
        "fe_best_before_last": bool(fe_middle),
        "ft_better_from_last": bool(ft_later),
        "holds": bool(fe_middle and ft_later),
    }


def finding_statement(f: dict, summary: pd.DataFrame) -> str:
    """The finding in one plain sentence, with its numbers."""
    row = summary.set_index("epoch")
    best, last = f["best_fe_epoch"], f["last_epoch"]
    fe = lambda e: f"{row.loc[e, 'fe']:.2f} ± {row.loc[e, 'fe_std']:.2f}"  # noqa: E731
    ft = lambda e: f"{row.loc[e, 'ft']:.2f} ± {row.loc[e, 'ft_std']:.2f}"  # noqa: E731
    if len(f["epochs"]) < 2:
        return (f"Only one checkpoint was studied (epoch {last}: FE {fe(last)}%, FT {ft(last)}%); the paper's finding "
                "compares checkpoints along a run, so list at least two in checkpoints.epochs.")
    if best == last:
        return (f"The paper's finding does not hold here: the best feature extractor is the last checkpoint "
                f"(epoch {last}, FE {fe(last)}%), so no middle checkpoint beats it; FT is best at epoch "
                f"{f['best_ft_epoch']} ({ft(f['best_ft_epoch'])}%). Trends over epochs (Kendall τ): FE "
                f"{f['fe_trend_kendall_tau']:+.2f}, FT {f['ft_trend_kendall_tau']:+.2f}.")
    verdict = "holds" if f["holds"] else "does not hold clearly"
    return (f"The paper's finding {verdict} here: FE is best at epoch {best} ({fe(best)}%) against {fe(last)}% at the "
            f"last epoch {last} (paired gap {f['fe_gap_best_minus_last']:+.2f} ± {f['fe_gap_std']:.2f} points), while FT from "
            f"the last checkpoint gives {ft(last)}% against {ft(best)}% from epoch {best} (paired gain "
            f"{f['ft_gain_last_minus_best_fe']:+.2f} ± {f['ft_gain_std']:.2f} points).")


def correlations(seeds: pd.DataFrame, against: str = "ft_acc") -> dict:
    """§4.5: Pearson r and Kendall τ between each score (and the source accuracy) and ``against``
    across checkpoints, on the means over seeds; ``kendall_tau_per_seed`` has τ within each seed
    (its own split), with their mean and standard deviation. None where undefined (fewer than
    two checkpoints, a constant series, a score that is NaN, e.g. LEEP without a source head)."""
    means = seeds.groupby("epoch", sort=True).mean(numeric_only=True)
    out = {}
    for score in (*SCORES, "source_val_acc"):
        x, y = means[score].to_numpy(), means[against].to_numpy()
        entry = {"pearson": None, "kendall_tau": None, "kendall_tau_per_seed": [], "kendall_tau_seed_mean": None, "kendall_tau_seed_std": None}
        if len(x) > 1 and np.all(np.isfinite(x)) and np.ptp(x) > 0 and np.ptp(y) > 0:
            entry["pearson"] = _finite(pearsonr(x, y).statistic)
            entry["kendall_tau"] = _finite(kendalltau(x, y).statistic)
            per_seed = []
            for _, part in seeds.groupby("seed", sort=True):
                part = part.sort_values("epoch")
                per_seed.append(_finite(kendalltau(part[score], part[against]).statistic))
            entry["kendall_tau_per_seed"] = per_seed
            valid = [t for t in per_seed if t is not None]
            if valid:
                entry["kendall_tau_seed_mean"], entry["kendall_tau_seed_std"] = _mean_std(valid)
        out[score] = entry
    return out


def spectral_evolution(spectral: pd.DataFrame) -> pd.DataFrame:
    """Fig. 5 data: per ``epoch, model, part``, the accuracy (%) mean and std over seeds and the
    mean rank k of F_m."""
    rows = []
    for (epoch, model, part), group in spectral.groupby(["epoch", "model", "part"], sort=True):
        acc, std = _mean_std(100 * group["acc"])
        rows.append({"epoch": int(epoch), "model": model, "part": part, "acc": acc, "std": std, "k_mean": float(group["k_mean"].mean())})
    return pd.DataFrame(rows)


def checkpoint_roles(found: dict) -> dict[str, int]:
    """The checkpoints that Table 1 and Fig. 4 compare: the best feature extractor (``best_fe``)
    and the last one (``last``), as in the paper; where they coincide, the first studied
    checkpoint (``first``) too, so that an early checkpoint still faces a late one."""
    roles = {"best_fe": found["best_fe_epoch"], "last": found["last_epoch"]}
    if roles["best_fe"] == roles["last"] and found["epochs"][0] != roles["last"]:
        roles = {"first": found["epochs"][0], **roles}
    return roles


def spectral_table(summary: pd.DataFrame, evolution: pd.DataFrame, roles: dict[str, int]) -> dict:
    """Table 1 in miniature: for each checkpoint of ``roles`` (name → epoch), the source accuracy
    and, for FE (the pre-trained features) and FT (the fine-tuned model), the whole-feature
    accuracy (the FE classifier; the fine-tuned model itself) and the classifiers retrained on
    F_m and F_r (%, mean and std over seeds), with the mean rank k of F_m."""
    row = summary.set_index("epoch")
    table = {}
    for name, epoch in roles.items():
        entry = {"epoch": int(epoch), "source": float(row.loc[epoch, "source"])}
        for task, model, whole in (("FE", "pretrained", "fe"), ("FT", "finetuned", "ft")):
            part = evolution[(evolution["epoch"] == epoch) & (evolution["model"] == model)].set_index("part")
            entry[task] = {"F": float(row.loc[epoch, whole]), "F_std": float(row.loc[epoch, f"{whole}_std"]),
                           "F_m": float(part.loc["F_m", "acc"]), "F_m_std": float(part.loc["F_m", "std"]),
                           "F_r": float(part.loc["F_r", "acc"]), "F_r_std": float(part.loc["F_r", "std"]),
                           "k_mean": float(part.loc["F_m", "k_mean"])}
        table[name] = entry
    return table


def role_labels(roles: dict[str, int]) -> dict[int, str]:
    """Each distinct epoch of ``roles`` with its role names, e.g. ``{1: "first", 16: "best FE, last"}``."""
    labels: dict[int, list[str]] = {}
    for name, epoch in roles.items():
        labels.setdefault(epoch, []).append(name.replace("best_fe", "best FE"))
    return {epoch: ", ".join(names) for epoch, names in labels.items()}


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


# ---------------------------------------------------------------- series for DVC plots


def trajectory_series(summary: pd.DataFrame) -> pd.DataFrame:
    """Long table ``epoch, series, acc, std`` with series FE, FT and source (%)."""
    parts = [summary.assign(series="FE", acc=summary["fe"], std=summary["fe_std"]),
             summary.assign(series="FT", acc=summary["ft"], std=summary["ft_std"]),
             summary.assign(series="source", acc=summary["source"], std=0.0)]
    return pd.concat(parts)[["epoch", "series", "acc", "std"]].sort_values(["series", "epoch"]).reset_index(drop=True)


def spectral_series(evolution: pd.DataFrame) -> pd.DataFrame:
    """Long table ``epoch, series, acc, std, k_mean`` with series like ``F_m (FE)``, ``F_r (FT)``."""
    label = {"pretrained": "FE", "finetuned": "FT"}
    out = evolution.assign(series=evolution["part"] + " (" + evolution["model"].map(label) + ")")
    return out[["epoch", "series", "acc", "std", "k_mean"]].sort_values(["series", "epoch"]).reset_index(drop=True)


def score_series(summary: pd.DataFrame) -> pd.DataFrame:
    """Long table ``epoch, series, value, std, ft`` of every score with the FT accuracy (%)."""
    parts = [summary.assign(series=SCORE_NAMES[s], value=summary[s], std=summary[f"{s}_std"]) for s in SCORES]
    return pd.concat(parts)[["epoch", "series", "value", "std", "ft"]].sort_values(["series", "epoch"]).reset_index(drop=True)


# ---------------------------------------------------------------- figures


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
    fig.savefig(path)
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
    fig.savefig(path)
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
    fig.savefig(path)
    plt.close(fig)


def plot_scores(summary: pd.DataFrame, corr: dict, path: str | Path) -> None:
    """Fig. 6: each score against FT accuracy, one point per checkpoint (labelled by epoch)."""
    keys = [*SCORES, "source_val_acc"]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.4 * len(keys), 3.4), dpi=120)
    for ax, key in zip(axes, keys):
        x = summary["source"] if key == "source_val_acc" else summary[key]
        ax.scatter(x, summary["ft"], color="tab:purple")
        for xi, yi, epoch in zip(x, summary["ft"], summary["epoch"]):
            ax.annotate(str(epoch), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        tau, r = corr[key]["kendall_tau"], corr[key]["pearson"]
        fmt = lambda v: "n/a" if v is None else f"{v:+.2f}"  # noqa: E731
        ax.set_title(f"{SCORE_NAMES[key]}: τ {fmt(tau)}, r {fmt(r)}", fontsize=9)
        ax.set_xlabel(SCORE_NAMES[key] + (" (%)" if key == "source_val_acc" else ""))
    axes[0].set_ylabel("FT top-1 (%)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown_summary(summary: pd.DataFrame, statement: str, table: dict, evolution: pd.DataFrame, corr: dict, setup: dict) -> str:
    """The report as Markdown tables (the numbers of metrics.json, readable)."""
    lines = [f"# Checkpoint study: {setup['target']}, {setup['labels_per_class']} labels a class, seeds {setup['seeds']}", "", statement, "",
             "| pre-training epoch | source top-1 (%) | FE top-1 (%) | FT top-1 (%) | LogME | LEEP | NCE |", "|---|---|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        lines.append(f"| {int(r['epoch'])} | {r['source']:.2f} | {r['fe']:.2f} ± {r['fe_std']:.2f} | {r['ft']:.2f} ± {r['ft_std']:.2f} | "
                     f"{r['logme']:.3f} | {r['leep']:.3f} | {r['nce']:.3f} |")
    lines += ["", "Spectral components (Table 1): softmax classifiers on the whole features F (FE: the retrained classifier; FT: the "
              "fine-tuned model), on F_m and on F_r; top-1 %, mean ± std over seeds; k = mean rank of F_m over the batches.", "",
              "| checkpoint | source top-1 | FE: F | FE: F_m | FE: F_r | FT: F | FT: F_m | FT: F_r |", "|---|---|---|---|---|---|---|---|"]
    cell = lambda d, p: f"{d[p]:.2f} ± {d[p + '_std']:.2f}" + (f" (k {d['k_mean']:.1f})" if p == "F_m" else "")  # noqa: E731
    by_epoch = {e["epoch"]: e for e in table.values()}
    for epoch, name in role_labels({n: e["epoch"] for n, e in table.items()}).items():
        e = by_epoch[epoch]
        lines.append(f"| epoch {epoch} ({name}) | {e['source']:.2f} | " + " | ".join(cell(e[t], p) for t in ("FE", "FT") for p in ("F", "F_m", "F_r")) + " |")
    lines += ["", "F_m and F_r along pre-training (Fig. 5; top-1 %, mean ± std over seeds):", "",
              "| pre-training epoch | F_m (FE) | F_r (FE) | F_m (FT) | F_r (FT) | k (FE) |", "|---|---|---|---|---|---|"]
    for epoch, group in evolution.groupby("epoch", sort=True):
        g = group.set_index(["model", "part"])
        fmt_cell = lambda m, p: f"{g.loc[(m, p), 'acc']:.2f} ± {g.loc[(m, p), 'std']:.2f}"  # noqa: E731
        lines.append(f"| {epoch} | {fmt_cell('pretrained', 'F_m')} | {fmt_cell('pretrained', 'F_r')} | {fmt_cell('finetuned', 'F_m')} | "
                     f"{fmt_cell('finetuned', 'F_r')} | {g.loc[('pretrained', 'F_m'), 'k_mean']:.1f} |")
    lines += ["", "Transferability scores against FT top-1 across checkpoints (§4.5):", "", "| score | Pearson r | Kendall τ | τ per seed |", "|---|---|---|---|"]
    fmt = lambda v: "n/a" if v is None else f"{v:+.2f}"  # noqa: E731
    for key, entry in corr.items():
        lines.append(f"| {SCORE_NAMES[key]} | {fmt(entry['pearson'])} | {fmt(entry['kendall_tau'])} | {', '.join(fmt(t) for t in entry['kendall_tau_per_seed']) or 'n/a'} |")
    return "\n".join(lines) + "\n"


def json_safe(value):
    """Nested metrics with NaN/Inf as None, numpy scalars as Python numbers, floats to 4 places."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def write_report(studies: dict[int, CheckpointStudy], target: str, labels_per_class: int, perplexity: float, out_dir: str | Path) -> str:
    """Write the whole report under ``out_dir`` and return the finding as a sentence.

    ``metrics.json`` (setup, finding, trajectory per epoch, spectral table, correlations of
    every score with FT and with FE), ``summary.md`` (the same as tables), the DVC plot series
    ``trajectory.csv``, ``spectral.csv``, ``scores.csv`` and the figures ``trajectory.png``,
    ``spectral.png``, ``scores.png``, ``tsne.png``.
    """
    out = Path(out_dir)
    seeds = pd.concat([s.seeds for s in studies.values()], ignore_index=True)
    spectral = pd.concat([s.spectral for s in studies.values()], ignore_index=True)
    summary = trajectory_summary(seeds)
    found = finding(seeds)
    statement = finding_statement(found, summary)
    evolution = spectral_evolution(spectral)
    roles = checkpoint_roles(found)
    table = spectral_table(summary, evolution, roles)
    corr = correlations(seeds, "ft_acc")
    setup = {"target": target, "labels_per_class": labels_per_class, "train_images": int(seeds["train_images"].iloc[0]),
             "test_images": int(seeds["test_images"].iloc[0]), "seeds": sorted(seeds["seed"].unique().tolist()), "epochs": found["epochs"]}
    trajectory = {f"epoch_{int(r['epoch'])}": {k: r[k] for k in ("source", "fe", "fe_std", "ft", "ft_std", *SCORES)} for _, r in summary.iterrows()}
    metrics = {"setup": setup, "finding": found, "trajectory": trajectory, "spectral": table,
               "transferability_vs_ft": corr, "transferability_vs_fe": correlations(seeds, "fe_acc")}
    write_json(json_safe(metrics), out / "metrics.json")

    write_csv(trajectory_series(summary), out / "trajectory.csv")
    write_csv(spectral_series(evolution), out / "spectral.csv")
    write_csv(score_series(summary), out / "scores.csv")
    plot_trajectory(summary, seeds, out / "trajectory.png", f"{target}, {labels_per_class} labels a class, {len(setup['seeds'])} seeds")
    plot_spectral(table, evolution, out / "spectral.png")
    plot_scores(summary, corr, out / "scores.png")
    labels = role_labels(roles)
    points = embeddings(studies, labels, perplexity)
    accuracy = {(epoch, model): float(summary.set_index("epoch").loc[epoch, key]) for epoch in labels for model, key in (("pretrained", "fe"), ("finetuned", "ft"))}
    plot_tsne(points, accuracy, out / "tsne.png")
    with atomic_path(out / "summary.md") as tmp:
        tmp.write_text(markdown_summary(summary, statement, table, evolution, corr, setup))
    return statement
