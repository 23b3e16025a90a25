"""PARC (Pairwise Annotation Representation Comparison), Bolya, Mittapalli & Hoffman 2021,
"Scalable Diverse Model Selection for Accessible Transfer Learning" (NeurIPS), §4."""

from __future__ import annotations

import numbers

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_features_labels
from reprise.transferability.rsa import _rdm_upper


def parc(features: np.ndarray, labels: np.ndarray, dims: int = 32) -> float:
    r"""Spearman correlation between the feature and the label dissimilarity matrices.

    With \tilde F the features reduced by PCA to at most ``dims`` principal components and each
    component standardised to unit variance, and Y the one-hot labels [n, K]:

    .. math::
        D_F = 1 - \mathrm{corr}(\tilde F),\quad D_Y = 1 - \mathrm{corr}(Y),\qquad
        \mathrm{PARC} = \rho_{\mathrm{Spearman}}\big(\mathrm{triu}(D_F),\ \mathrm{triu}(D_Y)\big)

    corr is the Pearson correlation across dimensions between every two samples (rows) and triu
    the n(n-1)/2 entries above the diagonal. D_Y is 0 for same-class pairs and K/(K-1) otherwise;
    it is built exactly so, where the authors' code computes it with corrcoef, whose rounding
    leaves some same-class entries at 1e-16 instead of 0 and so breaks their ties in the ranks.

    As in the authors' code (dbolya/parc, methods.py), PCA and standardisation (StandardScaler)
    come first. The PCA is applied at every width: a rotation onto the principal axes when
    d <= ``dims`` (theirs fails when d < dims), so the score does not jump at d = dims. Component
    signs follow scikit-learn (each component's largest loading positive); they matter, since the
    row correlation is not invariant to them. Departures from that code: the PCA is exact (theirs
    is randomised with ``iterated_power=1``, an approximation of the same projection); it keeps
    only components of nonzero variance, min(dims, rank of the centred features), where theirs
    keeps min(dims, n) and standardises numerical noise when the rank is lower; and the score is
    rho itself, in [-1, 1] like :func:`reprise.transferability.rsa.rsa`, where the authors' code
    returns 100 rho (multiply by 100 to compare with their tables).

    Args:
        features: [n, d] features of the target images from the layer before the classifier,
            n >= 3.
        labels: [n] int target class ids (any integers), at least two classes, at least one
            class with two samples.
        dims: number of principal components kept, >= 2 (the authors use 32).

    Returns:
        Spearman's rho in [-1, 1]; higher means same-class samples have more similar features,
        a better model to fine-tune. 0.0 when the feature dissimilarities are all equal.
    """
    x, y = check_features_labels(features, labels)
    if isinstance(dims, bool) or not isinstance(dims, numbers.Integral) or dims < 2:
        raise InputError(f"dims: the number of PCA components must be an integer >= 2, got {dims!r}")
    n, d = x.shape
    if n < 3:
        raise InputError(f"features: needs at least 3 samples for a rank correlation, got {n}")
    _, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.max() < 2:
        raise InputError("labels: no two samples share a class, so the label dissimilarities are all equal")
    if np.all(np.ptp(x, axis=0) == 0):
        raise InputError("features: every feature is constant; PARC's correlations are undefined")
    # here, not at the top: importing scikit-learn and scipy.stats costs ~1 s in every zoo stage
    from scipy.stats import spearmanr
    from sklearn.decomposition import PCA

    pca = PCA(n_components=min(int(dims), n, d), svd_solver="full")
    scores = pca.fit_transform(x)
    var = pca.explained_variance_
    keep = var > var[0] * (max(n, d) * np.finfo(np.float64).eps) ** 2  # drop null directions
    scores = scores[:, keep]
    standardised = scores / scores.std(axis=0)
    iu = np.triu_indices(n, k=1)
    label_rdm = (y_idx[iu[0]] != y_idx[iu[1]]) * (counts.size / (counts.size - 1))  # exact ties
    rho = spearmanr(_rdm_upper(standardised, "features"), label_rdm).statistic
    return float(rho) if np.isfinite(rho) else 0.0
