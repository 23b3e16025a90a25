"""The zoo over pre-training runs (the suite's zoo in the paper's regime): one run's members scored
and fine-tuned, resumably member by member.

A member's rows are kept in ``keep_dir`` as soon as it is done, under a key of everything they
depend on (the settings, the member's checkpoint files and the targets' files); a rerun after an
interruption reads the rows kept under the same key and does the rest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import torch

from reprise.core.artifacts import read_csv, write_csv, write_text
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.images import ImageTable
from reprise.core.resume import run_key
from reprise.zoo.ground_truth import finetune_member
from reprise.zoo.layout import zoo_member_dir
from reprise.zoo.members import ZooMember
from reprise.zoo.scoring import score_zoo_member


def folder_digest(folder: str | Path) -> str:
    """A digest of every file under ``folder``: its path below the folder and its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def score_and_finetune(
    members: list[ZooMember], root: str, targets: list[str], targets_root: str, *, pool: ImageTable, seed: int, scoring: dict,
    ground_truth: dict, device: torch.device, jobs: int | str, keep_dir: str | Path,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every member of the run under ``root`` scored (:func:`reprise.zoo.scoring.score_zoo_member`
    with ``scoring``: images_per_class, lgc_projection_dim, seed, ds_min_count) and fine-tuned
    (:func:`reprise.zoo.ground_truth.finetune_member` with ``ground_truth``: lrs, epochs,
    milestones, batch_size, momentum, weight_decay, val_fraction, split_seed) on fine-tuning seed
    ``seed``, on the targets under ``targets_root``: the scores' rows and the fine-tunings' rows."""
    keep_dir = Path(keep_dir)
    common = run_key({"scoring": scoring, "ground_truth": ground_truth, "seed": seed, "targets": targets}, folder_digest(targets_root))
    scores, runs = [], []
    for member in members:
        folder = zoo_member_dir(member.name, root)
        key = run_key({"common": common}, folder_digest(folder))
        kept = [keep_dir / f"{member.name}.{part}.csv" for part in ("scores", "accuracy")]
        stamp = keep_dir / f"{member.name}.key"
        if stamp.exists() and stamp.read_text() == key and all(path.exists() for path in kept):
            print(f"{member.name}: rows kept from an earlier, interrupted run ({keep_dir})", flush=True)
            member_scores, member_runs = (read_csv(path) for path in kept)
        else:
            checkpoint = kept_checkpoint(folder, "last")
            member_scores = score_zoo_member(member, checkpoint, pool, targets, device=device, targets_root=targets_root, **scoring)
            member_runs = finetune_member(member.name, checkpoint, targets, [seed], device=device, jobs=jobs, targets_root=targets_root,
                                          **ground_truth)
            write_csv(member_scores, kept[0])
            write_csv(member_runs, kept[1])
            write_text(key, stamp)  # last: a member with a key has all its rows
        scores.append(member_scores)
        runs.append(member_runs)
    return pd.concat(scores, ignore_index=True), pd.concat(runs, ignore_index=True)
