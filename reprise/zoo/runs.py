"""The zoo over pre-training runs (the suite's zoo in the paper's regime): one run's members
scored, or fine-tuned, resumably member by member.

A member's rows are kept in ``keep_dir`` as soon as it is done, under a key of everything they
depend on (the settings, the member's checkpoint files and the targets' files); a rerun after an
interruption reads the rows kept under the same key and does the rest. Scoring and fine-tuning are
separate stages, so a new score never reruns a fine-tuning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reprise.core.artifacts import read_csv, write_csv, write_text
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.resume import run_key
from reprise.zoo.layout import zoo_member_dir
from reprise.zoo.members import ZooMember


def folder_digest(folder: str | Path) -> str:
    """A digest of every file under ``folder``: its path below the folder and its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def member_by_member(
    members: list[ZooMember], root: str, targets_root: str, settings: dict, keep_dir: str | Path,
    compute: Callable[[ZooMember, str], pd.DataFrame],
) -> pd.DataFrame:
    """``compute(member, checkpoint)`` for every member of the run under ``root`` (its last
    checkpoint), the rows of all members in order. A member's rows are kept under ``keep_dir``
    keyed by ``settings`` (everything ``compute`` depends on besides the files), the files under
    ``targets_root`` and the member's checkpoint files, and read back under the same key."""
    keep_dir = Path(keep_dir)
    common = run_key(settings, folder_digest(targets_root))
    rows = []
    for member in members:
        folder = zoo_member_dir(member.name, root)
        key = run_key({"common": common}, folder_digest(folder))
        kept, stamp = keep_dir / f"{member.name}.csv", keep_dir / f"{member.name}.key"
        if stamp.exists() and stamp.read_text() == key and kept.exists():
            print(f"{member.name}: rows kept from an earlier, interrupted run ({keep_dir})", flush=True)
            member_rows = read_csv(kept)
        else:
            member_rows = compute(member, kept_checkpoint(folder, "last"))
            write_csv(member_rows, kept)
            write_text(key, stamp)  # last: a member with a key has all its rows
        rows.append(member_rows)
    return pd.concat(rows, ignore_index=True)
