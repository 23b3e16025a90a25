"""The checkpoint study's finding under other settings: fine-tuning lengths, and a pre-training pool
without the target's concept.

    python benchmarks/checkpoint_sensitivity.py [--lengths 10 40 100] [--no-digit-pool] [--keep]

Run from the repository root with the environment active, after `dvc repro`. Each setting is a
`dvc exp run --temp checkpoint_report -S ...` (the workspace is left as it is; only the stages up
to the checkpoint report run, cached ones are reused): ``checkpoints.finetune.epochs=N`` for each
length, and, with ``--no-digit-pool``, ``world.concepts`` set to the Greek, Cyrillic and symbol
concepts (no digit and no Latin class: the paper's toy crosses a domain gap, CIFAR-10 to MNIST)
at the default length. The default length itself is read from the workspace's results (the
committed default run), not rerun. Each experiment's `results/checkpoints/metrics.json` and
`summary.md` are copied to benchmarks/results/checkpoint_sensitivity/<name>/; one row per setting
goes to benchmarks/results/checkpoint_sensitivity.csv and is printed as a table. ``--keep`` reuses
an experiment of the same name that an earlier, interrupted run left (`dvc exp list`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pandas as pd

from reprise.core.params import for_mode, load_params

OUT = Path(__file__).resolve().parent / "results" / "checkpoint_sensitivity"
RESULTS = "results/checkpoints"
NO_DIGITS = "[greek_upper,greek_lower,cyrillic_upper,cyrillic_lower,math_symbol,arrow,other_symbol]"


def experiment(name: str, *sets: str, keep: bool = False) -> dict:
    """Run one experiment (or, with ``keep``, reuse the one of that name), copy its report, return its metrics."""
    ref = _experiment_ref(name) if keep else None
    if ref is None:
        subprocess.run(["dvc", "exp", "remove", name], capture_output=True)
        subprocess.run(["dvc", "exp", "run", "--temp", "checkpoint_report", "-n", name, *[arg for s in sets for arg in ("-S", s)]], check=True)
        ref = _experiment_ref(name)
    return _copy_report(name, lambda file: subprocess.run(["git", "show", f"{ref}:{RESULTS}/{file}"], capture_output=True, text=True,
                                                           check=True).stdout)


def _experiment_ref(name: str) -> str | None:
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], capture_output=True, text=True, check=True).stdout.split()
    return next((r for r in refs if r.endswith(f"/{name}")), None)


def _copy_report(name: str, read) -> dict:
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    for file in ("metrics.json", "summary.md"):
        (folder / file).write_text(read(file))
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
    parser.add_argument("--keep", action="store_true", help="reuse experiments of the same name left by an earlier run")
    args = parser.parse_args()
    params = load_params()
    default = for_mode(params["checkpoints"]["finetune"]["epochs"], params["mode"])
    rows = []
    for length in args.lengths:
        name = f"ckpt-ft-{length}"
        if length == default:
            metrics = _copy_report(name, lambda file: (Path(RESULTS) / file).read_text())
        else:
            metrics = experiment(name, f"checkpoints.finetune.epochs={length}", keep=args.keep)
        rows.append(row(name, f"FT {length} epochs", metrics))
    if args.no_digit_pool:
        name = "ckpt-no-digit-pool"
        rows.append(row(name, f"pool without digits or Latin, FT {default} epochs",
                        experiment(name, f"world.concepts={NO_DIGITS}", keep=args.keep)))
    table = pd.DataFrame(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT.parent / "checkpoint_sensitivity.csv", index=False)
    print(table.round(2).to_markdown(index=False))


if __name__ == "__main__":
    main()
