"""The model-selection paper's claim on the zoo, as findings (:mod:`reprise.core.findings`).

The paper finds that LFC "shows the highest ranking correlation to the fine-tuning test accuracy
(Fig. 6) among all model selection methods". The zoo report gives every score's Spearman ρ with
the fine-tuned accuracies per target, regime and fine-tuning seed (``selection_per_target.csv``,
:func:`reprise.zoo.report.selection_table`); here each regime's best score is compared with the
runner-up and LFC with the best, on ρ paired over the (target, seed) pairs both have.
"""

from __future__ import annotations

import pandas as pd

from reprise.core.findings import finding, findings_frame
from reprise.core.paired import paired_difference

NAMES = {"lfc": "LFC", "lgc": "LGC", "leep": "LEEP", "nce": "NCE", "logme": "LogME", "rsa": "RSA",
         "feature_metrics": "Feature Metrics", "domain_similarity": "Domain Similarity"}
REGIMES = {"few": "few-shot", "full": "full training sets"}
PAPER = "lfc"
REFERENCE_ROWS = ("oracle", "random")  # rows of the report that rank by the accuracy itself or at random: not scores


def zoo_findings(per_target: pd.DataFrame) -> pd.DataFrame:
    """Per regime: whether the score with the highest mean Spearman ρ ranks the zoo better than the
    runner-up, and whether LFC, the paper's score, ranks it better than that best score (where LFC
    is the best, the first finding is the paper's claim itself; where it is the runner-up, the
    first finding is the only one).

    ``per_target``: the columns ``score, target, regime, seed, spearman`` of the zoo report's
    ``selection_per_target.csv``. ρ differences are paired over the (target, seed) pairs, at least
    two; the ``oracle`` and ``random`` rows are not scores and are left out.
    """
    scores = per_target[~per_target["score"].isin(REFERENCE_ROWS)]
    rows = []
    for regime, part in scores.groupby("regime", sort=True):
        wide = part.pivot_table(index=["target", "seed"], columns="score", values="spearman")
        ranking = wide.mean().sort_values(ascending=False, kind="stable").index.tolist()
        if len(ranking) < 2 or len(wide) < 2:
            continue
        targets = ", ".join(sorted(part["target"].unique()))
        setting = REGIMES.get(regime, regime)
        best, runner_up = ranking[0], ranking[1]
        pairs = [(best, runner_up)] + ([(PAPER, best)] if PAPER in ranking and PAPER not in (best, runner_up) else [])
        for a, b in pairs:
            both = wide[[a, b]].dropna()
            if len(both) < 2:
                continue
            claim = (f"{NAMES.get(PAPER, PAPER)} ranks the zoo better than every other score" if a == PAPER
                     else f"{NAMES.get(a, a)} ranks the zoo better than {NAMES.get(b, b)}")
            result = paired_difference(both[a], both[b])
            rows.append(finding("zoo", claim, f"{NAMES.get(a, a)} − {NAMES.get(b, b)} (Spearman ρ)", targets, setting, result))
    return findings_frame(rows)
