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
goes to benchmarks/results/checkpoint_sensitivity.csv and is printed as a table, and every
seed's FE and FT top-1 at every checkpoint (read back from the DVC cache through the experiment's
dvc.lock) goes to benchmarks/results/checkpoint_sensitivity_seeds.csv, with the columns
``experiment, target, setting, method, seed, top1`` of ``reprise compare`` (experiment:
the experiment's name; method: ``FE@<epoch>``, ``FT@<epoch>``). ``--keep`` reuses an experiment of the same name that an earlier,
interrupted run left (`dvc exp list`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from reprise.core.params import for_mode, load_params

OUT = Path(__file__).resolve().parent / "results" / "checkpoint_sensitivity"
RESULTS = "results/checkpoints"
CHECKPOINT_DATA = "data/checkpoints/"
NO_DIGITS = "[greek_upper,greek_lower,cyrillic_upper,cyrillic_lower,math_symbol,arrow,other_symbol]"


def experiment(name: str, *sets: str, keep: bool = False) -> tuple[dict, str]:
    """Run one experiment (or, with ``keep``, reuse the one of that name), copy its report; its metrics and its dvc.lock."""
    ref = _experiment_ref(name) if keep else None
    if ref is None:
        subprocess.run(["dvc", "exp", "remove", name], capture_output=True)
        subprocess.run(["dvc", "exp", "run", "--temp", "checkpoint_report", "-n", name, *[arg for s in sets for arg in ("-S", s)]], check=True)
        ref = _experiment_ref(name)
    show = lambda path: subprocess.run(["git", "show", f"{ref}:{path}"], capture_output=True, text=True, check=True).stdout  # noqa: E731
    return _copy_report(name, lambda file: show(f"{RESULTS}/{file}")), show("dvc.lock")


def per_seed(name: str, target: str, setting: str, lock: str) -> pd.DataFrame:
    """Every seed's FE and FT top-1 (%) at every checkpoint of one experiment, from the DVC cache."""
    stages = yaml.safe_load(lock)["stages"]
    rows = []
    for stage, entry in stages.items():
        if not stage.startswith("checkpoint@"):
            continue
        folder = next(o for o in entry["outs"] if o["path"].startswith(CHECKPOINT_DATA))
        listing = json.loads(_cached(folder["md5"]).read_text())
        seeds = pd.read_parquet(_cached(next(f["md5"] for f in listing if f["relpath"] == "seeds.parquet")))
        for _, r in seeds.iterrows():
            for kind in ("fe", "ft"):
                rows.append({"experiment": name, "target": target, "setting": setting, "method": f"{kind.upper()}@{int(r['epoch'])}",
                             "seed": int(r["seed"]), "top1": 100 * float(r[f"{kind}_acc"])})
    return pd.DataFrame(rows)


def _cached(md5: str) -> Path:
    cache = subprocess.run(["dvc", "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(cache) / "files" / "md5" / md5[:2] / md5[2:]


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
    rows, seeds = [], []
    for length in args.lengths:
        name, setting = f"ckpt-ft-{length}", f"FT {length} epochs"
        if length == default:
            metrics, lock = _copy_report(name, lambda file: (Path(RESULTS) / file).read_text()), Path("dvc.lock").read_text()
        else:
            metrics, lock = experiment(name, f"checkpoints.finetune.epochs={length}", keep=args.keep)
        rows.append(row(name, setting, metrics))
        seeds.append(per_seed(name, params["checkpoints"]["target"], setting, lock))
    if args.no_digit_pool:
        name, setting = "ckpt-no-digit-pool", f"pool without digits or Latin, FT {default} epochs"
        metrics, lock = experiment(name, f"world.concepts={NO_DIGITS}", keep=args.keep)
        rows.append(row(name, setting, metrics))
        seeds.append(per_seed(name, params["checkpoints"]["target"], setting, lock))
    table = pd.DataFrame(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT.parent / "checkpoint_sensitivity.csv", index=False)
    pd.concat(seeds).to_csv(OUT.parent / "checkpoint_sensitivity_seeds.csv", index=False)
    print(table.round(2).to_markdown(index=False))


if __name__ == "__main__":
    main()
