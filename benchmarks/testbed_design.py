"""The measurements behind the testbed's design (docs/testbed.md): on which candidate targets does
*which* pre-training data is reused make a difference? Plain fine-tuning, random, UOT and
label-based reuse (K = the target concept's classes in the pool) on each candidate, paired by seed,
every method at the pipeline's fine-tuning rate and λ (``finetune.lr``, ``finetune.lambda`` of
params.yaml: fixed before any measurement, so that no choice reads a test set).

Run after ``dvc repro`` (it reuses the pre-trained backbone and the pool's class means):

    python benchmarks/testbed_design.py [--seeds 6] [--workers 2] [--out benchmarks/results/testbed_design.csv]
    reprise compare benchmarks/results/testbed_design.csv --against random none
    python benchmarks/testbed_design.py --seeds 10 --only latin_upper:16 cyrillic_lower:16 \
        --out benchmarks/results/testbed_design_10_seeds.csv   # the chosen targets at 10 seeds

Candidates: MNIST with 20 and 5 labels a class; glyph concepts rendered anew with 5 labels a class
(40 test images a class), as the pool renders them and elastically distorted (alpha 16 px, sigma
3 px: a style no pool image has). Each candidate runs as the suite's Table 1 does
(:mod:`reprise.reuse.suite.execution`, resumable: a rerun keeps the runs already made under the same code,
params and inputs). Writes one row per (candidate, method, seed) with ``experiment, target,
setting, method, seed, top1`` first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from dataclasses import replace

from reprise.core.artifacts import read_parquet, write_csv
from reprise.core.device import pick_device
from reprise.core.params import load_params
from reprise.core.sections import FinetuneSettings
from reprise.reuse.layout import means_prefix
from reprise.reuse.settings import ExtractSettings, SelectSettings, UotSettings
from reprise.reuse.suite.execution import context_for, experiment_inputs, fingerprint, run_experiment
from reprise.reuse.suite.layout import PARTIAL_DIR
from reprise.reuse.suite.plan import plan
from reprise.reuse.suite.settings import SUITE_PARAMS, TestbedSettings

# (target, labels a class, test images a class or None for every other image, elastic alpha)
CANDIDATES = [("mnist", 20, None, 0), ("mnist", 5, None, 0)] + [
    (concept, 5, 40, alpha) for alpha in (0, 16) for concept in ("greek_lower", "arrow", "latin_upper", "cyrillic_lower")]
METHODS = ["none", "random", "uot", "label"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", metavar="TARGET:ALPHA", help="run only these candidates (e.g. latin_upper:16)")
    parser.add_argument("--out", default="benchmarks/results/testbed_design.csv")
    args = parser.parse_args()
    params = load_params()
    testbed = TestbedSettings.parse(load_params(SUITE_PARAMS)["testbed"])
    sections = [cls.parse(params[cls.section], params["mode"]) for cls in (ExtractSettings, FinetuneSettings, UotSettings, SelectSettings)]
    concepts = read_parquet(f"{means_prefix('class')}.parquet")["concept"].tolist()
    tables = []
    for target, labels, test, alpha in CANDIDATES:
        if args.only and f"{target}:{alpha:g}" not in args.only:
            continue
        name = f"{labels} a class" + (f", elastic {alpha}" if alpha else "")
        cfg = replace(testbed, targets={target: {"labels_per_class": labels, "test_per_class": test, "elastic_alpha": alpha}},
                      seeds=args.seeds, methods=METHODS)
        fixed = pd.DataFrame([{"target": target, "method": m, "lr": params["finetune"]["lr"],
                               "lambda": 0.0 if m == "none" else params["finetune"]["lambda"]} for m in METHODS])
        runs = plan("table1", cfg, concepts, fixed)
        context = context_for(cfg, *sections, None, pick_device(params["device"]))
        key = fingerprint(context, [*experiment_inputs("table1"), Path(__file__)])
        partial = Path(PARTIAL_DIR) / f"testbed_design_{target}_{labels}_{alpha:g}.csv"
        rows = run_experiment(runs, context, partial, key, args.workers).assign(experiment="testbed_design", setting=name)
        tables.append(rows)
        print(target, name, rows.groupby("method", sort=False)["top1"].mean().round(2).to_dict(), flush=True)
        write_csv(pd.concat(tables, ignore_index=True), args.out)


if __name__ == "__main__":
    main()
