#!/usr/bin/env python3
"""``make suite``: every stage of ``suite/dvc.yaml`` that ``dvc repro`` would run, one at a time
(each after all it depends on), with the suite's progress and an estimate of the time left
before each and at the end. The default pipeline must be up to date (``make repro``).

    python tools/suite.py          # run them (make suite)
    python tools/suite.py --dry    # list them with the estimate; run nothing
    python tools/suite.py --rerun testbed_backbone@0   # rerun (and time) stages up to date, then the rest

Progress is in rows: a stage's rows are the data rows of its CSV outputs (the runs, for the
experiment stages; one for a stage without a CSV output). ``results/suite_timings.csv`` holds every
stage's rows and seconds from its last run on this machine; the time left is the sum of the
recorded seconds of the stages still to run, and a stage never timed makes the estimate a lower
bound, which the line says. After each stage its rows and seconds are written back. Interrupted,
a rerun goes on where it stopped: DVC skips the stages done, pre-training resumes from its last
epoch and the testbed's experiments keep their finished runs. A stage found up to date when its
turn comes (what it depends on reran and came out the same) is skipped and keeps its timing.
``--rerun`` runs the stages named first, forced, to time them: what depends on them reruns only
where their outputs changed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "suite/dvc.yaml"
TIMINGS = ROOT / "results" / "suite_timings.csv"  # stage, rows, seconds, machine
COLUMNS = ("stage", "rows", "seconds", "machine")


def _dvc_json(*args: str) -> dict:
    done = subprocess.run(["dvc", *args, "--json"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"error: dvc {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return json.loads(done.stdout or "{}")


def pending() -> list[str]:
    """The stages of the suite that ``dvc repro`` would run (those not up to date and every stage
    downstream of one), in an order that runs a stage after all it depends on. A stage of the
    default pipeline that is not up to date is an error: ``make repro`` comes first."""
    dot = subprocess.run(["dvc", "dag", "--dot", PIPELINE], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    nodes = re.findall(r'^"([^"]+)";$', dot, flags=re.M)
    edges = re.findall(r'^"([^"]+)" -> "([^"]+)";$', dot, flags=re.M)
    changed = set(_dvc_json("status", PIPELINE))
    stale = sorted(n for n in changed if not n.startswith(f"{PIPELINE}:"))
    if stale:
        sys.exit(f"error: the default pipeline is not up to date ({', '.join(stale[:3])}{' ...' if len(stale) > 3 else ''}); run make repro first")
    children = {n: [b for a, b in edges if a == n] for n in nodes}
    todo, frontier = set(), [n for n in nodes if n in changed]
    while frontier:
        node = frontier.pop()
        if node not in todo:
            todo.add(node)
            frontier += children[node]
    parents = {n: [a for a, b in edges if b == n] for n in nodes}
    depth: dict[str, int] = {}

    def depth_of(node: str) -> int:  # the longest path from a stage with no dependency
        if node not in depth:
            depth[node] = 1 + max(map(depth_of, parents[node]), default=0)
        return depth[node]

    order = sorted(todo, key=lambda n: (depth_of(n), nodes.index(n)))  # by depth: no stage before one it depends on
    return [name.removeprefix(f"{PIPELINE}:") for name in order]


def stage_outputs(stage: str) -> list[Path]:
    """The output paths of a stage (``name`` or ``name@item``) of the suite."""
    stages = yaml.safe_load((ROOT / PIPELINE).read_text())["stages"]
    name, _, item = stage.partition("@")
    body = stages[name].get("do", stages[name])
    return [ROOT / str(next(iter(out)) if isinstance(out, dict) else out).replace("${item}", item) for out in body.get("outs", [])]


def rows_of(stage: str) -> int:
    """The data rows of a stage's CSV outputs (one where it has none)."""
    csvs = [path for path in stage_outputs(stage) if path.suffix == ".csv" and path.is_file()]
    return sum(len(pd.read_csv(path)) for path in csvs) if csvs else 1


