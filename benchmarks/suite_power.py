"""How many pre-training runs and fine-tuning seeds the testbed needs: a power estimate from the
runs already made (results/testbed/table1.csv).

    python benchmarks/suite_power.py

For every target and every Table 1 comparison of the paper's claims (UOT against random, plain
fine-tuning, label-based and Greedy-OT; label-based against random), the paired differences
d = A − B of the committed rows give two spreads: within a pre-training run (σ_w, the seeds'
standard deviation around their run's mean, pooled) and between runs (σ_b, the spread of the run
means once the seeds' share of it is taken out). A design of R pre-training runs with S seeds each
measures the mean difference with standard error SE = sqrt(σ_b²/R + σ_w²/(R·S)), and the
t-interval over runs detects, in four cases of five (80% power at the 5% level), a difference of
at least MDE = (t_{0.975, R−1} + t_{0.80, R−1}) · SE (the minimum detectable effect). Its cost is
R backbones and R·S fine-tunings a method. The table shows, for the designs asked, the MDE of
each comparison and the mean over them; where seeds are cheap and runs dear, this is what says
whether the budget buys more seeds or more runs.

Results: benchmarks/results/suite_power.csv (one row a target, comparison and design).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAIRS = (("uot", "random"), ("uot", "none"), ("uot", "label"), ("uot", "greedy"), ("label", "random"))
POWER, LEVEL = 0.80, 0.95


def spreads(d: pd.DataFrame) -> tuple[float, float, int, int]:
    """σ_b and σ_w of paired differences ``d`` (columns ``pretrain_seed, d``), the runs and the seeds a run."""
    groups = d.groupby("pretrain_seed")["d"]
    runs, seeds = groups.ngroups, int(groups.size().median())
    within = float(np.sqrt(groups.var(ddof=1).mean()))
    between = float(np.sqrt(max(0.0, groups.mean().var(ddof=1) - within**2 / seeds))) if runs > 1 else float("nan")
    return between, within, runs, seeds


def mde(between: float, within: float, runs: int, seeds: int) -> float:
    """The minimum detectable effect of R = ``runs`` runs with ``seeds`` seeds each (module docstring)."""
    se = np.sqrt(between**2 / runs + within**2 / (runs * seeds))
    return float((stats.t.ppf(1 - (1 - LEVEL) / 2, runs - 1) + stats.t.ppf(POWER, runs - 1)) * se)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(REPO / "results" / "testbed" / "table1.csv"))
    parser.add_argument("--runs", type=int, nargs="+", default=[3, 5, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 5, 10])
    parser.add_argument("--out", default=str(HERE / "results" / "suite_power.csv"))
    args = parser.parse_args()
    table = pd.read_csv(args.table)
    rows = []
    for target, part in table.groupby("target", sort=False):
        wide = part.pivot_table(index=["pretrain_seed", "seed"], columns="method", values="top1")
        for a, b in PAIRS:
            if a not in wide or b not in wide:
                continue
            d = (wide[a] - wide[b]).rename("d").reset_index()
            between, within, made_runs, made_seeds = spreads(d)
            for runs in args.runs:
                for seeds in args.seeds:
                    rows.append({"target": target, "comparison": f"{a} − {b}", "observed_mean": float(d["d"].mean()), "sigma_between": between,
                                 "sigma_within": within, "measured_runs": made_runs, "measured_seeds": made_seeds, "runs": runs, "seeds": seeds,
                                 "finetunings": runs * seeds, "mde": mde(between, within, runs, seeds)})
    out = pd.DataFrame(rows)
    out.to_csv(args.out, index=False)
    summary = out.groupby(["runs", "seeds"])["mde"].mean().unstack("seeds").round(2)
    print("mean minimum detectable effect (top-1 points) over targets and comparisons, runs × seeds a run:")
    print(summary.to_string())


if __name__ == "__main__":
    main()
