"""The inadequately-pre-trained-checkpoints paper's claims, as findings (:mod:`reprise.core.findings`).

The paper (Figs. 1-2, §4.1-4.2) finds that along one pre-training run a middle checkpoint is the
best frozen feature extractor (FE) while fine-tuning (FT) keeps improving with more pre-training.
The checkpoint study measures FE and FT of every studied checkpoint on the same seeds (each its
own target split), so every claim is a difference paired by seed, with the intervals of
:func:`reprise.checkpoints.analysis.finding` (:func:`reprise.core.paired.paired_difference`).
"""

from __future__ import annotations

import pandas as pd

from reprise.checkpoints.analysis import per_seed
from reprise.core.findings import finding, findings_frame
from reprise.core.paired import paired_difference


def checkpoint_findings(seeds: pd.DataFrame, target: str, setting: str = "") -> pd.DataFrame:
    """The paper's claims on one study, each a paired difference over seeds in top-1 points:

    - frozen features are best at a middle checkpoint: FE of the best checkpoint before the last
      (by mean FE) − FE of the last;
    - fine-tuning keeps improving with pre-training: FT of the last checkpoint − FT of the first;
    - fine-tuning is best from the fully pre-trained checkpoint: FT of the last − FT of the best
      checkpoint before it (by mean FT);
    - fine-tuning beats frozen features: FT − FE at the last checkpoint.

    ``seeds``: the study's per-seed records (``epoch, seed, fe_acc, ft_acc``, accuracies 0-1, as
    ``data/checkpoints/epoch_<N>/seeds.parquet`` holds them); ``target`` and ``setting`` (e.g. the
    fine-tuning length) name where it was measured. The claims along the run need two
    checkpoints, and every claim two seeds; those it cannot test are left out.
    """
    fe, ft = (per_seed(seeds, column).T * 100 for column in ("fe_acc", "ft_acc"))  # seed × epoch, in points
    if len(fe) < 2:
        return findings_frame([])
    epochs = list(fe.columns)
    first, last = epochs[0], epochs[-1]
    claims = []
    if len(epochs) > 1:
        best_fe, best_ft = fe[epochs[:-1]].mean().idxmax(), ft[epochs[:-1]].mean().idxmax()
        claims += [
            ("frozen features are best at a middle checkpoint", f"FE@{best_fe} − FE@{last}", fe[best_fe], fe[last]),
            ("fine-tuning keeps improving with pre-training", f"FT@{last} − FT@{first}", ft[last], ft[first]),
            ("fine-tuning is best from the fully pre-trained checkpoint", f"FT@{last} − FT@{best_ft}", ft[last], ft[best_ft]),
        ]
    claims.append(("fine-tuning beats frozen features", f"FT@{last} − FE@{last}", ft[last], fe[last]))
    rows = [finding("checkpoints", claim, comparison, target, setting, paired_difference(a, b)) for claim, comparison, a, b in claims]
    return findings_frame(rows)


def far_source_findings(rows: pd.DataFrame, target: str) -> pd.DataFrame:
    """The paper's claims on the far-source experiment (:mod:`reprise.checkpoints.far_source`),
    one set a source, each a difference in top-1 points paired by pre-training run (its interval
    over runs, :mod:`reprise.core.paired`), so that "beats" always agrees with the paper:

    - frozen features are best at a middle checkpoint: FE of the best checkpoint before the last
      (by mean FE over runs) − FE of the last;
    - fine-tuning keeps improving past the best feature extractor: FT of the last − FT of that one;
    - the main spectral components F_m lose transferability along pre-training: F_m's FE of the
      first checkpoint − of the last;
    - the residual components F_r gain it: F_r's FE of the last − of the first.

    The setting names the source and how far it was memorised (mean training top-1 of the last
    checkpoint), the regime the claims need.
    """
    found = []
    for source, part in rows.groupby("source", sort=False):
        wide = {column: part.pivot(index="pretrain_seed", columns="epoch", values=column).sort_index(axis=1)
                for column in ("fe_top1", "ft_top1", "fm_top1", "fr_top1")}
        epochs = list(wide["fe_top1"].columns)
        if len(epochs) < 2 or len(part["pretrain_seed"].unique()) < 2:
            continue
        first, last = epochs[0], epochs[-1]
        best = wide["fe_top1"][epochs[:-1]].mean().idxmax()
        memorised = part.loc[part["epoch"] == last, "source_train_top1"].mean()
        setting = f"source {source}, source training top-1 {memorised:.1f}% at epoch {last}"
        claims = [
            ("frozen features are best at a middle checkpoint", f"FE@{best} − FE@{last}", "fe_top1", best, last),
            ("fine-tuning keeps improving past the best feature extractor", f"FT@{last} − FT@{best}", "ft_top1", last, best),
            ("F_m loses transferability along pre-training", f"F_m FE@{first} − F_m FE@{last}", "fm_top1", first, last),
            ("F_r gains transferability along pre-training", f"F_r FE@{last} − F_r FE@{first}", "fr_top1", last, first),
        ]
        for claim, comparison, column, a, b in claims:
            table = wide[column]
            result = paired_difference(table[a], table[b], runs=table.index)
            found.append(finding("checkpoints", claim, comparison, target, setting, result))
    return findings_frame(found)
