"""Every score of one model on one target sample, timed: the scores of its features
(:mod:`reprise.transferability.on_features`), LGC on its gradients, and where their inputs are
given, Domain Similarity (the model's own pre-training data) and RSA (a network trained on the
target). The zoo, the checkpoint study and ``reprise rank`` all score a model through here.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from reprise.core.backbones import last_conv
from reprise.core.features import extract_features
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.means import unit_means
from reprise.transferability.domain_similarity import domain_similarity
from reprise.transferability.lgc import lgc
from reprise.transferability.on_features import scores_on_features
from reprise.transferability.rsa import rsa


def model_scores(
    backbone: torch.nn.Module, spec: ImageSpec, sample: ImageTable, device: torch.device, *, source_head: dict | None = None,
    source_means: tuple[np.ndarray, np.ndarray] | None = None, probe_features: np.ndarray | None = None, with_lgc: bool = True,
    lgc_projection_dim: int = 10_000, seed: int = 0, ds_min_count: int = 5, progress: bool = False,
) -> list[dict]:
    """Rows ``score, value, seconds`` of every score of one model on one target sample; ``seed``
    seeds LGC's projection and NLEEP's mixture.

    ``sample``: the target images to score on (at most 25 a class, as the linearized
    model-selection paper does); ``source_head``: the model's pre-training classifier (LEEP and
    NCE; NaN without); ``source_means``: class means and sizes of the model's pre-training data in
    its own features (:func:`source_class_means`; Domain Similarity, which leaves out classes with
    fewer than ``ds_min_count`` images, the paper's 5; NaN without them, without a source class or
    two target classes that large); ``probe_features``: features of the same images from a network trained
    on the target (RSA; NaN without); ``with_lgc``: whether to compute LGC (the costly one). A
    feature-based score's time includes the forward pass.
    """
    labels = sample.labels
    started = time.perf_counter()
    features = extract_features(backbone, spec, sample, device, progress=progress, desc="features").astype(np.float64)
    forward = time.perf_counter() - started

    def timed(name, compute, base=forward):
        start = time.perf_counter()
        value = compute()
        return {"score": name, "value": float(value), "seconds": base + time.perf_counter() - start}

    def undefined(name):
        return {"score": name, "value": float("nan"), "seconds": float("nan")}

    rows = [{**row, "seconds": forward + row["seconds"]} for row in scores_on_features(features, labels, source_head, seed)]
    if with_lgc:
        images = torch.cat([x for x, _, _ in sample.batches(spec, 256)])
        rows.append(timed("lgc", lambda: lgc(backbone.to(device).eval(), last_conv(backbone), images, labels, int(labels.max()) + 1,
                                             lgc_projection_dim, seed, batch_size=64), base=0.0))
    target_counts = np.bincount(labels)
    if source_means is not None and (source_means[1] >= ds_min_count).any() and (target_counts >= ds_min_count).sum() >= 2:
        target_means, target_counts = unit_means(features, labels, len(target_counts), "target class")
        rows.append(timed("domain_similarity", lambda: domain_similarity(source_means[0], source_means[1], target_means, target_counts,
                                                                          min_count=ds_min_count)))
    else:
        rows.append(undefined("domain_similarity"))
    rows.append(undefined("rsa") if probe_features is None else timed("rsa", lambda: rsa(features, probe_features)))
    return rows


def source_class_means(backbone, spec: ImageSpec, source: ImageTable, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Class means and sizes of a model's pre-training images ``source`` (labelled as it was
    trained) in its own features, for Domain Similarity."""
    features = extract_features(backbone, spec, source, device, progress=False)
    return unit_means(features, source.labels, source.num_classes, "source class")
