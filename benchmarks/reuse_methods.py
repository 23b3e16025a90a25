"""Top-1 of plain fine-tuning against reuse with each method, over several seeds, each method with
its own learning rate and λ chosen on a validation split (the UOT paper's §4.2 protocol).

Run after ``dvc repro`` (it reuses the pre-trained backbone, the pool's unit means and clusters):

    python benchmarks/reuse_methods.py --seeds 0 1 2 3 4 [--target digits] [--unit class|cluster] [--k 20]
        [--lrs 0.02 0.005] [--lambdas 1 0.3] [--methods none uot greedy random label cotuning]

Each seed draws its own labelled target split, validation split, fine-tuning order and random
selection; the backbone, the pool, the units and every other setting come from ``params.yaml``
and the pipeline's artifacts (Greedy-OT with ``select.greedy_cost``). For every seed and method
the grid ``--lrs`` × ``--lambdas`` (plain fine-tuning: ``--lrs`` only) is tried on a validation
split of the training images (``--val-fraction`` of each class), the best point is refitted on
the whole training set and measured on the test set (see :mod:`reprise.reuse.comparison`).
Classes are reused by eq. 6, clusters by eq. 7. Writes one row per (seed, method), with
``experiment, target, setting, method, seed, top1`` first and the chosen ``lr``/``lambda``, to
``--out`` (rewritten after every row, so a run cut short keeps what it measured; ``--resume`` skips
the (seed, method) pairs of the same target and setting already there), and prints the mean and
standard deviation per method.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import pandas as pd

from reprise.core.layout import PRETRAIN_DIR
from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.device import pick_device
from reprise.core.params import load_params
from reprise.reuse.settings import UotSettings
from reprise.reuse.comparison import ReuseSetting, ReuseSource, tuned_run
from reprise.reuse.selection import METHODS
from reprise.world.targets import handwriting_target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--methods", nargs="+", default=["none", "uot", "greedy", "random", "label", "cotuning"], choices=METHODS)
    parser.add_argument("--unit", choices=("class", "cluster"), help="default: select.unit of params.yaml")
    parser.add_argument("--k", type=int, help="units selected; default: select.k of params.yaml")
    parser.add_argument("--target", choices=("mnist", "digits"), help="default: target.name of params.yaml")
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.02, 0.005])
    parser.add_argument("--lambdas", type=float, nargs="+", default=[1.0, 0.3])
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--experiment", default="reuse_methods", help="the experiment column of the rows")
    parser.add_argument("--out", default="benchmarks/results/reuse_methods.csv")
    parser.add_argument("--resume", action="store_true", help="keep the rows already in --out and run only the missing ones")
    args = parser.parse_args()
    params = load_params()
    t, s, f = params["target"], params["select"], params["finetune"]
    target = args.target or t["name"]
    unit = args.unit or s["unit"]
    source = ReuseSource.of_pipeline(unit)
    shared = dict(
        checkpoint=kept_checkpoint(PRETRAIN_DIR, params["extract"]["checkpoint"]), layer=params["extract"]["layer"], k=args.k or s["k"], uot=UotSettings.parse(params["uot"]), greedy_cost=s["greedy_cost"], epochs=f["epochs"],
        batch_size=f["batch_size"], momentum=f["momentum"], weight_decay=f["weight_decay"],
    )
    device = pick_device(params["device"])
    out, name = Path(args.out), f"{unit} k={shared['k']}"
    rows = pd.read_csv(out).to_dict("records") if args.resume and out.exists() else []
    done = {(r["seed"], r["method"]) for r in rows if r["target"] == target and r["setting"] == name}
    for seed in args.seeds:
        if all((seed, method) in done for method in args.methods):
            continue
        splits = handwriting_target(target, t["labels_per_class"], t["test_per_class"], seed)
        setting = ReuseSetting(**shared, concept=splits.meta["concept"])
        for method in args.methods:
            if (seed, method) in done:
                continue
            run = tuned_run(setting, source, method, splits.train, splits.test, lrs=args.lrs, lambdas=args.lambdas, val_fraction=args.val_fraction,
                            seed=seed, device=device)
            rows.append({"experiment": args.experiment, "target": target, "setting": name, "method": method, "seed": seed, **run})
            write_csv(pd.DataFrame(rows), out)
            print({key: round(v, 3) if isinstance(v, float) else v for key, v in rows[-1].items()}, flush=True)
    table = pd.DataFrame(rows)
    table = table[(table["target"] == target) & (table["setting"] == name)]
    summary = table.groupby("method", sort=False).agg(
        top1_mean=("top1", "mean"), top1_std=("top1", "std"), recall=("recall", "mean"), units=("units", "mean"), images=("images", "mean"),
        lr=("lr", lambda v: " ".join(f"{x:g}" for x in v)), lam=("lambda", lambda v: " ".join(f"{x:g}" for x in v)),
    )
    print(f"\n{target}, {t['labels_per_class']} labels a class, {unit} units, seeds {args.seeds}, {device}, "
          f"{platform.processor() or platform.machine()}")
    print(summary.round(2).to_markdown())


if __name__ == "__main__":
    main()
