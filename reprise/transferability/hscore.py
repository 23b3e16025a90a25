"""H-score, Bao, Li, Huang, Zhang, Zheng, Zamir & Guibas 2019, "An Information-Theoretic Approach to
Transferability in Task Transfer Learning" (IEEE ICIP 2019), Definition 2 / eq. 5."""

from __future__ import annotations

import numpy as np

from reprise.core.means import unit_means
from reprise.transferability._checks import check_features_labels


def h_score(features: np.ndarray, labels: np.ndarray) -> float:
    r"""H-score: how much of the feature covariance is explained by the class-conditional means.

    .. math::
        \mathcal H(f) = \operatorname{tr}\!\left(\operatorname{cov}(f)^{+}\,
                        \operatorname{cov}\!\left(\mathbb E[f \mid y]\right)\right)

    with both covariances the sample covariances over the n target samples (the same divisor in
    both, so it cancels) and ``cov(E[f|y])`` the covariance of the features after replacing each
    sample by the mean of its class (classes weighted by their size). The paper writes the inverse;
    the Moore-Penrose pseudo-inverse (as the reference implementation, tllib ``h_score``) extends
    it to singular cov(f), e.g. n <= d, where the score degenerates to rank(cov(E[f|y])) <= K - 1.
    Computed from the thin SVD of the centred features F_c = U S V^T: with m_k the centred class
    means and n_k the class sizes, H = \sum_{i: s_i > tol} \sum_k n_k (m_k^T v_i)^2 / s_i^2, where
    singular values below max(n, d) * machine-eps * s_1 count as zero.

    Args:
        features: [n, d] features of the target images from the layer before the classifier.
        labels: [n] int target class ids (any integers), at least two classes.

    Returns:
        Score in [0, min(K - 1, d)] (K classes); higher means better-separated class means, i.e. a
        better model to fine-tune. 0.0 for constant features.
    """
    f, y = check_features_labels(features, labels)
    _, y_idx = np.unique(y, return_inverse=True)
    centred = f - f.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    keep = s > max(centred.shape) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
    if not np.any(keep):
        return 0.0
    means, counts = unit_means(centred, y_idx, int(y_idx.max()) + 1, "target class")  # centred class means, class sizes
    proj = means @ vt[keep].T / s[keep]  # [K, r]: class means in the whitened basis
    return float(np.sum(counts[:, None] * proj**2))