def read_timings() -> pd.DataFrame:
    return pd.read_csv(TIMINGS) if TIMINGS.is_file() else pd.DataFrame(columns=list(COLUMNS))


def duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def progress_line(todo: list[str], done_rows: int, timings: pd.DataFrame) -> str:
    """Rows done of the total and the time left: the recorded rows and seconds of ``todo``."""
    known = timings.set_index("stage")
    timed = [s for s in todo if s in known.index]
    left_rows = int(known.loc[timed, "rows"].sum()) if timed else 0
    left = float(known.loc[timed, "seconds"].sum()) if timed else 0.0
    untimed = len(todo) - len(timed)
    if todo and not timed:
        return f"suite: {done_rows} rows done, {len(todo)} stage{'s' * (len(todo) != 1)} to run, none timed yet (no estimate)"
    estimate = f"about {duration(left)} left" + (f" plus {untimed} stage{'s' * (untimed > 1)} never timed" if untimed else "")
    return f"suite: {done_rows} of {done_rows + left_rows}{'+' if untimed else ''} rows done, {len(todo)} stage{'s' * (len(todo) != 1)} to run, {estimate}"


def record(timings: pd.DataFrame, stage: str, rows: int, seconds: float) -> pd.DataFrame:
    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"
    row = pd.DataFrame([{"stage": stage, "rows": rows, "seconds": round(seconds, 1), "machine": machine}])
    timings = pd.concat([timings[timings["stage"] != stage], row], ignore_index=True)
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    temporary = TIMINGS.with_suffix(".tmp")
    timings.to_csv(temporary, index=False)
    temporary.replace(TIMINGS)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry", action="store_true", help="list the stages to run with the estimate; run nothing")
    parser.add_argument("--rerun", nargs="+", default=[], metavar="STAGE", help="stages to rerun and time first, up to date or not")
    args = parser.parse_args()
    stages = yaml.safe_load((ROOT / PIPELINE).read_text())["stages"]
    unknown = [s for s in args.rerun if s.partition("@")[0] not in stages]
    if unknown:
        sys.exit(f"--rerun: {', '.join(unknown)} not a stage of {PIPELINE} (a foreach stage is name@item)")
    timings = read_timings()
    for stage in [] if args.dry else args.rerun:
        print(f"suite: rerunning {stage} to time it", flush=True)
        timings = run(stage, timings, "--force")
    todo = pending()
    done_rows = sum(rows_of(s) for s in timings["stage"] if s.partition("@")[0] in stages and s not in todo)
    print(progress_line(todo, done_rows, timings), flush=True)
    if args.dry:
        for stage in todo:
            known = timings[timings["stage"] == stage]
            print(f"  {stage}: " + (f"{int(known['rows'].iloc[0])} rows, {duration(float(known['seconds'].iloc[0]))}" if len(known) else "never timed"))
        return
    for i, stage in enumerate(todo):
        if up_to_date(stage):  # downstream of a stage whose outputs came out the same: DVC would skip it, and its time is not this
            print(f"suite: {stage} is up to date (what it depends on came out the same)", flush=True)
        else:
            timings = run(stage, timings)
        done_rows += rows_of(stage)
        print(progress_line(todo[i + 1 :], done_rows, timings), flush=True)


def up_to_date(stage: str) -> bool:
    """Whether ``dvc status`` finds the stage up to date now (stages run before it may have left its
    inputs as they were)."""
    return not _dvc_json("status", f"{PIPELINE}:{stage}")


def run(stage: str, timings: pd.DataFrame, *flags: str) -> pd.DataFrame:
    """``dvc repro`` of the one stage (exit on failure); the timings with its rows and seconds."""
    started = time.perf_counter()
    result = subprocess.run(["dvc", "repro", *flags, "--single-item", f"{PIPELINE}:{stage}"], cwd=ROOT)
    if result.returncode:
        sys.exit(result.returncode)
    return record(timings, stage, rows_of(stage), time.perf_counter() - started)


if __name__ == "__main__":
    main()
