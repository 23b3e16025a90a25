"""The testbed suite's rate and λ, chosen from the ``tuning`` experiment's validation top-1."""

from __future__ import annotations

import pandas as pd


def chosen(tuning: pd.DataFrame, shared: bool) -> pd.DataFrame:
    """Each (target, method)'s rate and λ, from the validation top-1 averaged over the tuning
    seeds (ties to the first tried): per method (``shared`` false, the paper's protocol), or one
    point per target for every method (``shared``: the point best on average over the reusing
    methods; plain fine-tuning takes its rate), so that paired differences are the reused data's
    alone. ``val_top1``: the method's own mean validation top-1 at its point."""
    mean = tuning.groupby(["target", "method", "lr", "lambda"], sort=False)["top1"].mean().reset_index()
    if not shared:
        best = mean.loc[mean.groupby(["target", "method"], sort=False)["top1"].idxmax()]
        return best.rename(columns={"top1": "val_top1"}).reset_index(drop=True)
    rows = []
    for target, group in mean.groupby("target", sort=False):
        reusing = group[group["method"] != "none"]
        pooled = (reusing if len(reusing) else group).groupby(["lr", "lambda"], sort=False)["top1"].mean()
        lr, lam = pooled.idxmax()
        for method, own in group.groupby("method", sort=False):
            point = own[(own["lr"] == lr) & (own["lambda"] == (0.0 if method == "none" else lam))]
            rows.append({"target": target, "method": method, "lr": lr, "lambda": float(point["lambda"].iloc[0]), "val_top1": float(point["top1"].iloc[0])})
    return pd.DataFrame(rows)
