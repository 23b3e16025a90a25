"""RSA, Dwivedi & Roig 2019, "Representation Similarity Analysis for Efficient Task Taxonomy &
Transfer Learning" (CVPR); computed as in Appendix C, eq. 9-11, of the linearized model-selection
paper."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_matrix


def _rdm_upper(x: np.ndarray, name: str) -> np.ndarray:
    if x.shape[1] < 2 or np.any(np.ptp(x, axis=1) == 0):
        raise InputError(f"{name}: a sample's feature vector is constant (or d < 2); its correlation is undefined")
    rdm = 1.0 - np.corrcoef(x)  # rows are samples
    return rdm[np.triu_indices(x.shape[0], k=1)]


def rsa(features: np.ndarray, probe_features: np.ndarray) -> float:
    r"""Spearman correlation between the representation dissimilarity matrices of the candidate
    model and of a probe network trained on the target.

    .. math::
        \mathrm{rdm}_f(i, j) = 1 - \mathrm{corr}(f(x_i), f(x_j)),\qquad
        S_{RSA} = \mathrm{spearmanr}\big(\mathrm{triu}(\mathrm{rdm}_f),\ \mathrm{triu}(\mathrm{rdm}_{f_{small}})\big)

    corr is the Pearson correlation across feature dimensions of two samples; triu takes the
    n(n-1)/2 entries above the diagonal (the matrices are symmetric with a zero diagonal).
    The probe f_small is, per Appendix C, a ResNet-18 trained on the target task with the
    paper's fine-tuning recipe (§4.2) at initial learning rate 0.005; the caller trains it and
    passes its features (before the classifier) for the same images in the same order.

    Args:
        features: [n, d] candidate-model features (before the classification layer) of the
            target images, n >= 3.
        probe_features: [n, d'] probe-network features of the same images.

    Returns:
        Spearman's rho in [-1, 1]; higher means the candidate represents the target images
        like a network trained on the target, a better model to fine-tune.
    """
    x = check_matrix(features, "features")
    p = check_matrix(probe_features, "probe_features", n=x.shape[0])
    if x.shape[0] < 3:
        raise InputError(f"features: needs at least 3 samples for a rank correlation, got {x.shape[0]}")
    from scipy.stats import spearmanr  # here, not at the top: scipy.stats costs ~1 s in every zoo stage

    rho = spearmanr(_rdm_upper(x, "features"), _rdm_upper(p, "probe_features")).statistic
    return float(rho) if np.isfinite(rho) else 0.0
