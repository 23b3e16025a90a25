"""Paired comparisons over seeds: does method A beat method B, or is the difference within noise?

Two methods run on the same seeds (each seed its own target split, fine-tuning order and random
draws) are compared on their per-seed differences d_s = A_s − B_s, which cancel what the seeds
share. For the mean difference this module gives

- a 95% percentile-bootstrap interval: the seeds are resampled with replacement
  (``resamples`` draws from a fixed generator, so the interval is the same on every run);
- a 95% t-interval, mean ± t_{n−1} · sd / √n;
- the exact two-sided Wilcoxon signed-rank p-value, and the seeds on which A wins, ties, loses.

With few seeds the percentile bootstrap is too narrow (it never reaches past the largest
observed difference and ignores that the spread itself is estimated), so the verdict is
conservative: "A beats B" only where *both* intervals exclude zero, and "within noise"
otherwise. With five seeds no rank test can reach p < 0.05 (the exact Wilcoxon minimum is
0.0625); its p-value is reported, not used.

The seeds of one pre-training run share its backbone, so intervals over them say nothing about
another pre-training run of the same recipe. Where the pairs come from several pre-training runs
(a ``pretrain_seed`` beside each ``seed``), the mean is the mean of the runs' mean differences,
and both intervals are over runs: a two-level bootstrap (resample the runs, then the seeds within
each drawn run) and a t-interval over the runs' means, with t_{R−1} for R runs. The verdict again
needs both. ``pretrain_runs`` in every result says which of the two a verdict generalises over: 1,
the fine-tuning seeds of one backbone; R ≥ 2, pre-training runs of the recipe.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reprise.core.errors import InputError

LEVEL = 0.95
RESAMPLES = 10_000
KEY = ("experiment", "target", "setting")  # the columns that name one comparison; seeds pair within it
REQUIRED = (*KEY, "method", "seed")
PRETRAIN_SEED = "pretrain_seed"  # optional: the pre-training run a row's backbone comes from; rows pair by it and seed


def paired_difference(a: Sequence[float], b: Sequence[float], *, runs: Sequence | None = None, level: float = LEVEL, resamples: int = RESAMPLES,
                      seed: int = 0) -> dict:
    """Mean of ``a - b`` over paired seeds with its bootstrap and t intervals, Wilcoxon p, and verdict.

    ``runs`` names the pre-training run of each pair; with two or more distinct runs the mean and
    both intervals are over runs (module docstring). Wilcoxon's p and the wins, ties and losses
    count the pairs.
    """
    from scipy import stats  # here: scipy.stats costs about a second to import

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    if n < 2:
        raise InputError(f"a paired comparison needs at least 2 seeds, got {n}")
    labels = np.zeros(n, dtype=np.int64) if runs is None else pd.factorize(pd.Series(list(runs)), sort=True)[0]
    if len(labels) != n:
        raise InputError(f"{len(labels)} pre-training run labels for {n} paired seeds")
    groups = [d[labels == run] for run in range(labels.max() + 1)]
    tail = (1 - level) / 2
    rng = np.random.default_rng(seed)
    if len(groups) == 1:
        means, centre, spread, count = d[rng.integers(0, n, size=(resamples, n))].mean(axis=1), d.mean(), d.std(ddof=1), n
    else:
        means = _two_level_means(groups, resamples, rng)
        run_means = np.array([g.mean() for g in groups])
        centre, spread, count = run_means.mean(), run_means.std(ddof=1), len(groups)
    boot_low, boot_high = np.quantile(means, [tail, 1 - tail])
    half = stats.t.ppf(1 - tail, count - 1) * spread / np.sqrt(count)
    t_low, t_high = centre - half, centre + half
    p = 1.0 if not d.any() else float(stats.wilcoxon(d, zero_method="zsplit", method="exact" if n <= 50 else "auto").pvalue)
    if boot_low > 0 and t_low > 0:
        verdict = "beats"
    elif boot_high < 0 and t_high < 0:
        verdict = "loses to"
    else:
        verdict = "within noise"
    return {
        "seeds": n, "pretrain_runs": len(groups), "mean": float(centre), "boot_low": float(boot_low), "boot_high": float(boot_high),
        "t_low": float(t_low), "t_high": float(t_high), "wilcoxon_p": p, "wins": int((d > 0).sum()), "ties": int((d == 0).sum()),
        "losses": int((d < 0).sum()), "verdict": verdict,
    }


def _two_level_means(groups: list[np.ndarray], resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples`` two-level bootstrap draws of the mean of run means: each draw picks the runs
    with replacement, then, for every run picked (a run picked twice is resampled twice), its seeds
    with replacement."""
    count = len(groups)
    picked = rng.integers(0, count, size=(resamples, count))
    # within[r][i, j]: run r's seeds resampled for slot j of draw i (used where that slot picked r)
    within = np.stack([g[rng.integers(0, len(g), size=(resamples, count, len(g)))].mean(axis=2) for g in groups])
    return within[picked, np.arange(resamples)[:, None], np.arange(count)[None, :]].mean(axis=1)


