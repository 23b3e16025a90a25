"""The default pipeline on a fresh clone, stage by stage: what `make repro` costs a new user.

    python benchmarks/repro_profile.py                  # clones this repository into /tmp/reprise-fresh
    python benchmarks/repro_profile.py --keep-venv      # reuse the clone's .venv from a previous run

Clones the committed state of this repository, runs ``make install`` (timed, reported apart) and
then ``dvc repro`` of the default pipeline (all three studies), timestamping every "Running
stage" line DVC prints: a stage's time runs from its line to the next one (DVC's own hashing
and lock writing included). Results: benchmarks/results/repro_profile.csv (one row a stage) and
repro_profile.json (totals and the machine). Run it with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone", default="/tmp/reprise-fresh", help="where to clone (emptied first)")
    parser.add_argument("--keep-venv", action="store_true", help="keep the .venv of an earlier clone in that place")
    parser.add_argument("--out", default=str(HERE / "results" / "repro_profile.csv"))
    args = parser.parse_args()
    clone = Path(args.clone)
    venv = clone.parent / (clone.name + ".venv")
    if clone.exists():
        if args.keep_venv and (clone / ".venv").exists():
            shutil.rmtree(venv, ignore_errors=True)
            (clone / ".venv").rename(venv)
        shutil.rmtree(clone)
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True).stdout.strip()
    if args.keep_venv and venv.exists():
        venv.rename(clone / ".venv")
    start = time.perf_counter()
    subprocess.run(["make", "install"], cwd=clone, check=True, stdout=subprocess.DEVNULL)
    install = time.perf_counter() - start

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    stages, start = [], time.perf_counter()
    log = open(HERE / "results" / "repro_profile.log", "w")
    with subprocess.Popen([str(clone / ".venv" / "bin" / "dvc"), "repro"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
        for text in run.stdout:
            log.write(text)
            found = re.match(r"Running stage '([^']+)'", text)
            if found:
                stages.append({"stage": found.group(1), "start": time.perf_counter() - start})
                print(f"{stages[-1]['start']:7.1f} s  {found.group(1)}", flush=True)
    total = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"dvc repro failed ({run.returncode}); see {log.name}")
    ends = [s["start"] for s in stages[1:]] + [total]
    table = pd.DataFrame([{"stage": s["stage"], "seconds": end - s["start"]} for s, end in zip(stages, ends)])
    table["study"] = [_study(name) for name in table["stage"]]
    table.to_csv(args.out, index=False)
    summary = {"commit": commit, "install_seconds": install, "repro_seconds": total, "stages": len(table),
               "by_study_seconds": table.groupby("study")["seconds"].sum().round(1).to_dict(),
               "machine": {"node": platform.node(), "cpu": platform.processor() or platform.machine(), "cores": len(os.sched_getaffinity(0))}}
    Path(args.out).with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def _study(stage: str) -> str:
    if stage.startswith("zoo"):
        return "model selection (zoo)"
    if stage.startswith("checkpoint"):
        return "checkpoint study"
    return "data reuse"


if __name__ == "__main__":
    main()
