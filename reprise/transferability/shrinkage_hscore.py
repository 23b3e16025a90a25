"""Shrinkage-based H-score, Ibrahim, Ponomareva & Mazumder 2022, "Newer is not always better:
Rethinking transferability metrics, their peculiarities, stability and performance" (ECML-PKDD
2022; arXiv:2110.06893), §3: the H-score with a Ledoit-Wolf shrunk feature covariance."""

from __future__ import annotations

import numpy as np

from reprise.core.means import unit_means
from reprise.transferability._checks import check_features_labels


def shrinkage_h_score(features: np.ndarray, labels: np.ndarray) -> float:
    r"""H-score with the feature covariance replaced by its Ledoit-Wolf shrinkage estimate.

    .. math::
        \mathcal H_\alpha(f) = \operatorname{tr}\!\left(\Sigma_\alpha^{-1}\,(1-\alpha)\,
            \operatorname{cov}\!\left(\mathbb E[f \mid y]\right)\right),\qquad
        \Sigma_\alpha = (1-\alpha)\,S + \alpha\,\mu\,I_d,\quad \mu = \operatorname{tr}(S)/d

    S = F_c^T F_c / n is the empirical covariance of the centred features F_c and \alpha \in [0, 1]
    the Ledoit & Wolf (2004) shrinkage intensity estimated from F_c
    (``sklearn.covariance.ledoit_wolf_shrinkage``): \alpha = \min(\bar b^2, \delta^2) / \delta^2
    with \delta^2 = \|S - \mu I\|_F^2 and \bar b^2 = n^{-2} \sum_i \|f_i f_i^T - S\|_F^2. The
    between-class covariance is shrunk by the same factor 1 - \alpha as S.
    ``cov(E[f|y])`` is the sample covariance (divisor n - 1, as ``np.cov``) of the features with
    each sample replaced by its class mean, while S has divisor n (as the Ledoit-Wolf estimator):
    the paper's equation leaves the divisors open and these are the ones of the reference code
    (tllib ``regularized_h_score``), so with \alpha = 0 the score is n / (n - 1) times ``h_score``;
    a constant factor for a given target that does not change the ranking of models.

    cov(E[f|y]) lives in the row space of F_c, so with the thin SVD F_c = U S V^T the trace is
    \sum_i v_i^T cov(E[f|y]) v_i / ((1-\alpha) s_i^2 / n + \alpha\mu) over the right singular vectors,
    exact also for n < d and no d x d inverse is formed.

    Args:
        features: [n, d] features of the target images from the layer before the classifier.
        labels: [n] int target class ids (any integers), at least two classes.

    Returns:
        Non-negative score; higher means better-separated class means relative to the (shrunk)
        feature covariance, i.e. a better model to fine-tune. 0.0 for constant features.
    """
    f, y = check_features_labels(features, labels)
    _, y_idx = np.unique(y, return_inverse=True)
    n, d = f.shape
    centred = f - f.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    keep = s > max(n, d) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
    if not np.any(keep):
        return 0.0
    s, vt = s[keep], vt[keep]
    from sklearn.covariance import ledoit_wolf_shrinkage  # here, not at the top: scikit-learn costs ~1 s to import

    alpha = float(ledoit_wolf_shrinkage(centred, assume_centered=True))
    mu = np.sum(s**2) / (n * d)  # tr(S) / d
    means, counts = unit_means(centred, y_idx, int(y_idx.max()) + 1, "target class")
    between = np.sum(counts[:, None] * (means @ vt.T) ** 2, axis=0) / (n - 1)  # v_i^T cov(E[f|y]) v_i
    return float((1.0 - alpha) * np.sum(between / ((1.0 - alpha) * s**2 / n + alpha * mu)))
