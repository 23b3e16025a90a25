"""N-LEEP, Li, Jia, Sang, Zhu, Green, Wang & Gong 2021, "Ranking Neural Checkpoints" (CVPR), §4:
LEEP with the source head replaced by a Gaussian mixture fitted on PCA-reduced target features."""

from __future__ import annotations

import numbers

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_features_labels
from reprise.transferability.leep import leep


def nleep(features: np.ndarray, labels: np.ndarray, seed: int = 0, variance: float = 0.8,
          components_per_class: int = 5) -> float:
    r"""Gaussian-mixture LEEP.

    The features are reduced by PCA to the fewest principal components that keep a fraction
    ``variance`` of their variance, a Gaussian mixture with V = ``components_per_class`` x K
    components (K target classes, full covariances, k-means initialisation) is fitted on the
    reduced features \tilde x_i, and LEEP is computed with its posteriors \pi(v \mid \tilde x_i)
    in place of a source head:

    .. math::
        \hat P(y, v) = \frac1n \sum_{i: y_i = y} \pi(v \mid \tilde x_i),\quad
        \hat P(y \mid v) = \frac{\hat P(y, v)}{\sum_{y'} \hat P(y', v)},\quad
        \mathcal N\mathrm{LEEP} = \frac1n \sum_{i=1}^n \log \sum_{v=1}^{V}
            \hat P(y_i \mid v)\, \pi(v \mid \tilde x_i)

    The last step is :func:`reprise.transferability.leep.leep` on the mixture posteriors. This is
    Li et al.'s definition, with the log. The SFDA authors' ``NLEEP`` (TencentARC/SFDA,
    metrics.py) returns the mean of the inner sum without the log and fits the mixture unseeded;
    here the log is taken and the mixture is seeded (``random_state=seed``), so the score is
    deterministic for a seed.

    Args:
        features: [n, d] features of the target images from the layer before the classifier.
        labels: [n] int target class ids (any integers), at least two classes.
        seed: random state of the mixture's k-means initialisation.
        variance: fraction of the feature variance the PCA keeps, in (0, 1).
        components_per_class: mixture components per target class. A mixture cannot have more
            components than samples: with fewer than components_per_class x K samples (a
            few-shot target) it has n components, one a sample at its best fit.

    Returns:
        The mean log-likelihood of the target labels under the mixture's empirical classifier
        (<= 0); higher (closer to 0) means better transferability.
    """
    x, y = check_features_labels(features, labels)
    if not isinstance(variance, numbers.Real) or not 0 < variance < 1:
        raise InputError(f"variance: the fraction of variance PCA keeps must be in (0, 1), got {variance!r}")
    if isinstance(components_per_class, bool) or not isinstance(components_per_class, numbers.Integral) \
            or components_per_class < 1:
        raise InputError(f"components_per_class: must be a positive integer, got {components_per_class!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise InputError(f"seed: must be an integer in [0, 2**32), got {seed!r}")
    n_components = min(int(components_per_class) * np.unique(y).size, x.shape[0])
    if np.all(np.ptp(x, axis=0) == 0):
        raise InputError("features: every feature is constant, there is no variance for the PCA to keep")
    # here, not at the top: importing scikit-learn costs ~1 s in every zoo stage
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    reduced = PCA(n_components=float(variance), svd_solver="full").fit_transform(x)
    gmm = GaussianMixture(n_components=n_components, random_state=int(seed)).fit(reduced)
    return leep(gmm.predict_proba(reduced), y)
