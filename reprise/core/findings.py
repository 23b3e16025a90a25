"""Findings: each paper's claims as tested here, one row a claim, target and setting.

A finding says what was compared and what the seeds show:

- ``study``: ``reuse``, ``zoo`` or ``checkpoints`` (:data:`STUDIES`, the papers' order);
- ``claim``: the paper's claim in its words ("UOT selection beats random selection");
- ``comparison``: ``"A − B"``, the two things compared, whose paired difference is measured;
- ``target``, ``setting``: where it was measured (the target data set; the experiment, regime or
  length; an empty string where it does not apply);
- ``runs``: the paired runs (seeds, or target × seed pairs) behind the interval;
- ``pretrain_runs``: the pre-training runs those come from, and so what the verdict generalises
  over: 1, the fine-tuning seeds of one backbone; 2 or more, pre-training runs of the recipe
  (the interval is then over runs, :mod:`reprise.core.paired`);
- ``mean``, ``lo``, ``hi``: the mean paired difference A − B and its 95% interval, in the
  compared quantity's unit (top-1 points, or Spearman ρ);
- ``verdict``: :func:`verdict` of the interval, the one rule for every study.

Every claim is written so that the paper finds A at least as good as B (a claim that A is as good
as B included: the paper's own numbers put A ahead), so a verdict reads as the paper's claim
directly (:func:`agreement`): "beats" agrees with it, "below" disagrees, and "within noise"
neither shows nor refutes it, however wide or narrow the interval (no equivalence margin is
assumed).

The interval of a paired comparison (:func:`paired_interval`) is the hull of its bootstrap and t
intervals (:func:`reprise.core.paired.paired_difference`): it excludes zero exactly where both
do, so the verdict of a finding is the paired verdict ("beats" only where both intervals clear
zero) and a reader checks it against lo and hi alone.

:func:`render_markdown` writes every number with two decimals and a sign: each is a difference,
whether of accuracies in points or of rank correlations, and a hundredth is finer than any
seed-to-seed spread measured here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from reprise.core.errors import InputError

COLUMNS = ("study", "claim", "comparison", "target", "setting", "runs", "pretrain_runs", "mean", "lo", "hi", "verdict")
STUDIES = ("reuse", "zoo", "checkpoints")
PAPERS = {"reuse": "Liu et al. (which data)", "zoo": "Deshpande et al. (which model)", "checkpoints": "Deng et al. (which checkpoint)"}
AGREEMENT = {"beats": "agrees", "below": "disagrees", "within noise": "within noise"}
DIGITS = 2


def verdict(lo: float, hi: float) -> str:
    """``beats`` where the interval lies above zero, ``below`` where it lies under, else ``within noise``."""
    if lo > 0:
        return "beats"
    if hi < 0:
        return "below"
    return "within noise"


def agreement(verdict_: str) -> str:
    """What a verdict says of the paper's claim (module docstring): ``agrees``, ``disagrees`` or ``within noise``."""
    return AGREEMENT[verdict_]


def paired_interval(result: Mapping) -> tuple[float, float]:
    """The 95% interval of a paired comparison (a :func:`reprise.core.paired.paired_difference`
    result or a row of its table): from the lower of ``boot_low`` and ``t_low`` to the higher of
    ``boot_high`` and ``t_high``."""
    return float(min(result["boot_low"], result["t_low"])), float(max(result["boot_high"], result["t_high"]))


def finding(study: str, claim: str, comparison: str, target: str, setting: str, result: Mapping) -> dict:
    """One finding row from a paired comparison's ``seeds``, ``pretrain_runs`` and ``mean`` and its :func:`paired_interval`."""
    lo, hi = paired_interval(result)
    return {"study": study, "claim": claim, "comparison": comparison, "target": target, "setting": setting,
            "runs": int(result["seeds"]), "pretrain_runs": int(result["pretrain_runs"]), "mean": float(result["mean"]), "lo": lo, "hi": hi, "verdict": verdict(lo, hi)}


