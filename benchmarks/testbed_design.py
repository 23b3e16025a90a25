"""The measurements behind the testbed's design (docs/testbed.md): on which candidate targets does
*which* pre-training data is reused make a difference? Plain fine-tuning, random, UOT and
label-based reuse (K = the target concept's classes in the pool, the rate and λ of params.yaml)
on each candidate, paired by seed.

Run after ``dvc repro`` (it reuses the pre-trained backbone and the pool's class means):

    python benchmarks/testbed_design.py --seeds 0 1 2 3 [--out benchmarks/results/testbed_design.csv]
    python -m reprise compare benchmarks/results/testbed_design.csv --against random none

Candidates: MNIST with 20 and 5 labels a class; glyph concepts rendered anew with 5 labels a class,
as the pool renders them and elastically distorted (alpha 16 px, sigma 3 px; a style no pool image
has). Writes one row per (candidate, method, seed) with ``experiment, target, setting, method,
seed, top1`` first, after every row; ``--resume`` keeps the rows already in ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from reprise.core import layout
from reprise.core.artifacts import read_csv, write_csv
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.device import pick_device
from reprise.core.params import load_params
from reprise.reuse.comparison import ReuseSetting, ReuseSource, reuse_finetune
from reprise.reuse.suite import related_classes
from reprise.reuse.testbed import draw_target

# (target, labels a class, test images a class or None for every other image, elastic alpha)
CANDIDATES = [("mnist", 20, None, 0), ("mnist", 5, None, 0)] + [
    (concept, 5, 40, alpha) for alpha in (0, 16) for concept in ("greek_lower", "arrow", "latin_upper", "cyrillic_lower")]
METHODS = ("none", "random", "uot", "label")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--out", default="benchmarks/results/testbed_design.csv")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    params = load_params()
    f, s = params["finetune"], params["select"]
    source = ReuseSource.of_pipeline("class")
    device = pick_device(params["device"])
    out = Path(args.out)
    rows = read_csv(out).to_dict("records") if args.resume and out.exists() else []
    done = {(r["target"], r["setting"], r["method"], r["seed"]) for r in rows}
    for target, labels, test, alpha in CANDIDATES:
        name = f"{labels} a class" + (f", elastic {alpha}" if alpha else "")
        k = related_classes(target, source.units["concept"].tolist())
        for seed in args.seeds:
            splits = draw_target(target, labels, test, seed, elastic_alpha=alpha)
            setting = ReuseSetting(checkpoint=kept_checkpoint(layout.PRETRAIN_DIR, "last"), layer=params["extract"]["layer"], k=k,
                                   uot=params["uot"], greedy_cost=s["greedy_cost"], concept=splits.meta["concept"], epochs=f["epochs"],
                                   batch_size=f["batch_size"], momentum=f["momentum"], weight_decay=f["weight_decay"])
            for method in METHODS:
                if (target, name, method, seed) in done:
                    continue
                run = reuse_finetune(setting, source, method, splits.train, splits.test, lr=f["lr"], lam=f["lambda"], seed=seed, device=device)
                rows.append({"experiment": "testbed_design", "target": target, "setting": name, "method": method, "seed": seed, **run})
                write_csv(pd.DataFrame(rows), out)
        table = pd.DataFrame(rows)
        part = table[(table["target"] == target) & (table["setting"] == name)]
        print(target, name, part.groupby("method", sort=False)["top1"].mean().round(2).to_dict(), flush=True)


if __name__ == "__main__":
    main()
