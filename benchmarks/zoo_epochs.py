"""What the zoo's fine-tuning length changes: two zoo reports set side by side on their shared targets.

    python benchmarks/zoo_epochs.py benchmarks/results/zoo_seeds benchmarks/results/zoo_30_epochs [--seed 0]

The first folder is the report at the embedded default (10 epochs), the second one made with
``dvc exp run --temp zoo_report -S zoo.finetune.epochs=30 -S 'zoo.targets=[mnist,greek_lower]'``
(its files copied from the experiment, as docs/zoo.md says). Only the targets and the seed both
hold are compared. Prints, per regime: every score's Spearman ρ (mean over the shared targets)
in each; per regime and target: the mean top-1 of the members' chosen runs, the rank correlation
of the members' accuracies between the two, and the best member in each; the Multi-BN domain
selection's gain over the default member; and how often each rate was chosen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr


def shared(base: pd.DataFrame, other: pd.DataFrame, seed: int, keys: list[str]) -> pd.DataFrame:
    base = base[(base["seed"] == seed) & base["target"].isin(other["target"].unique())]
    return base.merge(other[other["seed"] == seed], on=keys, suffixes=("_base", "_other"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    read = lambda folder, name: pd.read_csv(folder / name)  # noqa: E731
    selection = shared(read(args.base, "selection_per_target.csv"), read(args.other, "selection_per_target.csv"), args.seed,
                       ["score", "target", "regime", "seed"])
    print(f"targets {sorted(selection['target'].unique())}, seed {args.seed}: {args.base} | {args.other}\n")
    print(selection.groupby(["regime", "score"])[["spearman_base", "spearman_other"]].mean().round(2).unstack(0).to_string(), "\n")
    runs = [read(folder, "accuracy.csv") for folder in (args.base, args.other)]
    accuracy = shared(*(r[r["chosen"]] for r in runs), args.seed, ["member", "target", "regime", "seed"])
    for (regime, target), group in accuracy.groupby(["regime", "target"]):
        rho = spearmanr(group["top1_base"], group["top1_other"]).statistic
        best = [group.loc[group[f"top1_{side}"].idxmax(), "member"] for side in ("base", "other")]
        print(f"{regime} {target}: mean top-1 {group['top1_base'].mean():.2f} | {group['top1_other'].mean():.2f}, "
              f"rank correlation of the members {rho:.2f}, best member {best[0]} | {best[1]}")
    domains = shared(read(args.base, "multidomain.csv"), read(args.other, "multidomain.csv"), args.seed, ["score", "target", "regime", "seed"])
    print("\nMulti-BN domain selection, gain over the default member:\n"
          + domains.pivot_table(index="score", columns=["regime", "target"], values=["gain_base", "gain_other"]).round(2).to_string())
    print("\nrate chosen on the shared targets (runs):\n"
          + pd.concat({side: accuracy[f"lr_{side}"].value_counts() for side in ("base", "other")}, axis=1).fillna(0).astype(int).to_string())

if __name__ == "__main__":
    main()
