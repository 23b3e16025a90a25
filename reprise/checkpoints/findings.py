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
    - frozen features improve with pre-training: FE of the last checkpoint − FE of the first;
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
            ("frozen features improve with pre-training", f"FE@{last} − FE@{first}", fe[last], fe[first]),
            ("fine-tuning keeps improving with pre-training", f"FT@{last} − FT@{first}", ft[last], ft[first]),
            ("fine-tuning is best from the fully pre-trained checkpoint", f"FT@{last} − FT@{best_ft}", ft[last], ft[best_ft]),
        ]
    claims.append(("fine-tuning beats frozen features", f"FT@{last} − FE@{last}", ft[last], fe[last]))
    rows = [finding("checkpoints", claim, comparison, target, setting, paired_difference(a, b)) for claim, comparison, a, b in claims]
    return findings_frame(rows)
