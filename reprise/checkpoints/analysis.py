"""The analysis across the studied checkpoints: FE and FT along the pre-training run, whether the
paper's finding holds (paired by seed), the spectral table, the transferability correlations,
the long series that DVC plots, and the Markdown summary.

Reads the per-checkpoint records (:mod:`reprise.checkpoints.records`) and reproduces, in
miniature, the inadequately-pretrained-checkpoints paper's Fig. 1-2 (FE, FT and source accuracy
against the pre-training epoch, mean ± standard deviation over seeds), Table 1 and Fig. 5
(softmax classifiers on F_m and F_r for the best-FE and the last checkpoint, before and after
fine-tuning, and F_m / F_r along the run) and §4.5 / Fig. 6 (Pearson r and Kendall τ between
each transferability score and FT accuracy across checkpoints). The figures:
:mod:`reprise.checkpoints.figures`.

Accuracies in the report are percentages. "Last" is the highest studied epoch.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, pearsonr

from reprise.core.paired import paired_difference
from reprise.core.score_names import SCORE_LABELS

SCORE_NAMES = {**SCORE_LABELS, "source_val_acc": "source accuracy"}


def scores_in(frame: pd.DataFrame) -> list[str]:
    """The transferability scores ``frame`` has a column of (:mod:`reprise.checkpoints.scoring`),
    in the reports' order."""
    return [score for score in SCORE_LABELS if score in frame.columns]


def _finite(x: float) -> float | None:
    """A JSON-safe number: NaN/Inf become None."""
    return float(x) if x is not None and math.isfinite(x) else None


def signed(value: float | None) -> str:
    """A correlation or trend for people: ``+0.47``, or ``n/a`` where it is undefined (None)."""
    return "n/a" if value is None else f"{value:+.2f}"


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
        for score in scores_in(seeds):
            row[score], row[f"{score}_std"] = _mean_std(part[score])
        row["seeds"] = len(part)
        rows.append(row)
    return pd.DataFrame(rows)


