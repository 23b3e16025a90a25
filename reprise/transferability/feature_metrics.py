"""Feature Metrics, Ueno & Kondo 2020, "A base model selection methodology for efficient
fine-tuning"; computed as in Appendix C of the linearized model-selection paper."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_matrix


def feature_metric_components(features: np.ndarray, zero_tol: float = 1e-6) -> dict[str, float]:
    r"""The per-model statistics of the target features f(x) [n, d], d >= 2:

    - ``zero_fraction`` = \frac{1}{nd} |\{(i, k): |f_k(x_i)| \le \text{zero\_tol}\}| (L0 sparsity);
    - ``hoyer`` = \frac1n \sum_i \frac{\sqrt d - \|f(x_i)\|_1 / \|f(x_i)\|_2}{\sqrt d - 1} (Hoyer 2004,
      in [0, 1]; an all-zero vector counts as 1);
    - ``variance`` = \frac1d \sum_k \mathrm{Var}_i f_k(x_i) (reported, not used in the score).
    """
    f = check_matrix(features, "features")
    n, d = f.shape
    if d < 2:
        raise InputError(f"features: sparsity needs at least 2 feature dimensions, got {d}")
    l1, l2 = np.abs(f).sum(axis=1), np.linalg.norm(f, axis=1)
    ratio = np.divide(l1, l2, out=np.ones(n), where=l2 > 0)  # all-zero row: maximally sparse
    hoyer = (np.sqrt(d) - ratio) / (np.sqrt(d) - 1)
    return {"zero_fraction": float(np.mean(np.abs(f) <= zero_tol)),
            "hoyer": float(np.mean(hoyer)), "variance": float(np.mean(f.var(axis=0)))}


def feature_metrics(features: np.ndarray, weights: tuple[float, float] = (0.5, 0.5),
                    zero_tol: float = 1e-6) -> float:
    r"""Feature-sparsity score of a pre-trained model on the target images.

    .. math::
        S_{\text{Feat. Metrics}}(f, \mathcal D) = w_0\, \text{zero\_fraction}(F) + w_1\, \text{hoyer}(F)

    Appendix C uses "the optimal linear combination of the two sparsity metrics" of Ueno & Kondo
    as the score (their variance metric is computed but not used); the hypothesis is that a
    model producing sparser representations of the target generalises better when fine-tuned.
    The text available to us defines neither metric nor the coefficients, so the two sparsity
    metrics here are the standard ones (see ``feature_metric_components``) and the coefficients
    are an argument (default: equal weights). No labels are used.

    Args:
        features: [n, d] features before the classification layer (post-ReLU for ResNets), the
            same features as LFC and RSA.
        weights: (w_0, w_1) coefficients of the linear combination.
        zero_tol: absolute threshold under which an activation counts as zero.

    Returns:
        Score in [0, 1] for non-negative weights summing to 1; higher means sparser features,
        predicted to fine-tune better.
    """
    c = feature_metric_components(features, zero_tol)
    return float(weights[0] * c["zero_fraction"] + weights[1] * c["hoyer"])
