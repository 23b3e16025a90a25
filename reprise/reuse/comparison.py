"""The reuse comparison of the UOT paper's §4.2 on the pipeline's artifacts: plain fine-tuning
against fine-tuning with the source data each method selects (UOT, Greedy-OT, random,
label-based) or with Co-Tuning, each method with its own learning rate and λ chosen on a
validation split of the target's training set (the paper grid-searches them for every method),
never on the test set.

One run (:func:`reuse_finetune`) selects on the target's training images as the score and select
stages do, and fine-tunes as the finetune stage does; :func:`tuned_run` tries every grid point on
a validation split, then fine-tunes on the whole training set with the chosen point. The source
units come from the pipeline's artifacts (:meth:`ReuseSource.of_pipeline`) or from any backbone's
pool features (:meth:`ReuseSource.of_features`, the testbed's self-supervised backbone and
cluster sweeps).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.core.layout import POOL_TABLE, POOL_VAL_TABLE
from reprise.reuse.layout import CLUSTER_ASSIGNMENT
from reprise.core.accuracy import accuracy
from reprise.core.artifacts import read_npy
from reprise.core.checkpoints import load_backbone, load_feature_model
from reprise.core.features import extract_features
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable, validation_split
from reprise.reuse.manifest import selection_manifest
from reprise.reuse.recall import selection_metrics
from reprise.reuse.reused import reused_data
from reprise.reuse.selection import UnitScores, score_units, top_k
from reprise.reuse.settings import UotSettings
from reprise.reuse.units import class_units, cluster_units, source_units


@dataclass(frozen=True)
class ReuseSource:
    """The source units a selection chooses among: the pool, the kind of unit (``class`` or
    ``cluster``), each unit's mean feature, the unit table (``unit, name, count`` and ``concept``
    for classes) and, for clusters, the k-means assignment of every pool image."""

    pool: ImageTable
    unit: str
    means: np.ndarray
    units: pd.DataFrame
    assignment: np.ndarray | None = None

    @classmethod
    def of_pipeline(cls, unit: str) -> "ReuseSource":
        """The units the pipeline's means (and cluster) stages wrote."""
        means, units = source_units(unit)
        return cls(ImageTable.read(POOL_TABLE), unit, means, units, read_npy(CLUSTER_ASSIGNMENT) if unit == "cluster" else None)

    @classmethod
    def of_features(cls, pool: ImageTable, features: np.ndarray, assignment: np.ndarray | None = None) -> "ReuseSource":
        """Class units of ``pool`` from its ``features``, or cluster units when ``assignment`` is given."""
        if assignment is None:
            return cls(pool, "class", *class_units(pool.index, features))
        return cls(pool, "cluster", *cluster_units(assignment, features), assignment)


@dataclass(frozen=True)
class ReuseSetting:
    """What every run of a comparison shares: the pre-trained checkpoint and the feature layer
    that selects, K, the UOT problem and solver (the ``uot`` section), Greedy-OT's cost, the
    target's concept, and fine-tuning's epochs, batch size, momentum and weight decay."""

    checkpoint: Path
    layer: str
    k: int
    uot: UotSettings
    greedy_cost: str
    concept: str | None
    epochs: int
    batch_size: int
    momentum: float
    weight_decay: float


def unit_scores(setting: ReuseSetting, source: ReuseSource, method: str, train: ImageTable, seed: int, device: torch.device) -> UnitScores:
    """Every source unit's score for ``train`` by ``method``, on the class means of ``train``'s
    features from the setting's checkpoint and layer (as the extract, means and score stages)."""
    feature_model, spec, _ = load_feature_model(setting.checkpoint, setting.layer)
    target_means, _ = class_units(train.index, extract_features(feature_model, spec, train, device, progress=False), "target class")
    units = source.units
    return score_units(
        source.means, target_means, method, **setting.uot.solver_args(method, setting.greedy_cost),
        source_concepts=units["concept"].tolist() if "concept" in units else None, target_concept=setting.concept, seed=seed,
    )


def reuse_finetune(setting: ReuseSetting, source: ReuseSource, method: str, train: ImageTable, test: ImageTable, *, lr: float, lam: float,
                   seed: int, device: torch.device, selected: np.ndarray | None = None) -> dict:
    """Select with ``method`` for ``train`` (or reuse exactly the units ``selected``) and fine-tune
    on it: ``top1`` (%) on ``test``, the selection's ``recall``/``precision`` of the target's
    concept, ``units`` and ``images`` reused."""
    if selected is None:
        scores = unit_scores(setting, source, method, train, seed, device)
        selected, values = top_k(scores, setting.k), scores.scores[0]
    else:
        values = np.zeros(len(source.units))
    pool = source.pool
    manifest = selection_manifest(source.unit, pool.index, source.assignment, selected, values)
    backbone, spec, ckpt = load_backbone(setting.checkpoint)
    reused = reused_data(method, source.unit, manifest, lambda: pool, backbone=backbone, spec=spec, source_head=ckpt.get("source_head"),
                         target=train, pool_val=lambda: ImageTable.read(POOL_VAL_TABLE), device=device)
    started = time.perf_counter()
    backbone, head, _ = finetune(
        backbone, spec, train, reused.source, epochs=setting.epochs, batch_size=setting.batch_size, lr=lr, momentum=setting.momentum,
        weight_decay=setting.weight_decay, lam=lam, seed=seed, device=device, source_labels=reused.source_labels,
        relationship=reused.relationship, source_head_state=ckpt.get("source_head"), progress=False,
    )
    seconds = time.perf_counter() - started
    selection = selection_metrics(manifest, pool.index, source.units, source.unit, setting.concept) if len(selected) else {}
    return {"top1": 100 * accuracy(backbone, head, test, spec, device), "recall": selection.get("recall", float("nan")),
            "precision": selection.get("precision", float("nan")), "units": len(selected), "images": len(manifest), "finetune_s": seconds}


def tuned_run(setting: ReuseSetting, source: ReuseSource, method: str, train: ImageTable, test: ImageTable, *, lrs: list[float], lambdas: list[float],
              val_fraction: float, seed: int, device: torch.device) -> dict:
    """``method`` with the (lr, λ) of the grid that scores best on a validation split of ``train``
    (seeded by ``seed``; ties to the first grid point; plain fine-tuning has no λ), then
    fine-tuned on the whole of ``train`` with it and measured on ``test``: the
    :func:`reuse_finetune` row with ``lr``, ``lambda`` and ``val_top1`` of the chosen point."""
    fit, val = validation_split(train, val_fraction, seed)
    grid = list(itertools.product(lrs, lambdas if method != "none" else [0.0]))
    val_top1 = [reuse_finetune(setting, source, method, fit, val, lr=lr, lam=lam, seed=seed, device=device)["top1"] for lr, lam in grid]
    lr, lam = grid[int(np.argmax(val_top1))]
    return {**reuse_finetune(setting, source, method, train, test, lr=lr, lam=lam, seed=seed, device=device), "lr": lr, "lambda": lam,
            "val_top1": max(val_top1)}
