"""What a fresh process pays before a stage's work: the interpreter, ``import torch``, and what
building and stepping an optimizer adds (``torch.optim`` imports ``torch._dynamo``; Reprise's
own optimizers do not), each a whole process, the median of ``--repeats`` runs.

    python benchmarks/startup.py            # benchmarks/results/startup.csv

Rows: ``what, seconds`` (the process's wall time), ``extra_seconds`` (over ``import torch`` for
the optimizer rows) and ``dynamo`` (whether ``torch._dynamo`` was imported at the end). Run it
with nothing else on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

STEP = """
m = torch.nn.Linear(8, 2)
o = {optimizer}(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
m(torch.randn(4, 8)).sum().backward()
o.step()
"""
CASES = {
    "python -c pass": "pass",
    "import torch": "import torch",
    "torch.optim.SGD built and stepped": "import torch" + STEP.format(optimizer="torch.optim.SGD"),
    "reprise SGD built and stepped": "import torch\nfrom reprise.core.optimizers import SGD" + STEP.format(optimizer="SGD"),
}


def timed(code: str) -> tuple[float, bool]:
    """One process running ``code``: its wall time and whether it ended with torch._dynamo imported."""
    probe = code + "\nimport sys\nprint('torch._dynamo' in sys.modules)"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out.strip().endswith("True")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=str(HERE / "results" / "startup.csv"))
    args = parser.parse_args()
    rows = []
    for what, code in CASES.items():
        runs = [timed(code) for _ in range(args.repeats)]
        rows.append({"what": what, "seconds": statistics.median(s for s, _ in runs), "dynamo": runs[0][1]})
    table = pd.DataFrame(rows)
    base = table.loc[table["what"] == "import torch", "seconds"].iloc[0]
    table["extra_seconds"] = (table["seconds"] - base).where(table["what"].str.contains("stepped"))
    table.round(3).to_csv(args.out, index=False)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
