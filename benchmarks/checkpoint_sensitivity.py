"""The checkpoint study's finding under other settings: fine-tuning lengths, and a pre-training pool
without the target's concept.

    python benchmarks/checkpoint_sensitivity.py [--lengths 10 40 100] [--no-digit-pool]

Run from the repository root with the environment active, after `dvc repro`. Each setting is a
`dvc exp run --temp checkpoint_report -S ...` (the workspace is left as it is; only the stages up
to the checkpoint report run, cached ones are reused): ``checkpoints.finetune.epochs=N`` for each
length, and, with ``--no-digit-pool``, ``world.concepts`` set to the Greek, Cyrillic and symbol
concepts (no digit and no Latin class: the paper's toy crosses a domain gap, CIFAR-10 to MNIST)
at the default length. Each experiment's `results/checkpoints/metrics.json` and `summary.md` are
copied to benchmarks/results/checkpoint_sensitivity/<name>/; one row per setting goes to
benchmarks/results/checkpoint_sensitivity.csv and is printed as a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "results" / "checkpoint_sensitivity"
NO_DIGITS = "[greek_upper,greek_lower,cyrillic_upper,cyrillic_lower,math_symbol,arrow,other_symbol]"


def experiment(name: str, *sets: str) -> dict:
    """Run one experiment, copy its report, return its metrics."""
    subprocess.run(["dvc", "exp", "remove", name], capture_output=True)
    subprocess.run(["dvc", "exp", "run", "--temp", "checkpoint_report", "-n", name, *[arg for s in sets for arg in ("-S", s)]], check=True)
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], capture_output=True, text=True, check=True).stdout.split()
    ref = next(r for r in refs if r.endswith(f"/{name}"))
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    for file in ("metrics.json", "summary.md"):
        shown = subprocess.run(["git", "show", f"{ref}:results/checkpoints/{file}"], capture_output=True, text=True, check=True).stdout
        (folder / file).write_text(shown)
    return json.loads((folder / "metrics.json").read_text())


def row(name: str, setting: str, metrics: dict) -> dict:
    found, trajectory = metrics["finding"], metrics["trajectory"]
    last, best_fe = found["last_epoch"], found["best_fe_epoch"]
    return {
        "experiment": name, "setting": setting, "best_fe_epoch": best_fe, "best_ft_epoch": found["best_ft_epoch"],
        "fe_last": trajectory[f"epoch_{last}"]["fe"], "ft_last": trajectory[f"epoch_{last}"]["ft"],
        "fe_best": trajectory[f"epoch_{best_fe}"]["fe"], "ft_from_best_fe": trajectory[f"epoch_{best_fe}"]["ft"],
        "fe_gap_best_minus_last": found["fe_gap_best_minus_last"], "fe_gap_std": found["fe_gap_std"],
        "ft_gain_last_minus_best_fe": found["ft_gain_last_minus_best_fe"], "ft_gain_std": found["ft_gain_std"],
        "fe_trend_tau": found["fe_trend_kendall_tau"], "ft_trend_tau": found["ft_trend_kendall_tau"], "holds": found["holds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 40, 100])
    parser.add_argument("--no-digit-pool", action="store_true")
    args = parser.parse_args()
    rows = []
    for length in args.lengths:
        name = f"ckpt-ft-{length}"
        rows.append(row(name, f"FT {length} epochs", experiment(name, f"checkpoints.finetune.epochs={length}")))
    if args.no_digit_pool:
        name = "ckpt-no-digit-pool"
        rows.append(row(name, "pool without digits or Latin", experiment(name, f"world.concepts={NO_DIGITS}")))
    table = pd.DataFrame(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT.parent / "checkpoint_sensitivity.csv", index=False)
    print(table.round(2).to_markdown(index=False))


if __name__ == "__main__":
    main()