def compare(table: pd.DataFrame, *, against: Sequence[str] = ("none", "random"), value: str = "top1") -> pd.DataFrame:
    """Every method of every (experiment, target, setting) against each of ``against``, paired by seed.

    ``table`` has one row per (experiment, target, setting, method, seed) and the column ``value``;
    with a ``pretrain_seed`` column, one row per (..., pretrain_seed, seed), paired on both.
    A method is compared with a reference over the seeds both have (at least 2); a reference
    missing from a comparison is skipped there, and a pair of references is compared once. One row per (comparison, method, reference): the key columns,
    ``method``, ``against`` and the fields of :func:`paired_difference`.
    """
    missing = [c for c in dict.fromkeys((*REQUIRED, value)) if c not in table.columns]
    if missing:
        raise InputError(f"the results have no column {', '.join(map(repr, missing))}; "
                         f"give one row per seed with the columns {', '.join(REQUIRED)}, {value}")
    if value in REQUIRED:
        raise InputError(f"the compared value {value!r} is one of the columns that name a row ({', '.join(REQUIRED)}); "
                         "give a result column, such as top1")
    table = table.assign(**{value: _numbers(table[value], value)})
    pairing = [PRETRAIN_SEED, "seed"] if PRETRAIN_SEED in table.columns else ["seed"]
    repeated = table.duplicated([*KEY, "method", *pairing], keep=False)
    if repeated.any():
        first = table[repeated].iloc[0]
        named = [*KEY, "method", *pairing]
        raise InputError(f"{int(repeated.sum())} rows repeat a ({', '.join(named)}), the first "
                         f"{tuple(first[named])}; keep one row per seed")
    rows = []
    for key, group in table.groupby(list(KEY), sort=False):
        wide = group.pivot(index=pairing, columns="method", values=value)
        for i, reference in enumerate(against):
            if reference not in wide.columns:
                continue
            for method in wide.columns:
                if method == reference or method in against[:i]:  # the same pair, the other way round, is above
                    continue
                both = wide[[method, reference]].dropna()
                if len(both) < 2:
                    continue
                runs = both.index.get_level_values(PRETRAIN_SEED) if PRETRAIN_SEED in pairing else None
                rows.append({**dict(zip(KEY, key)), "method": method, "against": reference,
                             **paired_difference(both[method], both[reference], runs=runs)})
    return pd.DataFrame(rows)


def _numbers(column: pd.Series, name: str) -> pd.Series:
    """A result column as float64; a value that is not a number, or not finite, is an
    :class:`InputError` naming its row (an empty cell is a seed not run, dropped when pairing)."""
    numbers = pd.to_numeric(column, errors="coerce").astype(np.float64)
    bad = (numbers.isna() & column.notna()) | np.isinf(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        shown = repr(column.iloc[row]) if isinstance(column.iloc[row], str) else str(numbers.iloc[row])
        raise InputError(f"{name} of row {row + 1} is {shown}, not a finite number ({int(bad.sum())} such rows); "
                         f"give every {name} as a number")
    return numbers


def plot_intervals(comparison: pd.DataFrame, path, value: str = "top1") -> None:
    """One panel per (experiment, target, setting) and reference: each method's mean paired difference with both intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reprise.core.artifacts import write_figure

    panels = list(comparison.groupby([*KEY, "against"], sort=False))
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.4, 0.9 + 0.45 * max(len(g) for _, g in panels) * len(panels) + 0.6 * len(panels)),
                             squeeze=False)
    for ax, ((experiment, target, setting, reference), group) in zip(axes[:, 0], panels):
        y = np.arange(len(group))[::-1]
        colours = ["tab:green" if v == "beats" else "tab:red" if v == "loses to" else "tab:gray" for v in group["verdict"]]
        ax.hlines(y, group["t_low"], group["t_high"], colors=colours, linewidth=1.5, alpha=0.5, label="t-interval")
        ax.hlines(y, group["boot_low"], group["boot_high"], colors=colours, linewidth=4, label="bootstrap interval")
        ax.scatter(group["mean"], y, color="black", zorder=3, s=14)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y, [f"{m} ({n} seeds" + (f", {r} pre-training runs)" if r > 1 else ")")
                          for m, n, r in zip(group["method"], group["seeds"], group["pretrain_runs"])])
        ax.set_title(f"{experiment}, {target}, {setting}: {value} minus {reference}", fontsize=9)
    axes[-1, 0].set_xlabel(f"paired difference in {value}: 95% bootstrap (thick) and t (thin) intervals\n"
                           "green: beats, red: loses to, grey: within noise")
    fig.tight_layout()
    write_figure(fig, path)
    plt.close(fig)
