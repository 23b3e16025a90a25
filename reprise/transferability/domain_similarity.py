"""Domain Similarity, Cui, Song, Sun, Howard & Belongie 2018, "Large Scale Fine-Grained
Categorization and Domain-Specific Transfer Learning" (CVPR), §4.1 eq. 1-2; computed as in
Appendix C of the linearized model-selection paper."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_matrix


def _weights(w, k: int, name: str, min_count: float) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.shape[0] != k:
        raise InputError(f"{name}: mismatched lengths, {w.shape[0]} weights for {k} class means")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError(f"{name}: weights must be finite and non-negative")
    return np.where(w >= min_count, w, 0.0)


def domain_similarity(source_class_means: np.ndarray, source_class_weights: np.ndarray,
                      target_class_means: np.ndarray, target_class_weights: np.ndarray,
                      gamma: float = 0.01, min_count: float = 0.0) -> float:
    r"""Similarity of source and target domains from the EMD between their class means.

    .. math::
        d(S, T) = \mathrm{EMD}(S, T) = \min_{f \ge 0,\ f 1 = w^S,\ f^\top 1 = w^T}
                  \sum_{i,j} f_{ij}\, \|g(s_i) - g(t_j)\|_2, \qquad
        \mathrm{sim}(S, T) = e^{-\gamma\, d(S, T)}

    g(s_i), g(t_j) are the mean features of source class i and target class j, extracted by the
    *candidate model itself*; w^S, w^T are the class sizes normalised to sum to 1. Per Appendix C
    the source classes are those of the data set the candidate expert was pre-trained on, and
    classes with fewer than 5 training images are excluded (pass raw image counts as weights and
    ``min_count=5``). The paper offers no substitute when a model's source data is unavailable;
    then this score cannot be computed and should not be faked.

    Args:
        source_class_means: [Ks, d] mean feature per source class.
        source_class_weights: [Ks] image count (or weight) per source class.
        target_class_means: [Kt, d] mean feature per target class, Kt >= 2.
        target_class_weights: [Kt] image count (or weight) per target class.
        gamma: the paper's gamma = 0.01.
        min_count: classes whose weight is below this are dropped before normalising.

    Returns:
        Similarity in (0, 1]; higher means closer domains, a better model to fine-tune.
    """
    xs = check_matrix(source_class_means, "source_class_means")
    xt = check_matrix(target_class_means, "target_class_means")
    if xs.shape[1] != xt.shape[1]:
        raise InputError(f"class means: mismatched feature dimensions, {xs.shape[1]} vs {xt.shape[1]}")
    if not gamma > 0:
        raise InputError(f"gamma: must be positive, got {gamma}")
    ws = _weights(source_class_weights, xs.shape[0], "source_class_weights", min_count)
    wt = _weights(target_class_weights, xt.shape[0], "target_class_weights", min_count)
    if np.count_nonzero(wt) < 2:
        raise InputError("target_class_weights: needs at least two classes with weight >= min_count")
    if np.count_nonzero(ws) < 1:
        raise InputError("source_class_weights: no source class has weight >= min_count")
    import ot  # here, not at the top: importing POT costs ~1 s (it loads scikit-learn) in every zoo stage

    cost = ot.dist(xs, xt, metric="euclidean")
    emd = ot.emd2(ws / ws.sum(), wt / wt.sum(), cost)
    return float(np.exp(-gamma * emd))
