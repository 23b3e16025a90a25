"""The reuse comparison of the UOT paper's §4.2 on the pipeline's artifacts: plain fine-tuning
against fine-tuning with the source data each method selects (UOT, Greedy-OT, random,
label-based) or with Co-Tuning, each method with its own learning rate and λ chosen on a
validation split of the target's training set (the paper grid-searches them for every method),
never on the test set.

One run (:func:`reuse_finetune`) selects on the target's training images as the score and select
stages do, and fine-tunes as the finetune stage does; :func:`tuned_run` tries every grid point on
a validation split, then fine-tunes on the whole training set with the chosen point.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from reprise.core import layout
from reprise.core.accuracy import accuracy
from reprise.core.artifacts import read_npy
from reprise.core.checkpoints import load_backbone, load_feature_model
from reprise.core.features import extract_features
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable, validation_split
from reprise.reuse.cotuning import cotuning_relationship
from reprise.reuse.manifest import reused_source, selection_manifest
from reprise.reuse.recall import selection_metrics
from reprise.reuse.selection import score_units, top_k
from reprise.reuse.units import class_units, source_units


@dataclass(frozen=True)
class ReuseSetting:
    """What every run of a comparison shares: the pre-trained checkpoint and the feature layer
    that selects, the unit and K, the UOT params (``uot`` section), Greedy-OT's cost, the target's
    concept, and fine-tuning's epochs, batch size, momentum and weight decay."""

    checkpoint: Path
    layer: str
    unit: str
    k: int
    uot: dict
    greedy_cost: str
    concept: str | None
    epochs: int
    batch_size: int
    momentum: float
    weight_decay: float


def reuse_finetune(setting: ReuseSetting, method: str, train: ImageTable, test: ImageTable, *, lr: float, lam: float, seed: int,
                   device: torch.device) -> dict:
    """Select with ``method`` for ``train`` and fine-tune on it: ``top1`` (%) on ``test``, the
    selection's ``recall``/``precision`` of the target's concept, ``units`` and ``images`` reused."""
    feature_model, spec, ckpt = load_feature_model(setting.checkpoint, setting.layer)
    target_means, _ = class_units(train.index, extract_features(feature_model, spec, train, device, progress=False), "target class")
    source_means, units = source_units(setting.unit)
    u = setting.uot
    scores = score_units(
        source_means, target_means, method, cost=u["cost"] if method == "uot" else setting.greedy_cost, eps_c=u["eps_c"], eps=u["eps"],
        tau1=u["tau1"], tau2=u["tau2"], source_concepts=units["concept"].tolist() if "concept" in units else None,
        target_concept=setting.concept, seed=seed,
    )
    selected = top_k(scores, setting.k)
    pool = ImageTable.read(layout.POOL_TABLE)
    assignment = read_npy(layout.CLUSTER_ASSIGNMENT) if setting.unit == "cluster" else None
    manifest = selection_manifest(setting.unit, pool.index, assignment, selected, scores.scores[0])
    backbone, spec, _ = load_backbone(setting.checkpoint)
    relationship = None
    if method == "cotuning":
        relationship, _ = cotuning_relationship(backbone, spec, ckpt.get("source_head"), train, ImageTable.read(layout.POOL_VAL_TABLE), device)
    started = time.perf_counter()
    backbone, head, _ = finetune(
        backbone, spec, train, reused_source(pool, manifest) if len(selected) else None, epochs=setting.epochs, batch_size=setting.batch_size,
        lr=lr, momentum=setting.momentum, weight_decay=setting.weight_decay, lam=lam, seed=seed, device=device,
        source_labels=setting.unit != "cluster", relationship=relationship, source_head_state=ckpt.get("source_head"), progress=False,
    )
    seconds = time.perf_counter() - started
    selection = selection_metrics(manifest, pool.index, units, setting.unit, setting.concept) if len(selected) else {}
    return {"top1": 100 * accuracy(backbone, head, test, spec, device), "recall": selection.get("recall", float("nan")),
            "precision": selection.get("precision", float("nan")), "units": len(selected), "images": len(manifest), "finetune_s": seconds}


def tuned_run(setting: ReuseSetting, method: str, train: ImageTable, test: ImageTable, *, lrs: list[float], lambdas: list[float],
              val_fraction: float, seed: int, device: torch.device) -> dict:
    """``method`` with the (lr, λ) of the grid that scores best on a validation split of ``train``
    (seeded by ``seed``; ties to the first grid point; plain fine-tuning has no λ), then
    fine-tuned on the whole of ``train`` with it and measured on ``test``: the
    :func:`reuse_finetune` row with ``lr``, ``lambda`` and ``val_top1`` of the chosen point."""
    fit, val = validation_split(train, val_fraction, seed)
    grid = list(itertools.product(lrs, lambdas if method != "none" else [0.0]))
    val_top1 = [reuse_finetune(setting, method, fit, val, lr=lr, lam=lam, seed=seed, device=device)["top1"] for lr, lam in grid]
    lr, lam = grid[int(np.argmax(val_top1))]
    return {**reuse_finetune(setting, method, train, test, lr=lr, lam=lam, seed=seed, device=device), "lr": lr, "lambda": lam,
            "val_top1": max(val_top1)}
