"""The model-selection report: the paper's Fig. 4, Fig. 6 and Table 3 in miniature, as tables and
figures. :func:`selection_table` compares each score's ranking of the zoo with the fine-tuned
accuracies: Spearman correlation (Fig. 6b), trials needed to reach the best member (Fig. 6a),
accuracy gain of the best of the top 3 over the default member (Fig. 4), and cost relative to
one fine-tuning (Table 3)."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from scipy.stats import t as t_distribution

from reprise.core.artifacts import write_figure
from reprise.core.score_names import SCORE_LABELS

METRICS = ("spearman", "trials_to_best", "top_gain", "relative_cost")


def regime_order(regime: str) -> tuple:
    """The order regimes are shown in: ``5-shot``, ``20-shot`` (by their number), then the others
    (``few``, ``full``) by name."""
    head = regime.split("-")[0]
    return (0, int(head), "") if head.isdigit() else (1, 0, regime)


def regime_label(regime: str) -> str:
    """A regime as the figures' legends name it, with what the target's training set is in it:
    ``5-shot`` (5 images a class), ``few`` (the default run's few-shot regime), ``full``."""
    shots = regime.split("-")[0]
    if shots.isdigit():
        return f"{regime}: {shots} training images a class"
    return {"few": "few-shot: a few training images a class", "full": "full: every training image"}.get(regime, regime)


def display_name(name: str) -> str:
    """A score or target as the figures write it: ``h_score`` as H-score, ``greek_lower`` as greek lower."""
    return SCORE_LABELS.get(name, name.replace("_", " "))


def selection_table(scores: pd.DataFrame, runs: pd.DataFrame, default_member: str, top: int = 3) -> pd.DataFrame:
    """How well each score picks members, per score, target, regime and fine-tuning seed.

    ``scores``: columns ``member, target, regime, score, value, seconds``; ``runs``: the
    fine-tuning runs of :func:`reprise.zoo.ground_truth.finetune_member` (``member, target,
    regime, seed, lr, top1, seconds, chosen``); a member's accuracy is its chosen run's test top-1.
    Returns columns ``score, target, regime, seed, spearman, trials_to_best, top_gain,
    relative_cost``: rank correlation of score and accuracy over the members; position of the
    most accurate member in the score's ranking (1: the first member tried is the best); best
    accuracy among the ``top`` highest scored members minus the default member's; and, as the
    paper's Table 3, the time to score *the whole zoo* over the time of one fine-tuning (one run)
    of the default member. The ``random`` rows give the expectation of a random ranking (no
    cost), the ``oracle`` rows the ranking by the fine-tuned accuracy itself, whose cost is every
    fine-tuning run of the zoo (every member at every rate).
    """
    rows = []
    chosen = runs[runs["chosen"]]
    for (target, regime, seed), acc in chosen.groupby(["target", "regime", "seed"]):
        acc = acc.set_index("member")["top1"]
        same = (runs["target"] == target) & (runs["regime"] == regime)
        one_finetuning = runs.loc[same & (runs["member"] == default_member), "seconds"].mean()
        zoo_finetuning = runs.loc[same & (runs["seed"] == seed), "seconds"].sum()
        default = acc[default_member]
        best = acc.idxmax()
        members = list(acc.index)
        for name, part in scores[(scores["target"] == target) & (scores["regime"] == regime)].groupby("score"):
            value = part.set_index("member")["value"].reindex(members)
            if value.isna().any():
                continue
            ranking = value.sort_values(ascending=False, kind="stable").index
            rows.append(
                {
                    "score": name,
                    "target": target,
                    "regime": regime,
                    "seed": seed,
                    "spearman": spearmanr(value, acc).statistic,
                    "trials_to_best": int(list(ranking).index(best)) + 1,
                    "top_gain": acc[list(ranking[:top])].max() - default,
                    "relative_cost": part["seconds"].sum() / one_finetuning,
                }
            )
        subsets = list(itertools.combinations(members, min(top, len(members))))
        rows.append({"score": "oracle", "target": target, "regime": regime, "seed": seed, "spearman": 1.0, "trials_to_best": 1,
                     "top_gain": acc.max() - default, "relative_cost": zoo_finetuning / one_finetuning})
        rows.append(
            {
                "score": "random",
                "target": target,
                "regime": regime,
                "seed": seed,
                "spearman": 0.0,
                "trials_to_best": (len(members) + 1) / 2,
                "top_gain": float(np.mean([acc[list(s)].max() for s in subsets])) - default,
                "relative_cost": 0.0,
            }
        )
    return pd.DataFrame(rows)


def score_cost(scores: pd.DataFrame, runs: pd.DataFrame, default_member: str) -> pd.DataFrame:
    """Every score's time on the largest target (the target and regime whose fine-tuning of the
    default member takes longest): ``target, regime, score, member_seconds`` (mean over members
    and runs), ``zoo_seconds`` (the whole zoo, mean over runs), ``finetuning_seconds`` (one
    fine-tuning run of the default member there) and ``finetunings`` (their ratio, the paper's
    Table 3), cheapest first."""
    default = runs[runs["member"] == default_member]
    target, regime = default.groupby(["target", "regime"])["seconds"].mean().idxmax()
    one = float(default.loc[(default["target"] == target) & (default["regime"] == regime), "seconds"].mean())
    here = scores[(scores["target"] == target) & (scores["regime"] == regime)].dropna(subset=["seconds"])
    run = [c for c in ("pretrain_seed",) if c in here.columns]
    zoo = here.groupby(["score", *run])["seconds"].sum().groupby("score").mean()
    table = pd.DataFrame({"target": target, "regime": regime, "member_seconds": here.groupby("score")["seconds"].mean(), "zoo_seconds": zoo,
                          "finetuning_seconds": one, "finetunings": zoo / one})
    return table.rename_axis("score").reset_index().sort_values("finetunings", kind="stable").reset_index(drop=True)[
        ["target", "regime", "score", "member_seconds", "zoo_seconds", "finetuning_seconds", "finetunings"]]


def domain_selection(scores: pd.DataFrame, runs: pd.DataFrame, default_member: str, domain_members: list[str]) -> pd.DataFrame:
    """The paper's Fig. 5: choosing among the multi-domain expert's domains. Per score, target,
    regime and seed, ``gain``: the chosen-rate test top-1 of the domain member the score ranks
    first, minus the default member's; ``oracle`` picks the best domain, ``random`` is the mean
    over the domains. Columns ``score, target, regime, seed, gain`` (no rows without domains)."""
    rows = []
    if not domain_members:
        return pd.DataFrame(rows, columns=["score", "target", "regime", "seed", "gain"])
    chosen = runs[runs["chosen"]]
    for (target, regime, seed), acc in chosen.groupby(["target", "regime", "seed"]):
        acc = acc.set_index("member")["top1"]
        domains, default = acc.reindex(domain_members), acc[default_member]
        for name, part in scores[(scores["target"] == target) & (scores["regime"] == regime)].groupby("score"):
            value = part.set_index("member")["value"].reindex(domain_members)
            if not value.isna().any():
                rows.append({"score": name, "target": target, "regime": regime, "seed": seed, "gain": domains[value.idxmax()] - default})
        rows.append({"score": "oracle", "target": target, "regime": regime, "seed": seed, "gain": domains.max() - default})
        rows.append({"score": "random", "target": target, "regime": regime, "seed": seed, "gain": domains.mean() - default})
    return pd.DataFrame(rows)


def selection_over_runs(scores: pd.DataFrame, runs: pd.DataFrame, default_member: str,
                        domain_members: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`selection_table` and :func:`domain_selection` of every pre-training run apart (the
    ``pretrain_seed`` column of ``scores`` and ``runs``), each row with its run's ``pretrain_seed``
    first: a member's score is only ever set against the same run's fine-tunings."""
    per_target, domains = [], []
    for seed, run_rows in runs.groupby("pretrain_seed", sort=True):
        run_scores = scores[scores["pretrain_seed"] == seed].drop(columns="pretrain_seed")
        run_rows = run_rows.drop(columns="pretrain_seed")
        per_target.append(selection_table(run_scores, run_rows, default_member).assign(pretrain_seed=seed))
        domains.append(domain_selection(run_scores, run_rows, default_member, domain_members).assign(pretrain_seed=seed))
    return _in_order(pd.concat(per_target, ignore_index=True)), _in_order(pd.concat(domains, ignore_index=True))


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``pretrain_seed`` the first column, the rows by regime (:func:`regime_order`), then as they were."""
    rank = {regime: i for i, regime in enumerate(sorted(frame["regime"].unique(), key=regime_order))}
    frame = frame.sort_values("regime", key=lambda column: column.map(rank), kind="stable", ignore_index=True)
    return frame[["pretrain_seed", *[c for c in frame.columns if c != "pretrain_seed"]]]


def summarise(per_target: pd.DataFrame) -> pd.DataFrame:
    """Every metric averaged over the targets, then its mean, standard deviation (``_std``) and
    the half-width of its 95% t-interval (``_half``; NaN with one replicate) over the replicates,
    per score and regime: the pre-training runs where the rows have ``pretrain_seed`` (a run's
    mean over its fine-tuning seeds), else the fine-tuning seeds. Regimes in
    :func:`regime_order`; ``oracle`` first, ``random`` last."""
    replicate = [c for c in ("pretrain_seed", "seed") if c in per_target.columns]
    per_replicate = per_target.groupby(["regime", "score", *replicate], as_index=False)[list(METRICS)].mean()
    if "pretrain_seed" in replicate:
        per_replicate = per_replicate.groupby(["regime", "score", "pretrain_seed"], as_index=False)[list(METRICS)].mean()
    grouped = per_replicate.groupby(["regime", "score"])[list(METRICS)]
    count = grouped.size().to_numpy()[:, None]
    std = grouped.std(ddof=1)
    half = std * t_distribution.ppf(0.975, np.maximum(count - 1, 1)) / np.sqrt(count)
    half = half.where(np.broadcast_to(count > 1, half.shape))
    summary = grouped.mean().join(std.fillna(0.0).add_suffix("_std")).join(half.add_suffix("_half")).reset_index()
    summary["order"] = summary["score"].map({"oracle": 0, "random": 2}).fillna(1)
    summary["regime_order"] = summary["regime"].map(regime_order)
    return summary.sort_values(["regime_order", "order", "score"]).drop(columns=["order", "regime_order"]).reset_index(drop=True)


def report_metrics(summary: pd.DataFrame, domains: pd.DataFrame) -> dict:
    """``results/zoo/metrics.json``: per regime and score, the four metrics of :func:`summarise`;
    with a multi-domain expert, ``multidomain_gain`` per regime and score (mean over targets and
    seeds of :func:`domain_selection`'s gain)."""
    metrics = {regime: {row["score"]: {k: float(row[k]) for k in METRICS} for _, row in part.iterrows()} for regime, part in summary.groupby("regime")}
    if len(domains):
        metrics["multidomain_gain"] = {regime: part.groupby("score")["gain"].mean().to_dict() for regime, part in domains.groupby("regime")}
    return metrics


def headline_metrics(metrics: dict) -> dict:
    """``results/zoo/headline.json``, the few numbers ``dvc exp show`` and ``dvc metrics diff``
    carry: per regime, the Spearman correlation with the fine-tuned accuracy of LFC, of LGC and of
    the best of the other scores (the whole table: ``metrics.json``)."""
    headline = {}
    for regime, scores in metrics.items():
        if regime == "multidomain_gain":
            continue
        others = [v["spearman"] for name, v in scores.items() if name not in ("lfc", "lgc", "oracle", "random")]
        headline[regime] = {"lfc_spearman": scores.get("lfc", {}).get("spearman"), "lgc_spearman": scores.get("lgc", {}).get("spearman"),
                            "best_other_spearman": max(others) if others else None}
    return headline


def plot_gain_heatmap(per_target: pd.DataFrame, path: str | Path) -> None:
    """Gain of the best of the top 3 over the default member, per target (rows) and score
    (columns), one panel per regime (Fig. 4)."""
    regimes = sorted(per_target["regime"].unique(), key=regime_order)
    fig, axes = plt.subplots(len(regimes), 1, figsize=(11, 0.4 + 2.6 * len(regimes)), dpi=120, squeeze=False)
    for ax, regime in zip(axes[:, 0], regimes):
        table = per_target[per_target["regime"] == regime].pivot_table(index="target", columns="score", values="top_gain", aggfunc="mean")
        columns = ["oracle"] + sorted(c for c in table.columns if c not in ("oracle", "random")) + ["random"]
        table = table[[c for c in columns if c in table.columns]]
        limit = max(float(np.nanmax(np.abs(table.to_numpy()))), 0.5)
        image = ax.imshow(table.to_numpy(), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(len(table.columns)), [display_name(c) for c in table.columns], rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(table.index)), [display_name(t) for t in table.index], fontsize=8)
        for (i, j), value in np.ndenumerate(table.to_numpy()):
            ax.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7)
        ax.set_ylabel("target", fontsize=9)
        ax.set_title(regime_label(regime), fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8, label="gain (points of top-1)")
    fig.suptitle("Fine-tuning the best of each score's top 3 members: gain over the default member (Fig. 4)", fontsize=10)
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)


