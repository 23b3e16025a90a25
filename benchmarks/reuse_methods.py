"""Top-1 of plain fine-tuning against reuse with each selection method, over several seeds.

Run after ``dvc repro`` (it reuses the pre-trained backbone and the pool's class means):

    python benchmarks/reuse_methods.py --seeds 0 1 2

Each seed draws its own labelled target split, fine-tuning order and random selection; the
backbone, the pool and every other setting come from ``params.yaml``. Writes one row per
(seed, method) to ``benchmarks/results/reuse_methods.csv`` and prints the mean and standard
deviation per method, with the recall of the target's concept among the selected classes.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise import layout
from reprise.artifacts import read_npy, read_parquet
from reprise.device import pick_device
from reprise.features import extract_features
from reprise.finetune import finetune
from reprise.images import ImageTable
from reprise.manifest import build_manifest
from reprise.models import load_backbone
from reprise.params import load_params
from reprise.pretrain import resolve_checkpoint
from reprise.selection import score_units, top_k
from reprise.training import accuracy
from reprise.units import class_units
from reprise.world import embedded_target

METHODS = ("none", "uot", "greedy", "random", "label")


def run(seed: int, method: str, params: dict, device: torch.device) -> dict:
    t, s, u, f = (params[k] for k in ("target", "select", "uot", "finetune"))
    checkpoint = resolve_checkpoint(layout.PRETRAIN_DIR, params["extract"]["checkpoint"])
    backbone, spec, _ = load_backbone(checkpoint)
    splits = embedded_target(t["name"], t["labels_per_class"], t["test_per_class"], seed)
    target_means, _ = class_units(splits.train.index, extract_features(backbone, spec, splits.train, device, progress=False), "target class")
    units = read_parquet(f"{layout.MEANS_DIR}/class.parquet")
    scores = score_units(
        read_npy(f"{layout.MEANS_DIR}/class.npy"), target_means, method, cost=u["cost"], eps_c=u["eps_c"], eps=u["eps"],
        tau1=u["tau1"], tau2=u["tau2"], source_concepts=units["concept"].tolist(), target_concept=splits.meta["concept"], seed=seed,
    )
    selected = top_k(scores, s["k"])
    source = None
    if len(selected):
        pool = ImageTable.read(layout.POOL_TABLE)
        manifest = build_manifest(pool.labels, selected, scores.scores[0])
        source = pool.subset(manifest["row"].to_numpy())
        source.index["label"] = manifest["source_label"].to_numpy()
    started = time.perf_counter()
    backbone, head, _ = finetune(
        backbone, spec, splits.train, source, epochs=f["epochs"], batch_size=f["batch_size"], lr=f["lr"], momentum=f["momentum"],
        weight_decay=f["weight_decay"], lam=f["lambda"], seed=seed, device=device, progress=False,
    )
    concept = (units["concept"] == splits.meta["concept"]).to_numpy()
    return {
        "seed": seed,
        "method": method,
        "top1": 100 * accuracy(backbone, head, splits.test, spec, device),
        "recall": concept[selected].sum() / concept.sum() if len(selected) else float("nan"),
        "units": len(selected),
        "finetune_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", default="benchmarks/results/reuse_methods.csv")
    args = parser.parse_args()
    params = load_params()
    device = pick_device(params["device"])
    rows = []
    for seed in args.seeds:
        for method in args.methods:
            rows.append(run(seed, method, params, device))
            print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    summary = table.groupby("method", sort=False).agg(top1_mean=("top1", "mean"), top1_std=("top1", "std"), recall=("recall", "mean"), units=("units", "mean"))
    print(f"\n{params['target']['name']}, {params['target']['labels_per_class']} labels a class, seeds {args.seeds}, {device}, {platform.processor() or platform.machine()}")
    print(summary.round(2).to_markdown())


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
