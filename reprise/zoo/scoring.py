"""Model selection without fine-tuning: every transferability score of a zoo member on every zoo
target, timed (the linearized model-selection paper, §3.3 and §4.3).

:func:`score_on_targets` computes every score of a member
(:func:`reprise.transferability.on_model.model_scores`) on every target and regime;
:mod:`reprise.zoo.report` judges the scores against the fine-tuned accuracies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from reprise.core.checkpoints import load_backbone
from reprise.core.errors import InputError
from reprise.core.images import ImageSpec, ImageTable
from reprise.transferability.on_model import model_scores, source_class_means
from reprise.zoo.layout import ZOO_TARGETS, zoo_target_dir
from reprise.zoo.members import ZooMember, member_pool
from reprise.zoo.targets import read_regime, regime_names


def score_on_targets(
    member: str, backbone: torch.nn.Module, spec: ImageSpec, source_head: dict | None, targets: list[str],
    source_means: tuple[np.ndarray, np.ndarray] | None, device: torch.device, lgc_projection_dim: int, seed: int, ds_min_count: int,
    targets_root: str = ZOO_TARGETS,
) -> pd.DataFrame:
    """Every score of one member on every target and regime prepared under ``targets_root`` (the
    zoo_targets stage's by default):
    columns ``member, target, regime, score, value, seconds``; a non-finite score is an error."""
    rows = []
    for target in targets:
        folder = zoo_target_dir(target, targets_root)
        for regime in regime_names(folder):
            prepared = read_regime(folder, regime)
            scores = model_scores(backbone, spec, prepared.sample, device, source_head=source_head, source_means=source_means,
                                  probe_features=prepared.probe_features, lgc_projection_dim=lgc_projection_dim, seed=seed, ds_min_count=ds_min_count)
            rows += [{"member": member, "target": target, "regime": regime, **row} for row in scores]
            print(target, regime, {r["score"]: round(r["value"], 4) for r in scores}, flush=True)
    table = pd.DataFrame(rows)
    if not np.isfinite(table["value"].dropna()).all():
        raise InputError(f"zoo member {member} gave a non-finite score; check its weights")
    return table


def score_zoo_member(
    member: ZooMember, checkpoint: str, pool: ImageTable | None, targets: list[str], *, images_per_class: int, lgc_projection_dim: int, seed: int,
    ds_min_count: int, device: torch.device, targets_root: str = ZOO_TARGETS,
) -> pd.DataFrame:
    """:func:`score_on_targets` of a member from its checkpoint; an embedded member's source class
    means come from its share of ``pool`` (:func:`reprise.zoo.members.member_pool`); an imported
    one has none (domain similarity needs the member's own pre-training data)."""
    backbone, spec, ckpt = load_backbone(checkpoint)
    source_means = None
    if not member.imported:
        source_means = source_class_means(backbone, spec, member_pool(pool, member, images_per_class), device)
    return score_on_targets(member.name, backbone, spec, ckpt.get("source_head"), targets, source_means, device, lgc_projection_dim, seed,
                            ds_min_count, targets_root)
