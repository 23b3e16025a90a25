"""SFDA, Shao, Zhao, Ge, Zhang, Yang, Wang, Shan & Luo 2022, "Not All Models Are Equal:
Predicting Model Transferability in a Self-challenging Fisher Space" (ECCV), §3: regularised
Fisher discriminant analysis, the ConfMix self-challenge, and a second regularised FDA."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from reprise.core.errors import InputError
from reprise.core.means import unit_means
from reprise.transferability._checks import check_features_labels

_MIN_SHRINKAGE = 1e-10


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _reg_fda_posterior(x: np.ndarray, y_idx: np.ndarray, k: int,
                       shrinkage: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Posteriors [n, k] of the regularised FDA fitted on (x, y_idx), the class means [k, d] and
    the shrinkage used (computed from the largest eigenvalue of S_W when ``shrinkage`` is None)."""
    n, d = x.shape
    means, counts = unit_means(x, y_idx, k, "target class")
    resid = x - means[y_idx]
    s_w = resid.T @ resid / n  # sum_k pi_k Cov_k (biased): the within-class scatter
    mu = np.trace(s_w) / d
    if not mu > 0:
        raise InputError("features: no within-class variance (every class is a single point); SFDA is undefined")
    if shrinkage is None:
        gram = s_w if d <= n else resid @ resid.T / n  # same nonzero eigenvalues, the smaller matrix
        top = float(scipy.linalg.eigvalsh(gram, subset_by_index=[gram.shape[0] - 1] * 2)[0])
        shrinkage = max(float(np.exp(-5.0 * top)), _MIN_SHRINKAGE)
    cov = (1.0 - shrinkage) * s_w
    cov.flat[:: d + 1] += shrinkage * mu
    try:
        coef = scipy.linalg.cho_solve(scipy.linalg.cho_factor(cov), means.T)  # Sigma^{-1} mu_k, [d, k]
    except np.linalg.LinAlgError:
        raise InputError("features: the regularised within-class scatter is singular; SFDA is undefined") from None
    logits = x @ coef - 0.5 * np.einsum("kd,dk->k", means, coef) + np.log(counts / n)
    return _softmax(logits), means, shrinkage


def sfda(features: np.ndarray, labels: np.ndarray) -> float:
    r"""Self-challenging Fisher Discriminant Analysis.

    With class means \mu_k, priors \pi_k = n_k / n, within-class scatter
    S_W = \sum_k \pi_k \mathrm{Cov}_k (biased covariances) and total scatter S_T = \mathrm{Cov}(X),
    the regularised FDA shrinks both towards a multiple of the identity,

    .. math::
        \lambda = \max\big(e^{-5\,\sigma_{\max}(S_W)},\ 10^{-10}\big),\quad
        \Sigma = (1-\lambda) S_W + \lambda \tfrac{\mathrm{tr} S_W}{d} I,\quad
        S_B = (1-\lambda) S_T + \lambda \tfrac{\mathrm{tr} S_T}{d} I - \Sigma,

    projects onto the generalised eigenvectors S_B U = \Sigma U \Lambda, U^\top \Sigma U = I
    (the Fisher space, all d directions as in the authors' code), and classifies there with

    .. math::
        p(k \mid x) = \operatorname{softmax}_k\big(\tilde x^\top \tilde\mu_k
            - \tfrac12 \|\tilde\mu_k\|^2 + \log \pi_k\big),\quad \tilde x = U^\top x,\ \tilde\mu_k = U^\top \mu_k.

    ConfMix then moves each sample towards the mean of the other classes' means,
    \bar\mu_{-k} = \frac1{K-1} \sum_{j \ne k} \mu_j, by its softened confidence
    c_i = \operatorname{softmax}_k(p(k \mid x_i))_{y_i}:

    .. math::
        \hat x_i = c_i\, x_i + (1 - c_i)\, \bar\mu_{-y_i},\qquad
        \mathrm{SFDA} = \frac1n \sum_{i=1}^n \hat p(y_i \mid \hat x_i),

    where \hat p is a second regularised FDA fitted on the \hat x_i with the same \lambda.

    Since U U^\top = \Sigma^{-1}, the Fisher-space posterior is the linear discriminant
    \operatorname{softmax}_k(x^\top \Sigma^{-1} \mu_k - \frac12 \mu_k^\top \Sigma^{-1} \mu_k + \log \pi_k);
    it is computed that way (one Cholesky solve; S_B drops out). Features are centred first,
    which changes nothing but rounding. \sigma_{\max}(S_W) is the exact largest eigenvalue, where the
    authors' code (TencentARC/SFDA, metrics.py and utils.iterative_A) approximates it with 3 power
    iterations; this matters only when \sigma_{\max} < 4.6, since \lambda is floored at 10^{-10}.
    The second softmax on p before ConfMix and the mean posterior without a log are the authors'
    (their comment: the log is left out for stability). The caller's array is not modified.

    Args:
        features: [n, d] features of the target images from the layer before the classifier.
        labels: [n] int target class ids (any integers), at least two classes.

    Returns:
        The mean posterior of the true class after the self-challenge, in (0, 1]; higher means
        better transferability.
    """
    x, y = check_features_labels(features, labels)
    _, y_idx = np.unique(y, return_inverse=True)
    k = int(y_idx.max()) + 1
    rows = np.arange(x.shape[0])
    x = x - x.mean(axis=0)  # a new array: the caller's features stay untouched
    probs, means, shrinkage = _reg_fda_posterior(x, y_idx, k)
    conf = _softmax(probs)[rows, y_idx][:, None]  # softened confidence in the true class
    others = (means.sum(axis=0) - means) / (k - 1)  # mean of the other classes' means, [k, d]
    mixed = conf * x + (1.0 - conf) * others[y_idx]
    probs, _, _ = _reg_fda_posterior(mixed, y_idx, k, shrinkage)
    return float(np.mean(probs[rows, y_idx]))
