"""H-score, Bao, Li, Huang, Zhang, Zheng, Zamir & Guibas 2019, "An Information-Theoretic Approach to
Transferability in Task Transfer Learning" (IEEE ICIP 2019), Definition 2 / eq. 5."""

from __future__ import annotations

import numpy as np

from reprise.transferability._checks import check_features_labels


def class_means(centred: np.ndarray, y_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class-conditional means of already centred features, shared by the H-score variants.

    Args:
        centred: [n, d] features minus their mean over all n samples.
        y_idx: [n] class indices in 0..K-1, every index present (np.unique's ``return_inverse``).

    Returns:
        (means [K, d], counts [K]): row k is \\hat E[f | y = k] - \\hat E[f]. The sample covariance
        of E[f | y] (each sample replaced by its class mean, divisor n - 1 as np.cov) is
        ``(means.T * counts) @ means / (n - 1)``.
    """
    counts = np.bincount(y_idx)
    sums = np.zeros((counts.size, centred.shape[1]))
    np.add.at(sums, y_idx, centred)
    return sums / counts[:, None], counts


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
    means, counts = class_means(centred, y_idx)
    proj = means @ vt[keep].T / s[keep]  # [K, r]: class means in the whitened basis
    return float(np.sum(counts[:, None] * proj**2))
