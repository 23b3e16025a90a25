#!/usr/bin/env python3
"""What every committed result was computed with: ``results/provenance.csv``, one row a stage of
both pipelines, naming the outputs it holds (a digest of the stage's ``outs`` in ``dvc.lock``) and
the environment that computed them: Python, the versions of the packages that move results in
their last bits (torch, torchvision, numpy, scipy, POT, faiss), whether every installed version is
the one ``constraints.txt`` pins, the CPU and the GPU.

    python tools/provenance.py          # add or replace the rows of stages whose outputs changed
    python tools/provenance.py --check  # exit 1 naming every stage whose row is missing or stale

``make repro`` and ``make suite`` run it after DVC, so a stage's row is written on the machine
that has just computed its outputs; a row whose digest still matches is kept as it is, whoever
pulls the results later. A stage without outputs (``params``) has no row. Rows that were added
for results computed before this file existed say so: ``recorded`` is ``backfilled`` (the
environment of the machine that added the row), else ``at run``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("dvc.lock", "suite/dvc.lock")
PROVENANCE = Path("results/provenance.csv")
CONSTRAINTS = Path("constraints.txt")
PACKAGES = {"torch": ("torch",), "torchvision": ("torchvision",), "numpy": ("numpy",), "scipy": ("scipy",), "pot": ("POT",),
            "faiss": ("faiss-cpu", "faiss-gpu-cu12")}  # column: the distributions that provide it
COLUMNS = ("pipeline", "stage", "outs_digest", "recorded", "python", *PACKAGES, "matches_constraints", "cpu", "cores", "gpu")


def outs_digests(root: Path) -> dict[tuple[str, str], str]:
    """``(lock file, stage) -> digest`` of the stage's outputs as its lock entry names them."""
    digests = {}
    for lock in LOCKS:
        path = root / lock
        if not path.exists():
            continue
        for stage, entry in (yaml.safe_load(path.read_text()) or {}).get("stages", {}).items():
            outs = [{k: out.get(k) for k in ("path", "md5", "hash", "size", "nfiles")} for out in entry.get("outs", [])]
            if outs:
                digests[(lock, stage)] = hashlib.md5(json.dumps(outs, sort_keys=True).encode()).hexdigest()
    return digests


def environment(root: Path) -> dict[str, str]:
    """This machine and this Python environment, as the columns after ``recorded``."""
    versions = {column: next((v for v in map(_version, names) if v != "absent"), "absent") for column, names in PACKAGES.items()}
    return {"python": platform.python_version(), **versions, "matches_constraints": _matches_constraints(root),
            "cpu": cpu_model(), "cores": str(len(os.sched_getaffinity(0))), "gpu": _gpus()}


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _matches_constraints(root: Path) -> str:
    """``yes`` when every package that ``constraints.txt`` pins and that is installed has its pinned
    version; else ``no (N differ, e.g. NAME VERSION)``."""
    path = root / CONSTRAINTS
    if not path.exists():
        return "no constraints.txt"
    differ = []
    for line in path.read_text().splitlines():
        name, _, pinned = line.split("#")[0].strip().partition("==")
        if name and pinned and _version(name) not in (pinned, "absent"):
            differ.append(f"{name} {_version(name)}")
    return "yes" if not differ else f"no ({len(differ)} differ, e.g. {differ[0]})"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``; elsewhere what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpus() -> str:
    """The GPUs ``nvidia-smi`` names (``none`` without one)."""
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    names = [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []
    return f"{len(names)} x {names[0]}" if names else "none"


def read_rows(root: Path) -> dict[tuple[str, str], dict]:
    path = root / PROVENANCE
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        return {(row["pipeline"], row["stage"]): row for row in csv.DictReader(f)}


def stale(root: Path) -> list[str]:
    """The stages whose row is missing or names other outputs than the lock's, as ``lock:stage``."""
    rows = read_rows(root)
    return [f"{lock}:{stage}" for (lock, stage), digest in outs_digests(root).items()
            if rows.get((lock, stage), {}).get("outs_digest") != digest]


def record(root: Path, recorded: str = "at run") -> list[str]:
    """Rewrite the file: rows of stages whose outputs changed get this environment; the others are
    kept; stages gone from the locks lose their row. Returns the stages recorded."""
    rows, here = read_rows(root), None
    out, changed = [], []
    for (lock, stage), digest in sorted(outs_digests(root).items()):
        row = rows.get((lock, stage))
        if row is None or row["outs_digest"] != digest:
            here = here or environment(root)
            row = {"pipeline": lock, "stage": stage, "outs_digest": digest, "recorded": recorded, **here}
            changed.append(f"{lock}:{stage}")
        out.append(row)
    path = root / PROVENANCE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(out)
    tmp.replace(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 naming every stage whose row is missing or stale; write nothing")
    parser.add_argument("--backfilled", action="store_true", help="mark the rows written as backfilled (results computed before they were recorded)")
    args = parser.parse_args(argv)
    if args.check:
        missing = stale(ROOT)
        for name in missing:
            print(f"{PROVENANCE}: no row for the outputs of {name}; run python tools/provenance.py on the machine that computed them")
        return 1 if missing else 0
    changed = record(ROOT, "backfilled" if args.backfilled else "at run")
    print(f"{PROVENANCE}: {len(changed)} stage(s) recorded" + (f" ({', '.join(changed[:4])}{' ...' if len(changed) > 4 else ''})" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