def plot_rankings(summary: pd.DataFrame, path: str | Path) -> None:
    """Spearman correlation with fine-tuned accuracy and trials to reach the best member, per
    score and regime (one colour each, :func:`regime_label`), with the spread over seeds (Fig. 6)."""
    fig, (rho_ax, trials_ax) = plt.subplots(1, 2, figsize=(13, 4.6), dpi=120)
    scores = [s for s in summary["score"].unique() if s != "oracle"]
    regimes = sorted(summary["regime"].unique(), key=regime_order)
    width = 0.8 / len(regimes)
    for r, regime in enumerate(regimes):
        part = summary[summary["regime"] == regime].set_index("score").reindex(scores)
        x = np.arange(len(scores)) + (r - (len(regimes) - 1) / 2) * width
        rho_ax.bar(x, part["spearman"], width, yerr=part["spearman_std"], label=regime_label(regime), capsize=2)
        trials_ax.bar(x, part["trials_to_best"], width, yerr=part["trials_to_best_std"], capsize=2)
    panels = ((rho_ax, "Spearman ρ with fine-tuned top-1", "how well the score ranks the zoo (higher is better)"),
              (trials_ax, "members fine-tuned to reach the best", "fine-tuning in the score's order (lower is better)"))
    for ax, label, title in panels:
        ax.set_xticks(range(len(scores)), [display_name(s) for s in scores], rotation=45, ha="right", fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.set_title(title, fontsize=9)
        ax.axhline(0, color="black", linewidth=0.5)
    fig.legend(*rho_ax.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=len(regimes), fontsize=8,
               frameon=False, title="target training set (error bars: std over seeds)", title_fontsize=8)
    fig.suptitle("Choosing a zoo member by its transferability score (Fig. 6)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.89))
    write_figure(fig, path)
    plt.close(fig)
