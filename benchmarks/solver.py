"""Time and peak memory of the UOT selection against POT, on the same problems, in one run.

    python benchmarks/solver.py                   # all problems, CPU
    python benchmarks/solver.py --problems 1000x200 2000x200 --device cuda

Problems (source units × target units, cosine cost with ε_c = 0.01, ε = 1, τ = (1, 100)):
``1000x200`` the paper's own ImageNet class means against CUB's 200 class means (supervised
ResNet-18, from ../shared/paper-class-means), ``2000x200`` 2000 cluster-like units,
``100000x200`` and ``1000000x200`` one unit per image, 128-d float32 features in a file.

Every measurement runs in a fresh process, which reports the wall time from features to scores
(cost matrix included, for POT too), the iterations, and its peak resident memory above what
it held once its inputs were loaded. Reprise streams the two large problems in row blocks;
POT needs the whole cost matrix in float64. Both stop at a relative change of 1e-6 (POT's
default criterion). Results go to benchmarks/results/solver.csv.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
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
PROBLEMS = ("1000x200", "2000x200", "100000x200", "1000000x200")
STREAMED = {"100000x200": 16384, "1000000x200": 65536}
EPS_C, EPS, TAU1, TAU2, TOL = 0.01, 1.0, 1.0, 100.0, 1e-6


def inputs(problem: str) -> tuple[np.ndarray, np.ndarray]:
    """Source and target features; the large ones memory-mapped from a file made once."""
    if problem == "1000x200":
        return np.load(SHARED / "imagenet_means.npy"), np.load(SHARED / "cub_means.npy")
    n, m = (int(x) for x in problem.split("x"))
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"source_{n}.npy"
    if not path.exists():
        rng = np.random.default_rng(0)
        centres = rng.normal(size=(500, 128)).astype(np.float32)
        out = np.lib.format.open_memmap(path.with_suffix(".tmp.npy"), mode="w+", dtype=np.float32, shape=(n, 128))
        for start in range(0, n, 100_000):
            stop = min(start + 100_000, n)
            out[start:stop] = centres[rng.integers(0, 500, stop - start)] + rng.normal(size=(stop - start, 128)).astype(np.float32)
        out.flush()
        del out
        path.with_suffix(".tmp.npy").rename(path)
    target = np.random.default_rng(1).normal(size=(m, 128)).astype(np.float32)
    return np.load(path, mmap_mode="r"), target


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def measure(problem: str, solver: str, device: str) -> dict:
    """Run one solver on one problem in this process and report time, iterations, memory."""
    source, target = inputs(problem)
    import torch  # noqa: F401  (imported before the baseline so its memory is not counted)
    import ot

    from reprise.reuse.selection import score_units

    base = rss_mb()
    start = time.perf_counter()
    if solver == "pot":
        s = np.asarray(source, dtype=np.float64)
        t = np.asarray(target, dtype=np.float64)
        s /= np.linalg.norm(s, axis=1, keepdims=True)
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        cost = (1.0 - s @ t.T) / EPS_C
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan, log = ot.unbalanced.sinkhorn_knopp_unbalanced(np.ones(len(s)), np.ones(len(t)), cost, EPS, (TAU1, TAU2), stopThr=TOL, log=True)
        scores, n_iter = plan.sum(1), len(log["err"])
    else:
        dtype = torch.float64 if solver == "reprise-f64" else torch.float32
        result = score_units(source, target, "uot", eps_c=EPS_C, eps=EPS, tau1=TAU1, tau2=TAU2, tol=TOL, dtype=dtype, device=device, block_rows=STREAMED.get(problem))
        scores, n_iter = result.scores[0], result.solver["n_iter"]
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    top = np.argsort(-scores, kind="stable")[:100]
    return {"problem": problem, "solver": solver, "device": device, "seconds": seconds, "iterations": n_iter, "peak_mb_above_inputs": peak - base, "top100": top.tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the fastest is kept")
    parser.add_argument("--one", nargs=2, metavar=("PROBLEM", "SOLVER"), help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE / "results" / "solver.csv"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], args.device)))
        return

    rows = []
    for problem in args.problems:
        inputs(problem)  # make the data file once, outside the timed runs
        for solver in ("pot", "reprise-f64", "reprise-f32"):
            runs = []
            for _ in range(args.repeats if problem not in STREAMED else 1):
                done = subprocess.run([sys.executable, __file__, "--one", problem, solver, "--device", args.device], capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(done.stderr[-2000:])
                runs.append(json.loads(done.stdout.splitlines()[-1]))
            best = min(runs, key=lambda r: r["seconds"])
            best["peak_mb_above_inputs"] = max(r["peak_mb_above_inputs"] for r in runs)
            rows.append(best)
            print({k: v for k, v in best.items() if k != "top100"}, flush=True)
    table = pd.DataFrame(rows)
    reference = table[table["solver"] == "pot"].set_index("problem")
    table["speedup_vs_pot"] = [reference.loc[p, "seconds"] / s for p, s in zip(table["problem"], table["seconds"])]
    table["top100_overlap_with_pot"] = [len(set(t) & set(reference.loc[p, "top100"])) for p, t in zip(table["problem"], table["top100"])]
    table = table.drop(columns=["top100"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"\n{platform.node()}: {platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores")
    print(table.round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()