def per_seed(seeds: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` as a table epoch × seed (the pairing of every paired difference of the study)."""
    return seeds.pivot(index="epoch", columns="seed", values=column).sort_index()


def _trend(x, y) -> float | None:
    return _finite(kendalltau(x, y).statistic) if len(x) > 1 else None


def finding(seeds: pd.DataFrame) -> dict:
    """Whether the paper's finding holds: the best feature extractor is a checkpoint before the
    last while fine-tuning does better from the last checkpoint than from that best-FE one, each
    a paired difference over seeds whose 95% intervals exclude zero (:mod:`reprise.core.paired`;
    one seed can never show it).

    Gaps are paired by seed (each seed has its own target split): ``fe_gap`` = FE(best-FE) −
    FE(last), ``ft_gain`` = FT(last) − FT(best-FE), in points: mean, standard deviation over seeds
    and the 95% t-interval (``_low``, ``_high``). ``fe_trend`` / ``ft_trend``: Kendall τ between
    the epoch and the mean accuracy.
    """
    summary = trajectory_summary(seeds)
    epochs = summary["epoch"].tolist()
    last = epochs[-1]
    best_fe = int(summary.loc[summary["fe"].idxmax(), "epoch"])
    best_ft = int(summary.loc[summary["ft"].idxmax(), "epoch"])
    fe, ft = per_seed(seeds, "fe_acc") * 100, per_seed(seeds, "ft_acc") * 100
    fe_gap, ft_gain = _paired(fe.loc[best_fe], fe.loc[last]), _paired(ft.loc[last], ft.loc[best_fe])
    fe_middle = best_fe != last and fe_gap["verdict"] == "beats"
    ft_later = best_fe != last and ft_gain["verdict"] == "beats"
    return {
        "epochs": epochs,
        "last_epoch": last,
        "best_fe_epoch": best_fe,
        "best_ft_epoch": best_ft,
        **{f"fe_gap_best_minus_last{k}": v for k, v in fe_gap.items() if k != "verdict"},
        **{f"ft_gain_last_minus_best_fe{k}": v for k, v in ft_gain.items() if k != "verdict"},
        "fe_trend_kendall_tau": _trend(epochs, summary["fe"]),
        "ft_trend_kendall_tau": _trend(epochs, summary["ft"]),
        "fe_best_before_last": bool(fe_middle),
        "ft_better_from_last": bool(ft_later),
        "holds": bool(fe_middle and ft_later),
    }


def _paired(a: pd.Series, b: pd.Series) -> dict:
    """``a - b`` paired by seed: "" (the mean), "_std", "_low", "_high" (95% t-interval; None with one
    seed) and the verdict of :func:`reprise.core.paired.paired_difference`."""
    mean, std = _mean_std(a - b)
    if len(a) < 2 or a.equals(b):
        return {"": mean, "_std": std, "_low": None, "_high": None, "verdict": "within noise"}
    found = paired_difference(a, b)
    return {"": mean, "_std": std, "_low": found["t_low"], "_high": found["t_high"], "verdict": found["verdict"]}


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
                f"{signed(f['fe_trend_kendall_tau'])}, FT {signed(f['ft_trend_kendall_tau'])}.")
    verdict = "holds" if f["holds"] else "does not hold clearly"
    return (f"The paper's finding {verdict} here: FE is best at epoch {best} ({fe(best)}%) against {fe(last)}% at the "
            f"last epoch {last} (paired gap {_interval(f, 'fe_gap_best_minus_last')} points), while FT from "
            f"the last checkpoint gives {ft(last)}% against {ft(best)}% from epoch {best} (paired gain "
            f"{_interval(f, 'ft_gain_last_minus_best_fe')} points; 95% t-intervals over seeds, a difference counts only "
            "where its interval excludes zero).")


def _interval(f: dict, name: str) -> str:
    if f[f"{name}_low"] is None:
        return f"{f[name]:+.2f} (one seed: no interval)"
    return f"{f[name]:+.2f} [{f[f'{name}_low']:+.2f}, {f[f'{name}_high']:+.2f}]"


def correlations(seeds: pd.DataFrame, against: str = "ft_acc") -> dict:
    """§4.5: Pearson r and Kendall τ between each score (and the source accuracy) and ``against``
    across checkpoints, on the means over seeds; ``kendall_tau_per_seed`` has τ within each seed
    (its own split), with their mean and standard deviation. None where undefined (fewer than
    two checkpoints, a constant series, a score that is NaN, e.g. LEEP without a source head)."""
    means = seeds.groupby("epoch", sort=True).mean(numeric_only=True)
    out = {}
    for score in (*scores_in(seeds), "source_val_acc"):
        x, y = means[score].to_numpy(), means[against].to_numpy()
        entry = {"pearson": None, "kendall_tau": None, "kendall_tau_per_seed": [], "kendall_tau_seed_mean": None, "kendall_tau_seed_std": None}
        if len(x) > 1 and np.all(np.isfinite(x)) and np.ptp(x) > 0 and np.ptp(y) > 0:
            entry["pearson"] = _finite(pearsonr(x, y).statistic)
            entry["kendall_tau"] = _finite(kendalltau(x, y).statistic)
            taus = []
            for _, part in seeds.groupby("seed", sort=True):
                part = part.sort_values("epoch")
                taus.append(_finite(kendalltau(part[score], part[against]).statistic))
            entry["kendall_tau_per_seed"] = taus
            valid = [t for t in taus if t is not None]
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
    parts = [summary.assign(series=SCORE_NAMES[s], value=summary[s], std=summary[f"{s}_std"]) for s in scores_in(summary)]
    return pd.concat(parts)[["epoch", "series", "value", "std", "ft"]].sort_values(["series", "epoch"]).reset_index(drop=True)


def markdown_summary(summary: pd.DataFrame, statement: str, table: dict, evolution: pd.DataFrame, corr: dict, corr_fe: dict, setup: dict) -> str:
    """The report as Markdown tables (the numbers of metrics.json, readable)."""
    lines = [f"# Checkpoint study: {setup['target']}, {setup['labels_per_class']} labels a class, seeds {setup['seeds']}", "", statement, "",
             "| pre-training epoch | source top-1 (%) | FE top-1 (%) | FT top-1 (%) |", "|---|---|---|---|"]
    for _, r in summary.iterrows():
        lines.append(f"| {int(r['epoch'])} | {r['source']:.2f} | {r['fe']:.2f} ± {r['fe_std']:.2f} | {r['ft']:.2f} ± {r['ft_std']:.2f} |")
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
    lines += ["", "Transferability scores against FT and FE top-1 across checkpoints (§4.5; on the means over seeds, and τ with FT within "
              "each seed):", "", "| score | Kendall τ, FT | Pearson r, FT | τ with FT per seed | Kendall τ, FE |", "|---|---|---|---|---|"]
    for key, entry in corr.items():
        lines.append(f"| {SCORE_NAMES[key]} | {signed(entry['kendall_tau'])} | {signed(entry['pearson'])} | "
                     f"{', '.join(signed(t) for t in entry['kendall_tau_per_seed']) or 'n/a'} | {signed(corr_fe[key]['kendall_tau'])} |")
    return "\n".join(lines) + "\n"
