"""The default pipeline on a fresh clone, stage by stage: what `make repro` costs a new user.

    python benchmarks/repro_profile.py                  # clones this repository into /tmp/reprise-fresh
    python benchmarks/repro_profile.py --keep-venv      # reuse the clone's .venv from a previous run
    python benchmarks/repro_profile.py --suite          # then `make suite` (the testbed suite) in the same clone

Clones the committed state of this repository, runs ``make install`` (timed, reported apart) and
then ``dvc repro`` of the default pipeline (all three studies), timestamping every "Running
stage" line DVC prints: a stage's time runs from its line to the next one (DVC's own hashing
and lock writing included). Each stage also reports (``REPRISE_STAGE_CLOCK``,
:mod:`reprise.core.stage`) its start-up (the interpreter, imports and params, before its work)
and its work, so every row splits into ``startup_seconds``, ``work_seconds`` and
``dvc_seconds`` (the rest: DVC starting the command, hashing, writing the lock). Then it times
``dvc exp run -S uot.tau1=0.5`` (what a changed selection knob reruns). Results:
benchmarks/results/repro_profile.csv (one row a stage) and repro_profile.json (totals, shares,
the experiment and the machine); with ``--suite``, suite_profile.csv and .json for ``dvc repro
suite/dvc.yaml`` after it. Run it with nothing else on the machine.
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

from reprise.core.stage import CLOCK_ENV

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone", default="/tmp/reprise-fresh", help="where to clone (emptied first)")
    parser.add_argument("--keep-venv", action="store_true", help="keep the .venv of an earlier clone in that place")
    parser.add_argument("--suite", action="store_true", help="then run the testbed suite in the same clone (suite_profile.*)")
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
    machine = {"node": platform.node(), "cpu": platform.processor() or platform.machine(), "cores": len(os.sched_getaffinity(0))}
    out = Path(args.out)
    runs = [([], out)] + ([(["suite/dvc.yaml"], out.with_name("suite_profile.csv"))] if args.suite else [])
    for targets, path in runs:
        clock = clone / "stage_clock.jsonl"
        clock.unlink(missing_ok=True)
        table, total = profiled(clone, {**env, CLOCK_ENV: str(clock)}, targets, path.with_suffix(".log"))
        table = with_clock(table, clock)
        table.to_csv(path, index=False)
        summary = {"commit": commit, "install_seconds": install, "repro_seconds": total, "stages": len(table),
                   "startup_seconds": round(table["startup_seconds"].sum(), 1), "work_seconds": round(table["work_seconds"].sum(), 1),
                   "dvc_seconds": round(table["dvc_seconds"].sum(), 1),
                   "startup_share": round(table["startup_seconds"].sum() / total, 3), "dvc_share": round(table["dvc_seconds"].sum() / total, 3),
                   "by_study_seconds": table.groupby("study")["seconds"].sum().round(1).to_dict(), "machine": machine}
        if not targets:
            summary["exp_run"] = experiment(clone, env, ["uot.tau1=0.5"])
        path.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps(summary, indent=2))


def with_clock(table: pd.DataFrame, clock: Path) -> pd.DataFrame:
    """``table`` with each stage's start-up and work from the stage clock, and DVC's share (the rest)."""
    reported = pd.read_json(clock, lines=True) if clock.exists() else pd.DataFrame(columns=["stage", "argument", "startup_seconds", "work_seconds"])
    stages = set(table["stage"])
    reported["name"] = [_stage_name(s, a, stages) for s, a in zip(reported["stage"], reported["argument"])]
    table = table.merge(reported[["name", "startup_seconds", "work_seconds"]], left_on="stage", right_on="name", how="left").drop(columns="name")
    table[["startup_seconds", "work_seconds"]] = table[["startup_seconds", "work_seconds"]].fillna(0.0)
    table["dvc_seconds"] = table["seconds"] - table["startup_seconds"] - table["work_seconds"]
    return table.round(2)


def _stage_name(script: str, argument, stages: set[str]) -> str:
    """The DVC stage a clock line comes from: ``<script>@<argument>`` for a foreach stage,
    ``<script>_<argument>`` for the stages of one script (``finetune_reuse``), else ``<script>``."""
    if argument is None or pd.isna(argument):
        return script
    return next((name for name in (f"{script}@{argument}", f"{script}_{argument}") if name in stages), f"{script}@{argument}")


def experiment(clone: Path, env: dict, settings: list[str]) -> dict:
    """``dvc exp run -S ...`` in ``clone``: its seconds and the stages it ran."""
    start = time.perf_counter()
    run = subprocess.run([str(clone / ".venv" / "bin" / "dvc"), "exp", "run", *(a for s in settings for a in ("-S", s))], cwd=clone, env=env,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"dvc exp run {' '.join(settings)} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return {"settings": settings, "seconds": round(seconds, 1), "stages": re.findall(r"Running stage '([^']+)'", run.stdout + run.stderr)}


def profiled(clone: Path, env: dict, targets: list[str], log_path: Path) -> tuple[pd.DataFrame, float]:
    """``dvc repro [targets]`` in ``clone``: one row a stage (``stage, seconds, study``) and the total."""
    stages, start = [], time.perf_counter()
    with open(log_path, "w") as log, subprocess.Popen([str(clone / ".venv" / "bin" / "dvc"), "repro", *targets], cwd=clone, env=env,
                                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
        for text in run.stdout:
            log.write(text)
            log.flush()
            found = re.match(r"Running stage '([^']+)'", text)
            if found:
                stages.append({"stage": found.group(1), "start": time.perf_counter() - start})
                print(f"{stages[-1]['start']:7.1f} s  {found.group(1)}", flush=True)
    total = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"dvc repro {' '.join(targets)} failed ({run.returncode}); see {log_path}")
    ends = [s["start"] for s in stages[1:]] + [total]
    table = pd.DataFrame([{"stage": s["stage"], "seconds": end - s["start"]} for s, end in zip(stages, ends)])
    table["study"] = [_study(name) for name in table["stage"]]
    return table, total


def _study(stage: str) -> str:
    name = stage.split(":")[-1]  # the suite's stages print as suite/dvc.yaml:<name>
    if name.startswith("testbed") or name == "findings":
        return "testbed suite"
    if name.startswith("zoo"):
        return "model selection (zoo)"
    if name.startswith(("checkpoint", "near_source", "far_source")):
        return "checkpoint study"
    return "data reuse"


if __name__ == "__main__":
    main()
