"""Model selection without fine-tuning: every transferability score of a zoo member on every zoo
target, timed (the linearized model-selection paper, §3.3 and §4.3).

:func:`score_member` computes the scores of :mod:`reprise.transferability` for one member on one
target sample; :func:`score_on_targets` does it for every target and regime;
:mod:`reprise.zoo.report` judges the scores against the fine-tuned accuracies.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from reprise.zoo.layout import ZOO_TARGETS, zoo_target_dir
from reprise.core.backbones import last_conv
from reprise.core.checkpoints import load_backbone
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.means import unit_means
from reprise.transferability import domain_similarity, lgc, rsa
from reprise.core.score_names import FEATURE_SCORES
from reprise.transferability.on_features import scores_on_features
from reprise.zoo.members import ZooMember, member_pool
from reprise.zoo.targets import read_regime, regime_names

SCORE_NAMES = (*FEATURE_SCORES, "lgc", "domain_similarity", "rsa")


def score_member(
    backbone: torch.nn.Module,
    spec: ImageSpec,
    source_head: dict | None,
    sample: ImageTable,
    probe_features: np.ndarray,
    source_means: tuple[np.ndarray, np.ndarray] | None,
    device: torch.device,
    lgc_projection_dim: int = 10_000,
    seed: int = 0,
    ds_min_count: int = 5,
) -> list[dict]:
    """Every score of one member on one target sample (:data:`SCORE_NAMES`): rows ``score, value,
    seconds``; ``seed`` seeds LGC's projection and NLEEP's mixture.

    ``sample``: the target images to score on (at most 25 a class, as the paper does);
    ``source_head``: the member's pre-training classifier (LEEP and NCE need it; NaN without);
    ``probe_features``: features of the same images from a network trained on the target (RSA);
    ``source_means``: class means and sizes of the member's pre-training data in its own features
    (domain similarity, which leaves out classes with fewer than ``ds_min_count`` images, the
    paper's 5; NaN without source means or without two target classes that large). A
    feature-based score's time includes the forward pass.
    """
    labels = sample.labels
    started = time.perf_counter()
    features = extract_features(backbone, spec, sample, device, progress=False).astype(np.float64)
    forward = time.perf_counter() - started

    def timed(name, compute, base=forward):
        start = time.perf_counter()
        value = compute()
        return {"score": name, "value": float(value), "seconds": base + time.perf_counter() - start}

    rows = [{**row, "seconds": forward + row["seconds"]} for row in scores_on_features(features, labels, source_head, seed)]
    images = torch.cat([x for x, _, _ in sample.batches(spec, 256)])
    rows.append(timed("lgc", lambda: lgc(backbone.to(device).eval(), last_conv(backbone), images, labels, int(labels.max()) + 1, lgc_projection_dim, seed, batch_size=64), base=0.0))
    target_counts = np.bincount(labels)
    if source_means is not None and (target_counts >= ds_min_count).sum() >= 2:
        target_means, target_counts = unit_means(features, labels, len(target_counts), "target class")
        rows.append(timed("domain_similarity", lambda: domain_similarity(source_means[0], source_means[1], target_means, target_counts,
                                                                          min_count=ds_min_count)))
    else:
        rows.append({"score": "domain_similarity", "value": float("nan"), "seconds": float("nan")})
    rows.append(timed("rsa", lambda: rsa(features, probe_features)))
    return rows


def source_class_means(backbone, spec: ImageSpec, pool: ImageTable, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Class means and sizes of a member's pre-training images in its own features (domain similarity)."""
    features = extract_features(backbone, spec, pool, device, progress=False)
    return unit_means(features, pool.labels, pool.num_classes, "source class")


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
            scores = score_member(backbone, spec, source_head, prepared.sample, prepared.probe_features, source_means, device,
                                  lgc_projection_dim, seed, ds_min_count)
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
    if member.weights is None:
        source_means = source_class_means(backbone, spec, member_pool(pool, member, images_per_class), device)
    return score_on_targets(member.name, backbone, spec, ckpt.get("source_head"), targets, source_means, device, lgc_projection_dim, seed,
                            ds_min_count, targets_root)
