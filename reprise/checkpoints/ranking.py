"""How well each transferability score ranks a pre-training run's checkpoints (the
inadequately-pretrained-checkpoints paper §4.5, with the newer scores): Kendall τ across the kept
checkpoints between the score and the FE or FT top-1, within each pre-training run, then its mean
and 95% t-interval over the runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau
from scipy.stats import t as t_distribution

AGAINST = {"ft_top1": "FT", "fe_top1": "FE"}


def run_taus(rows: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """``source, pretrain_seed, score, against, kendall_tau``: within each (source, run), τ across
    its checkpoints between a score (``scores``: ``source, pretrain_seed, epoch, score, value``)
    and the accuracy ``against`` (a column of :data:`AGAINST` in ``rows``); NaN where a series is
    constant or a score undefined."""
    merged = scores.merge(rows[["source", "pretrain_seed", "epoch", *AGAINST]], on=["source", "pretrain_seed", "epoch"], how="inner")
    out = []
    for (source, run, score), part in merged.groupby(["source", "pretrain_seed", "score"], sort=False):
        for column, name in AGAINST.items():
            x, y = part["value"].to_numpy(), part[column].to_numpy()
            defined = np.all(np.isfinite(x)) and len(x) > 1 and np.ptp(x) > 0 and np.ptp(y) > 0
            out.append({"source": source, "pretrain_seed": run, "score": score, "against": name,
                        "kendall_tau": float(kendalltau(x, y).statistic) if defined else float("nan")})
    return pd.DataFrame(out)


def tau_summary(taus: pd.DataFrame) -> pd.DataFrame:
    """``source, against, score, kendall_tau, kendall_tau_half, kendall_tau_lo, kendall_tau_hi, runs``:
    τ's mean over the runs where it is defined and the half-width of its 95% t-interval (NaN with
    one run), best score first within each (source, against)."""
    out = []
    for (source, against, score), part in taus.groupby(["source", "against", "score"], sort=False):
        values = part["kendall_tau"].dropna().to_numpy()
        mean = float(values.mean()) if len(values) else float("nan")
        half = float(t_distribution.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
        out.append({"source": source, "against": against, "score": score, "kendall_tau": mean, "kendall_tau_half": half,
                    "kendall_tau_lo": mean - half, "kendall_tau_hi": mean + half, "runs": len(values)})
    table = pd.DataFrame(out)
    return table.sort_values(["source", "against", "kendall_tau"], ascending=[True, False, False], kind="stable").reset_index(drop=True)
