"""Time and peak memory of the UOT selection against POT, whole processes, in one run.

    python benchmarks/solver.py                                # every problem, CPU
    python benchmarks/solver.py --problems 1000000x200 --device cuda

Problems (source units × target units, cosine cost with ε_c = 0.01, ε = 1, τ = (1, 100)):
``1000x200`` the paper's own ImageNet class means against CUB's 200 class means (supervised
ResNet-18, from ../shared/paper-class-means), ``100000x200``, ``1000000x200`` and
``10000000x200`` one unit per image: 128-d float32 features in a ``.npy`` file made once.

Each measurement is a fresh process, timed from its start to its exit (interpreter, imports,
reading the features, the cost, the solve and writing the scores to Parquet), with its peak
resident memory: Reprise is its command line, ``reprise score``; POT is
``ot.unbalanced.sinkhorn_knopp_unbalanced`` on the float64 cost it needs, in a script that reads
and writes the same files. Both stop at a relative change of 1e-6 between iterations (POT's
criterion on its scalings u, v; Reprise's on their logarithms). POT is not run where its cost
matrix alone would take more than half the memory. The run also measures the machine's copy
bandwidth, to read the solver's achieved GB/s against. Results: benchmarks/results/solver.csv
and solver_machine.json.
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
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "benchmarks"
SHARED = HERE.parent.parent / "shared" / "paper-class-means" / "supervised_resnet18"
PROBLEMS = ("1000x200", "100000x200", "1000000x200", "10000000x200")
EPS_C, EPS, TAU1, TAU2, TOL = 0.01, 1.0, 1.0, 100.0, 1e-6


def inputs(problem: str) -> tuple[Path, Path]:
    """Source and target feature files; the large ones written once, in blocks."""
    DATA.mkdir(parents=True, exist_ok=True)
    source, target = DATA / f"source_{problem}.npy", DATA / f"target_{problem}.npy"
    if source.exists() and target.exists():
        return source, target
    if problem == "1000x200":
        np.save(source, np.load(SHARED / "imagenet_means.npy"))
        np.save(target, np.load(SHARED / "cub_means.npy"))
        return source, target
    n, m = (int(x) for x in problem.split("x"))
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(500, 128)).astype(np.float32)
    out = np.lib.format.open_memmap(source.with_suffix(".tmp.npy"), mode="w+", dtype=np.float32, shape=(n, 128))
    for start in range(0, n, 1_000_000):
        stop = min(start + 1_000_000, n)
        out[start:stop] = centres[rng.integers(0, 500, stop - start)] + rng.normal(size=(stop - start, 128)).astype(np.float32)
    out.flush()
    del out
    source.with_suffix(".tmp.npy").rename(source)
    np.save(target, np.random.default_rng(1).normal(size=(m, 128)).astype(np.float32))
    return source, target


def pot_scores(source: Path, target: Path, out: Path) -> None:
    """POT on the same files: cosine cost in float64, P1 and its rank, written as Parquet."""
    import ot

    s, t = np.load(source).astype(np.float64), np.load(target).astype(np.float64)
    s /= np.linalg.norm(s, axis=1, keepdims=True)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    cost = (1.0 - s @ t.T) / EPS_C
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan, log = ot.unbalanced.sinkhorn_knopp_unbalanced(np.ones(len(s)), np.ones(len(t)), cost, EPS, (TAU1, TAU2), stopThr=TOL, log=True)
    scores = plan.sum(1)
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    pd.DataFrame({"unit": np.arange(len(scores)), "score": scores, "rank": ranks}).to_parquet(out)
    print(f"POT: {len(log['err'])} iterations")


def measure(command: list[str]) -> dict:
    """Wall time and peak resident memory of one process, measured from a launcher process of
    its own (so that the peak is that process's alone)."""
    launcher = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20\n"
        "print(json.dumps({'rc': done.returncode, 'seconds': seconds, 'peak_gb': peak, 'out': done.stdout[-2000:], 'err': done.stderr[-2000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", launcher, *command], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result['err']}")
    return result


def copy_bandwidth(gigabytes: float = 1.0) -> float:
    """GB/s of a large array copy (read plus write), the best of five."""
    a = np.ones(int(gigabytes * 2**30 / 4), dtype=np.float32)
    b = np.empty_like(a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(5))
    return 2 * a.nbytes / best / 1e9


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each problem under 1M rows; the fastest is kept")
    parser.add_argument("--pot", nargs=3, metavar=("SOURCE", "TARGET", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE / "results" / "solver.csv"))
    args = parser.parse_args()
    if args.pot:
        pot_scores(*(Path(p) for p in args.pot))
        return

    free = int(re.search(r"MemAvailable:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
    machine = {"node": platform.node(), "cpu": platform.processor() or platform.machine(), "cores": len(os.sched_getaffinity(0)),
               "memory_available_gb": free / 1e9, "copy_gb_per_s": copy_bandwidth()}
    print(machine, flush=True)
    rows = []
    for problem in args.problems:
        source, target = inputs(problem)
        n, m = (int(x) for x in problem.split("x"))
        solvers = {"reprise": [sys.executable, "-m", "reprise", "score", "--source", str(source), "--target", str(target), "--tol", str(TOL),
                               "--device", args.device, "--out", str(DATA / "scores_reprise.parquet")]}
        if n * m * 8 < free / 2:
            solvers["pot"] = [sys.executable, __file__, "--pot", str(source), str(target), str(DATA / "scores_pot.parquet")]
        for solver, command in solvers.items():
            runs = [measure(command) for _ in range(args.repeats if n < 1_000_000 else 1)]
            best = min(runs, key=lambda r: r["seconds"])
            row = {"problem": problem, "solver": solver, "device": args.device if solver == "reprise" else "cpu", "seconds": best["seconds"],
                   "peak_gb": max(r["peak_gb"] for r in runs)}
            report = best["out"]
            if solver == "reprise":
                found = re.search(r"(\d+) iterations.*kernel (in memory|streamed) \(([\d.e+-]+) GB, ([\d.e+-]+) ms an iteration(?:, ([\d.e+-]+) GB/s)?", report)
                row.update(iterations=int(found.group(1)), kernel=found.group(2), kernel_gb=float(found.group(3)),
                           iteration_ms=float(found.group(4)), gb_per_s=float(found.group(5)) if found.group(5) else float("nan"))
            else:
                row.update(iterations=int(re.search(r"POT: (\d+) iterations", report).group(1)))
            rows.append(row)
            print(row, flush=True)
        if "pot" in solvers:
            ours, theirs = (pd.read_parquet(DATA / f"scores_{s}.parquet").sort_values("rank")["unit"].to_numpy()[:100] for s in ("reprise", "pot"))
            rows[-2]["top100_same_as_pot"] = bool((ours == theirs).all())
            rows[-2]["top100_overlap_with_pot"] = len(set(ours) & set(theirs))
    table = pd.DataFrame(rows)
    pot = table[table["solver"] == "pot"].set_index("problem")
    table["speedup_vs_pot"] = [pot.loc[p, "seconds"] / s if p in pot.index else float("nan") for p, s in zip(table["problem"], table["seconds"])]
    table["memory_vs_pot"] = [g / pot.loc[p, "peak_gb"] if p in pot.index else float("nan") for p, g in zip(table["problem"], table["peak_gb"])]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    Path(args.out).with_name("solver_machine.json").write_text(json.dumps(machine, indent=2) + "\n")
    print(table.round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()
