"""The model-selection paper's claims on the zoo, as findings (:mod:`reprise.core.findings`).

From the zoo report's ``selection_per_target.csv`` (:func:`reprise.zoo.report.selection_table`)
and ``multidomain.csv`` (:func:`reprise.zoo.report.domain_selection`), each claim written so
that the paper finds A at least as good as B:

- Fig. 6b: LFC "shows the highest ranking correlation to the fine-tuning test accuracy": LFC's
  Spearman ρ against the best other score's, per regime;
- Fig. 6a: "LFC, LGC and LEEP require fewer trials than Domain Similarity, RSA and *Random*
  selection" to reach the best member, over every regime;
- Fig. 4: fine-tuning LFC's top 3 gains more over the default member than 3 members at random,
  per regime;
- Table 3: LFC and LEEP score the whole zoo in less than one fine-tuning of the default member,
  and LGC "is expensive" next to LFC, over every regime; every other score but LGC does too (the
  cost bound Reprise holds the newer scores to);
- the score ranking: per regime, the score with the highest mean Spearman ρ against the
  runner-up (is there one best score there, or a tie within noise?);
- Fig. 5: with the multi-domain expert, "LFC, LEEP ... outperform Feature Metrics and Random"
  in the gain of the domain they pick, over every regime.

Differences are paired over (target, regime, fine-tuning seed) within a pre-training run; with
several runs (``pretrain_seed``), the mean and intervals are over runs
(:func:`reprise.core.paired.paired_difference`).
"""

from __future__ import annotations

import pandas as pd

from reprise.core.findings import finding, findings_frame
from reprise.core.paired import paired_difference
from reprise.core.score_names import SCORE_LABELS
from reprise.zoo.report import regime_order

NAMES = {**SCORE_LABELS, "random": "random selection"}
REGIMES = {"few": "few-shot"}  # the regimes named otherwise in the claims table
REFERENCE_ROWS = ("oracle", "random")  # rows of the report that rank by the accuracy itself or at random: not scores
PAIR = ("pretrain_seed", "target", "regime", "seed")  # what a paired difference pairs over (pretrain_seed: where present)
FEW_TRIALS = ("lfc", "lgc", "leep")       # Fig. 6a: fewer trials than ...
MANY_TRIALS = ("domain_similarity", "rsa", "random")
CHEAP = ("lfc", "leep")                   # Table 3: less than one fine-tuning
DOMAIN_PICKERS = ("lfc", "leep")          # Fig. 5: a better domain than ...
DOMAIN_BASELINES = ("feature_metrics", "random")


def _name(score: str) -> str:
    return NAMES.get(score, score)


def _regime_name(regime: str) -> str:
    return REGIMES.get(regime, regime)


def _wide(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    return frame.pivot_table(index=[c for c in PAIR if c in frame.columns], columns="score", values=value)


def _compare(rows: list, wide: pd.DataFrame, a: str, b: str, claim: str, comparison: str, targets: str, setting: str, sign: int = 1) -> None:
    """Append the finding of ``a − b`` (``sign`` −1: ``b − a``, for a metric where less is better)
    over the pairs both have, where there are at least two."""
    if a not in wide or b not in wide:
        return
    both = wide[[a, b]].dropna()
    if len(both) < 2:
        return
    runs = both.index.get_level_values("pretrain_seed") if "pretrain_seed" in both.index.names else None
    first, second = (both[a], both[b]) if sign > 0 else (both[b], both[a])
    rows.append(finding("zoo", claim, comparison, targets, setting, paired_difference(first, second, runs=runs)))


def zoo_findings(per_target: pd.DataFrame, domains: pd.DataFrame | None = None) -> pd.DataFrame:
    """The claims of the module docstring, from the report's per-target rows (``score, target,
    regime, seed, spearman, trials_to_best, top_gain, relative_cost``, and ``pretrain_seed`` with
    several pre-training runs) and, for Fig. 5, its multi-domain rows (``score, target, regime,
    seed, gain``; None or empty: no such claims)."""
    rows: list = []
    targets = ", ".join(sorted(per_target["target"].unique()))
    regimes = sorted(per_target["regime"].unique(), key=regime_order)
    every = ", ".join(_regime_name(r) for r in regimes)
    scores = per_target[~per_target["score"].isin(REFERENCE_ROWS)]
    for regime in regimes:
        rho = _wide(scores[scores["regime"] == regime], "spearman")
        ranked = list(rho.mean().sort_values(ascending=False, kind="stable").index)
        others = [s for s in ranked if s != "lfc"]
        if others:
            _compare(rows, rho, "lfc", others[0], "LFC ranks the zoo better than every other score (Fig. 6b)",
                     f"LFC − {_name(others[0])} (Spearman ρ)", targets, _regime_name(regime))
        if len(others) >= 2:
            leader, runner_up = ranked[:2]
            _compare(rows, rho, leader, runner_up, "The best-ranked score ranks the zoo better than the runner-up (score ranking)",
                     f"{_name(leader)} − {_name(runner_up)} (Spearman ρ)", targets, _regime_name(regime))
    trials = _wide(per_target, "trials_to_best")
    for a in FEW_TRIALS:
        for b in MANY_TRIALS:
            _compare(rows, trials, a, b, f"{_name(a)} finds the best member in fewer trials than {_name(b)} (Fig. 6a)",
                     f"{_name(b)} − {_name(a)} (trials)", targets, every, sign=-1)
    for regime in regimes:
        gain = _wide(per_target[per_target["regime"] == regime], "top_gain")
        _compare(rows, gain, "lfc", "random", "Fine-tuning LFC's top 3 gains more than 3 members at random (Fig. 4)",
                 "LFC − random (top-3 gain, points)", targets, _regime_name(regime))
    cost = _wide(per_target, "relative_cost")
    for score in [*CHEAP, *sorted(set(cost) - set(CHEAP) - {"lgc", *REFERENCE_ROWS})]:
        if score in cost:
            source = "Table 3" if score in CHEAP else "cost bound"
            _compare(rows, cost.assign(one=1.0), "one", score, f"{_name(score)} scores the zoo in less than one fine-tuning ({source})",
                     f"one fine-tuning − {_name(score)} (cost, fine-tunings)", targets, every)
    _compare(rows, cost, "lgc", "lfc", "LFC costs less than LGC (Table 3)", "LGC − LFC (cost, fine-tunings)", targets, every)
    if domains is not None and len(domains):
        picked = _wide(domains.rename(columns={"gain": "value"}), "value")
        for a in DOMAIN_PICKERS:
            for b in DOMAIN_BASELINES:
                _compare(rows, picked, a, b, f"{_name(a)} picks a better domain of the multi-domain expert than {_name(b)} (Fig. 5)",
                         f"{_name(a)} − {_name(b)} (gain, points)", targets, every)
    return findings_frame(rows)
