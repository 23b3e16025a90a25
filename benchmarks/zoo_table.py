"""The model-selection tables of docs/zoo.md from a zoo report folder, with paired comparisons.

    python benchmarks/zoo_table.py [results/zoo | benchmarks/results/zoo_seeds] [--against leep]

Prints, as Markdown: the selection table (Spearman ρ, trials to the best member, top-3 gain over
the default member, cost of scoring the whole zoo over one fine-tuning; mean ± std over the
fine-tuning seeds of the mean over targets), the Multi-BN domain selection (gain of the domain a
score ranks first over the default member), every score's Spearman ρ against ``--against``,
paired by seed (the per-seed means over targets) with :mod:`reprise.core.paired`, where the
folder holds at least two seeds, and the fine-tuned accuracy of every member (its chosen rate's
test top-1, mean ± std over seeds; the best of a row in bold) with how often each rate was chosen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from reprise.core.paired import paired_difference

NAMES = {"oracle": "oracle", "leep": "LEEP", "nce": "NCE", "lfc": "LFC", "lgc": "LGC", "logme": "LogME", "rsa": "RSA",
         "feature_metrics": "Feature Metrics", "domain_similarity": "Domain Similarity", "random": "random"}


def cell(mean: float, std: float, seeds: int, digits: int = 2, sign: bool = False) -> str:
    text = f"{mean:+.{digits}f}" if sign else f"{mean:.{digits}f}"
    return text if seeds < 2 else f"{text} ± {std:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="results/zoo")
    parser.add_argument("--against", default="leep", help="the score the others are compared with, paired by seed")
    args = parser.parse_args()
    folder = Path(args.folder)
    per_target = pd.read_csv(folder / "selection_per_target.csv")
    per_seed = per_target.groupby(["regime", "score", "seed"], as_index=False).mean(numeric_only=True)
    seeds = per_seed["seed"].nunique()
    summary = pd.read_csv(folder / "selection.csv").set_index(["regime", "score"])  # zoo.report.summarise, as the report wrote it
    order = sorted(summary.loc["few"].index, key=lambda s: (s != "oracle", s == "random", -summary.loc[("few", s), "spearman"]))
    print(f"{folder}: {seeds} fine-tuning seed(s), {per_target['target'].nunique()} targets\n")
    print("| score | Spearman ρ, few | ρ, full | trials to best, few | trials, full | top-3 gain, few | gain, full | cost, few | cost, full |")
    print("|---|---|---|---|---|---|---|---|---|")
    for score in order:
        row = [NAMES.get(score, score)]
        for metric, digits, sign in (("spearman", 2, False), ("trials_to_best", 2, False), ("top_gain", 2, True), ("relative_cost", 1, False)):
            for regime in ("few", "full"):
                m = summary.loc[(regime, score)]
                row.append(cell(m[metric], m[f"{metric}_std"], seeds, digits, sign))
        print("| " + " | ".join(row) + " |")
    domains = folder / "multidomain.csv"
    if domains.exists():
        gains = pd.read_csv(domains).groupby(["regime", "score", "seed"], as_index=False)["gain"].mean()
        table = gains.groupby(["regime", "score"])["gain"].agg(["mean", "std"])
        print("\n| score | gain of its domain over the default, few | full |\n|---|---|---|")
        for score in order:
            print(f"| {NAMES.get(score, score)} | " + " | ".join(
                cell(table.loc[(r, score), "mean"], table.loc[(r, score), "std"], seeds, 2, True) for r in ("few", "full")) + " |")
    if seeds >= 2:
        print("\n| Spearman ρ, paired by seed | few: mean [t 95%] | verdict | full: mean [t 95%] | verdict |\n|---|---|---|---|---|")
        for score in order:
            if score in (args.against, "oracle", "random"):
                continue
            cells = []
            for regime in ("few", "full"):
                wide = per_seed[per_seed["regime"] == regime].pivot(index="seed", columns="score", values="spearman")
                d = paired_difference(wide[score], wide[args.against])
                cells += [f"{d['mean']:+.2f} [{d['t_low']:+.2f}, {d['t_high']:+.2f}]", d["verdict"]]
            print(f"| {NAMES.get(score, score)} − {NAMES.get(args.against, args.against)} | " + " | ".join(cells) + " |")
    runs = pd.read_csv(folder / "accuracy.csv")
    chosen = runs[runs["chosen"]]
    accuracy = chosen.groupby(["regime", "target", "member"])["top1"].agg(["mean", "std"])
    members = sorted(chosen["member"].unique())
    print("\n| regime, target | " + " | ".join(members) + " |\n|" + "---|" * (len(members) + 1))
    for (regime, target), group in accuracy.groupby(level=[0, 1]):
        group = group.droplevel([0, 1])
        best = group["mean"].idxmax()
        cells = [(f"**{cell(group.loc[m, 'mean'], group.loc[m, 'std'], seeds, 1)}**" if m == best
                  else cell(group.loc[m, "mean"], group.loc[m, "std"], seeds, 1)) for m in members]
        print(f"| {regime}, {target} | " + " | ".join(cells) + " |")
    rates = chosen.groupby("regime")["lr"].value_counts().unstack(fill_value=0)
    print("\nrate chosen on validation (runs):\n" + rates.to_string())


if __name__ == "__main__":
    main()
