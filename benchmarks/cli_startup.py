"""How long ``reprise --help`` takes, as whole processes against ``python -c pass`` on the same
machine: the console script, a command's help, and ``python -m reprise``; ``import torch``, what
the help paid before it deferred its heavy imports, for scale.

    python benchmarks/cli_startup.py            # benchmarks/results/cli_startup.csv

Each case runs once untimed (the file cache), then ``--repeats`` times, the cases in turn so that
a load that comes and goes falls on all of them; a case's time is the median. Rows: ``what,
seconds, ratio`` (over ``python -c pass``) and ``machine`` (the CPU model from /proc/cpuinfo and
the cores this process may use). Run it with nothing else on the machine, or read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script: make `tools` importable

from tools.provenance import cpu_model  # noqa: E402

SCRIPT = Path(sys.executable).with_name("reprise")  # the console script, installed beside this interpreter

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "reprise --help": [str(SCRIPT), "--help"],
    "reprise score --help": [str(SCRIPT), "score", "--help"],
    "python -m reprise --help": [sys.executable, "-m", "reprise", "--help"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
}


def wall_seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=str(HERE / "results" / "cli_startup.csv"))
    args = parser.parse_args()
    if not SCRIPT.is_file():
        sys.exit(f"error: no console script at {SCRIPT}; install Reprise into this interpreter's environment first (pip install -e .)")
    machine = f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores"
    print(machine)
    for argv in CASES.values():
        wall_seconds(argv)
    times = {what: [] for what in CASES}
    for _ in range(args.repeats):
        for what, argv in CASES.items():
            times[what].append(wall_seconds(argv))
    table = pd.DataFrame({"what": list(CASES), "seconds": [statistics.median(t) for t in times.values()]})
    table["ratio"] = table["seconds"] / table.loc[table["what"] == "python -c pass", "seconds"].iloc[0]
    table["machine"] = machine
    table.round(3).to_csv(args.out, index=False)
    print(table.drop(columns="machine").round(3).to_string(index=False))


if __name__ == "__main__":
    main()
