"""Top-1 of plain fine-tuning against reuse with each selection method, over several seeds.

Run after ``dvc repro`` (it reuses the pre-trained backbone and the pool's unit means):

    python benchmarks/reuse_methods.py --seeds 0 1 2 [--unit class|cluster] [--k 20] [--target digits]

Each seed draws its own labelled target split, fine-tuning order and random selection; the
backbone, the pool, the units and every other setting come from ``params.yaml`` and the
pipeline's artifacts. Classes are reused by eq. 6 (with their labels), clusters by eq. 7 (soft
pseudo-labels, no source label read). Writes one row per (seed, method) to ``--out`` and prints
the mean and standard deviation per method, with the recall of the target's concept (classes:
share of the concept's classes selected; clusters: share of its pool images selected).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import pandas as pd
import torch

from reprise.core import layout
from reprise.core.accuracy import accuracy
from reprise.core.artifacts import read_npy
from reprise.core.checkpoints import kept_checkpoint, load_backbone, load_feature_model
from reprise.core.device import pick_device
from reprise.core.features import extract_features
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable
from reprise.core.params import load_params
from reprise.reuse.manifest import reused_source, selection_manifest
from reprise.reuse.recall import selection_metrics
from reprise.reuse.selection import score_units, top_k
from reprise.reuse.units import class_units, source_units
from reprise.world.targets import handwriting_target

METHODS = ("none", "uot", "greedy", "random", "label")


def run(seed: int, method: str, unit: str, k: int, params: dict, device: torch.device) -> dict:
    t, u, f = (params[key] for key in ("target", "uot", "finetune"))
    checkpoint = kept_checkpoint(layout.PRETRAIN_DIR, params["extract"]["checkpoint"])
    feature_model, spec, _ = load_feature_model(checkpoint, params["extract"]["layer"])
    splits = handwriting_target(t["name"], t["labels_per_class"], t["test_per_class"], seed)
    target_features = extract_features(feature_model, spec, splits.train, device, progress=False)
    target_means, _ = class_units(splits.train.index, target_features, "target class")
    source_means, units = source_units(unit)
    scores = score_units(
        source_means, target_means, method, cost=u["cost"], eps_c=u["eps_c"], eps=u["eps"],
        tau1=u["tau1"], tau2=u["tau2"], source_concepts=units["concept"].tolist() if "concept" in units else None,
        target_concept=splits.meta["concept"], seed=seed,
    )
    selected = top_k(scores, k)
    pool = ImageTable.read(layout.POOL_TABLE)
    assignment = read_npy(layout.CLUSTER_ASSIGNMENT) if unit == "cluster" else None
    manifest = selection_manifest(unit, pool.index, assignment, selected, scores.scores[0])
    source = reused_source(pool, manifest) if len(selected) else None
    backbone, spec, _ = load_backbone(checkpoint)
    started = time.perf_counter()
    backbone, head, _ = finetune(
        backbone, spec, splits.train, source, epochs=f["epochs"], batch_size=f["batch_size"], lr=f["lr"], momentum=f["momentum"],
        weight_decay=f["weight_decay"], lam=f["lambda"], seed=seed, device=device, source_labels=unit != "cluster", progress=False,
    )
    selection = selection_metrics(manifest, pool.index, units, unit, splits.meta["concept"])
    return {
        "seed": seed,
        "method": method,
        "unit": unit,
        "top1": 100 * accuracy(backbone, head, splits.test, spec, device),
        "recall": selection.get("recall", float("nan")) if len(selected) else float("nan"),
        "precision": selection.get("precision", float("nan")) if len(selected) else float("nan"),
        "units": len(selected),
        "images": len(manifest),
        "finetune_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--unit", choices=("class", "cluster"), help="default: select.unit of params.yaml")
    parser.add_argument("--k", type=int, help="units selected; default: select.k of params.yaml")
    parser.add_argument("--target", choices=("mnist", "digits"), help="default: target.name of params.yaml")
    parser.add_argument("--out", default="benchmarks/results/reuse_methods.csv")
    args = parser.parse_args()
    params = load_params()
    if args.target:
        params["target"]["name"] = args.target
    device = pick_device(params["device"])
    unit, k = args.unit or params["select"]["unit"], args.k or params["select"]["k"]
    rows = []
    for seed in args.seeds:
        for method in args.methods:
            rows.append(run(seed, method, unit, k, params, device))
            print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    summary = table.groupby("method", sort=False).agg(
        top1_mean=("top1", "mean"), top1_std=("top1", "std"), recall=("recall", "mean"), precision=("precision", "mean"), units=("units", "mean"), images=("images", "mean")
    )
    print(f"\n{params['target']['name']}, {params['target']['labels_per_class']} labels a class, {unit} units, seeds {args.seeds}, {device}, {platform.processor() or platform.machine()}")
    print(summary.round(2).to_markdown())


if __name__ == "__main__":
    main()
