"""Label-Feature Correlation (LFC), Deshpande et al. 2021, "A linearized framework and a new
benchmark for model selection for fine-tuning", §3.2-3.3, eq. 6 and the normalisation of eq. 8."""

from __future__ import annotations

import numpy as np

from reprise.transferability._checks import check_features_labels


def label_correlation(x: np.ndarray, labels: np.ndarray) -> float:
    r"""Normalised label correlation of eq. 8, shared by LFC (x = features) and LGC (x = gradients).

    .. math::
        S = \frac{(\Theta - \mu_\Theta)\cdot(K_Y - \mu_K)}{\|\Theta - \mu_\Theta\|_2\,\|K_Y - \mu_K\|_2},
        \quad \Theta = X X^\top,\ (K_Y)_{ij} = \begin{cases}+1 & y_i = y_j\\ -1 & \text{else}\end{cases}

    ``\cdot`` is the sum of the Hadamard product over all N x N entries (diagonal included),
    ``\mu`` the scalar mean of all entries and ``\|\cdot\|_2`` the Frobenius norm: the Pearson
    correlation between the entries of Theta and K_Y. x: [n, d] float64, labels: [n] int
    (already validated). Returns 0.0 when Theta is constant (no variation to correlate).
    """
    theta = x @ x.T
    k_y = np.where(labels[:, None] == labels[None, :], 1.0, -1.0)
    theta = theta - theta.mean()
    k_y = k_y - k_y.mean()
    denom = np.linalg.norm(theta) * np.linalg.norm(k_y)
    return float(np.sum(theta * k_y) / denom) if denom > 0 else 0.0


def lfc(features: np.ndarray, labels: np.ndarray) -> float:
    r"""Label-Feature Correlation: eq. 8 with the feature Gram matrix of eq. 6.

    .. math::
        S_{LF} = \frac{(\Theta_F - \mu_{\Theta_F})\cdot(K_Y - \mu_K)}
                      {\|\Theta_F - \mu_{\Theta_F}\|_2\,\|K_Y - \mu_K\|_2},\qquad \Theta_F = F F^\top

    The centring is the paper's: one scalar mean subtracted from every entry of the N x N
    matrices (not feature-wise centring of F, not double centring). Since K_Y = 2 Y Y^T - 1 for
    one-hot Y, the score equals the same correlation with the 0/1 same-label matrix.

    Args:
        features: [n, d] features of the target images from the layer before the classifier.
        labels: [n] int target class ids, at least two classes.

    Returns:
        Score in [-1, 1]; higher means features of same-label samples are more similar, i.e. a
        better model to fine-tune.
    """
    x, y = check_features_labels(features, labels)
    return label_correlation(x, y)
