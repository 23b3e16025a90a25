"""How the selection step's time and memory grow with N (pool rows), M (target rows) and d.

    python benchmarks/selection_growth.py

Every point is ``score_units`` (UOT, cosine cost, ε_c = 0.01, ε = 1, τ = (1, 100), tol 1e-6) on
random float32 features (500 clusters in the pool, as benchmarks/solver.py), in a fresh process
that reports the time from features in memory to scores and its peak resident memory above the
features (Linux's peak-RSS counter reset once the features are made). Results:
benchmarks/results/selection_growth.csv.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
GRID = ([(n, 200, 128) for n in (100_000, 300_000, 1_000_000, 3_000_000)]
        + [(300_000, m, 128) for m in (50, 800, 3200)]
        + [(300_000, 200, d) for d in (32, 512, 2048)])


def point(n: int, m: int, d: int) -> dict:
    import numpy as np

    from reprise.reuse.selection import score_units

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((500, d), dtype=np.float32)
    source = rng.standard_normal((n, d), dtype=np.float32)
    source += centres[rng.integers(0, 500, n)]
    target = rng.standard_normal((m, d), dtype=np.float32)
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    base = _status_gb("VmRSS")
    start = time.perf_counter()
    result = score_units(source, target, tol=1e-6)
    seconds = time.perf_counter() - start
    return {"n": n, "m": m, "d": d, "seconds": seconds, "iterations": result.solver["n_iter"], "kernel_gb": result.timing["kernel_bytes"] / 1e9,
            "iteration_ms": 1e3 * result.timing["iteration_seconds"], "gb_per_s": result.timing["gb_per_second"],
            "peak_gb_above_features": _status_gb("VmHWM") - base}


def _status_gb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS now, VmHWM the peak), in GB."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE / "results" / "selection_growth.csv"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(point(*args.one)))
        return
    rows = []
    for n, m, d in GRID:
        done = subprocess.run([sys.executable, __file__, "--one", str(n), str(m), str(d)], capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.splitlines()[-1]))
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False)
    print(table.round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()
