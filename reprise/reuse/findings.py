"""The UOT paper's claims on the testbed, as findings (:mod:`reprise.core.findings`).

The testbed suite (``suite/dvc.yaml``) runs the paper's Tables 1, 1b and 3 with every method on
the same seeds; its report pairs them by seed (:func:`reprise.core.paired.compare`). Each claim
below names a method, the reference it is measured against and the experiment it is tested in; a
finding is made for every target and setting the paired table holds that comparison for, so the
findings follow the data, whatever targets the suite runs.
"""

from __future__ import annotations

import pandas as pd

from reprise.core.errors import InputError
from reprise.core.findings import finding, findings_frame
from reprise.core.paired import compare

# (experiment, its setting or None for every setting, method, reference, the paper's claim)
CLAIMS = (
    ("table1", None, "uot", "random", "UOT selection beats random selection"),
    ("table1", None, "uot", "none", "reusing UOT-selected data beats plain fine-tuning"),
    ("table1", None, "label", "random", "the choice of pre-training data matters: label-based selection beats random selection"),
    ("table1", None, "uot", "label", "UOT selection is as good as label-based selection"),
    ("table1", None, "uot", "greedy", "UOT selection beats Greedy-OT selection"),
    ("k", None, "uot", "random", "UOT selection beats random selection at every K"),
    ("low_data", None, "uot", "none", "reusing UOT-selected data beats plain fine-tuning at every share of the target's labels"),
    ("deciles", None, "decile 1", "last decile", "the source classes UOT ranks closest help most: the first decile beats the last"),
    ("clusters", None, "uot", "random", "UOT-selected clusters beat random clusters"),
    ("long_tail", "long tail", "uot", "none", "reusing UOT-selected data helps on a long-tailed target"),
    ("long_tail", "balanced", "uot", "none", "reusing UOT-selected data beats plain fine-tuning"),
    ("table1b", None, "uot", "random", "UOT selection beats random selection"),
    ("table1b", None, "uot", "none", "reusing UOT-selected data beats plain fine-tuning"),
    ("table1b", None, "uot (clusters)", "random (clusters)", "UOT-selected clusters beat random clusters"),
    ("table1b", None, "uot (clusters)", "none", "reusing UOT-selected clusters beats plain fine-tuning"),
)
REFERENCES = ("none", "random", "label", "greedy", "random (clusters)")  # every reference of CLAIMS but the last decile (from the rows)
LAST_DECILE = "last decile"  # the reference of Fig. 4b's claim: the deciles experiment's highest-numbered decile
EXPERIMENTS = {"table1": "Table 1", "k": "Fig. 3a", "low_data": "Fig. 3b", "deciles": "Fig. 4b", "clusters": "Table 2", "long_tail": "Table 3",
               "table1b": "Table 1b"}
NAMES = {"uot": "UOT", "random": "random", "none": "plain fine-tuning", "label": "label-based", "greedy": "Greedy-OT",
         "uot (clusters)": "UOT clusters", "random (clusters)": "random clusters"}
PAIRED_VERDICTS = {"beats": "beats", "loses to": "below", "within noise": "within noise"}  # paired.csv's words → the findings'


def paired_comparisons(table: pd.DataFrame) -> pd.DataFrame:
    """Every method against every reference of :data:`REFERENCES`, paired by seed, from the suite's
    per-seed rows (``experiment, target, setting, method, seed, top1``): the table that
    :func:`testbed_findings` reads, with the last decile of the deciles experiment as one more
    reference. The report's ``paired.csv`` holds the ``none`` and ``random`` references only."""
    last = _last_decile(table["method"].unique())
    return compare(table, against=(*REFERENCES, *([last] if last else [])))


def _last_decile(methods) -> str | None:
    """The highest-numbered ``decile N`` among ``methods`` (None without one)."""
    deciles = [m for m in methods if str(m).startswith("decile ")]
    return max(deciles, key=lambda m: int(m.split()[1])) if deciles else None


def testbed_findings(paired: pd.DataFrame) -> pd.DataFrame:
    """The testbed's findings on the paper's Table 1 (UOT against random, plain fine-tuning,
    label-based and Greedy-OT selection; label-based against random: whether the choice of data
    matters), Fig. 3a (UOT against random at every K), Fig. 3b (UOT reuse against plain
    fine-tuning at every share of the labels), Fig. 4b (the first decile of the pool by UOT score
    against the last), Table 2 (UOT against random clusters), Table 3 (UOT reuse on a long tail,
    and on the balanced set of the same size) and Table 1b (the self-supervised backbone, with
    classes and with clusters), for every target and setting of ``paired``.

    ``paired`` has the columns of ``results/testbed/paired.csv`` (:func:`reprise.core.paired.compare`);
    a claim whose comparison it lacks is left out (``paired.csv`` has no UOT − label; give
    :func:`paired_comparisons`). Each finding's interval is :func:`reprise.core.findings.paired_interval`,
    so its verdict is the paired one; a row whose own ``verdict`` says otherwise is an
    :class:`InputError`.
    """
    rows = []
    for experiment, setting, method, reference, claim in CLAIMS:
        if reference == LAST_DECILE:
            reference = _last_decile(paired.loc[paired["experiment"] == experiment, "against"].unique()) or LAST_DECILE
        part = paired[(paired["experiment"] == experiment) & (paired["method"] == method) & (paired["against"] == reference)]
        if setting is not None:
            part = part[part["setting"] == setting]
        for result in part.to_dict("records"):
            setting_name = EXPERIMENTS[experiment] + ("" if experiment == "deciles" else f", {result['setting']}")
            row = finding("reuse", claim, f"{NAMES.get(method, method)} − {NAMES.get(reference, reference)}", result["target"], setting_name, result)
            if PAIRED_VERDICTS[result["verdict"]] != row["verdict"]:
                raise InputError(f"the paired comparison {method} − {reference} ({experiment}, {result['target']}) says "
                                 f"{result['verdict']!r}, but its intervals say {row['verdict']!r}")
            rows.append(row)
    return findings_frame(rows)