def findings_frame(rows: Iterable[Mapping] | pd.DataFrame) -> pd.DataFrame:
    """The rows as a table with exactly :data:`COLUMNS`, in that order (an empty table keeps them).

    A missing or unknown column, a study outside :data:`STUDIES`, or a verdict that is not
    :func:`verdict` of its ``lo`` and ``hi`` is an :class:`InputError`.
    """
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame(columns=list(COLUMNS))
    missing = [c for c in COLUMNS if c not in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS]
    if missing or extra:
        raise InputError(f"findings need exactly the columns {', '.join(COLUMNS)}; "
                         + "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                                        f"unknown {', '.join(map(str, extra))}" if extra else "") if part))
    frame = frame[list(COLUMNS)].reset_index(drop=True)
    unknown = sorted(set(frame["study"]) - set(STUDIES))
    if unknown:
        raise InputError(f"unknown study {', '.join(map(repr, unknown))} in the findings; use one of {', '.join(STUDIES)}")
    frame[["runs", "pretrain_runs"]] = frame[["runs", "pretrain_runs"]].astype(int)
    for column in ("mean", "lo", "hi"):
        frame[column] = frame[column].astype(float)
    for column in ("target", "setting"):
        frame[column] = frame[column].fillna("").astype(str)
    expected = [verdict(lo, hi) for lo, hi in zip(frame["lo"], frame["hi"])]
    wrong = np.flatnonzero(frame["verdict"].to_numpy() != np.array(expected, dtype=object))
    if len(wrong):
        row = frame.iloc[wrong[0]]
        raise InputError(f"the finding {row['comparison']!r} ({row['target']}, {row['setting']}) says {row['verdict']!r} "
                         f"but its interval [{row['lo']:.3g}, {row['hi']:.3g}] says {expected[wrong[0]]!r}")
    return frame


def collect(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Every study's findings in one table, by study (:data:`STUDIES` order) then claim; rows that
    tie keep their order (targets, settings)."""
    frames = [findings_frame(frame) for frame in frames]
    table = pd.concat(frames, ignore_index=True) if frames else findings_frame([])
    order = table["study"].map({study: i for i, study in enumerate(STUDIES)})
    table = table.assign(_order=order).sort_values(["_order", "claim"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


def _number(value: float) -> str:
    return f"{value:+.{DIGITS}f}".replace("-", "−")


def render_markdown(frame: pd.DataFrame) -> str:
    """The findings as one Markdown table of the papers' claims, a row a finding (paper, claim,
    comparison, target, setting, runs and pre-training runs, mean [interval] with :data:`DIGITS`
    decimals and a sign, and what the verdict says of the claim, :func:`agreement`), after a line
    a paper counting its findings that agree, disagree and stay within noise."""
    frame = findings_frame(frame)
    if frame.empty:
        return "No findings."
    frame = frame.assign(here=frame["verdict"].map(agreement))
    counts = []
    for study in STUDIES:
        part = frame[frame["study"] == study]
        if len(part):
            tally = part["here"].value_counts()
            counts.append(f"- {PAPERS[study]}: {len(part)} findings; " + ", ".join(f"{int(tally.get(word, 0))} {word}"
                                                                            for word in ("agrees", "disagrees", "within noise")))
    lines = ["| paper | claim | comparison | target | setting | runs (pre-training runs) | mean [95% interval] | the paper's claim here |",
             "|---|---|---|---|---|---|---|---|"]
    for row in frame.itertuples(index=False):
        lines.append(f"| {PAPERS[row.study]} | {row.claim} | {row.comparison} | {row.target} | {row.setting} | {row.runs} ({row.pretrain_runs}) | "
                     f"{_number(row.mean)} [{_number(row.lo)}, {_number(row.hi)}] | {row.here} |")
    return "\n".join(counts) + "\n\n" + "\n".join(lines)
