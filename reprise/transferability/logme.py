"""LogME, You, Liu, Wang & Long 2021, "LogME: Practical Assessment of Pre-trained Models for
Transfer Learning" (ICML), eq. 2 and Algorithm 1; used in the inadequately-pretrained-checkpoints
paper §4.5."""

from __future__ import annotations

import numpy as np

from reprise.transferability._checks import check_features_labels

_FLOOR = 1e-300


def logme(features: np.ndarray, labels: np.ndarray, tol: float = 1e-6, max_iter: int = 100) -> float:
    r"""Logarithm of Maximum Evidence of a Bayesian linear model on the features.

    For each class k the target is the indicator y^{(k)} \in \{0,1\}^n, with prior
    w ~ N(0, \alpha^{-1} I_d) and noise y ~ N(F w, \beta^{-1} I_n). Its log evidence (eq. 2) is

    .. math::
        \mathcal L(\alpha,\beta) = \tfrac n2\log\beta + \tfrac d2\log\alpha - \tfrac n2\log 2\pi
          - \tfrac\beta2\|Fm - y\|^2 - \tfrac\alpha2 m^\top m - \tfrac12\log|A|,\quad
        A = \alpha I + \beta F^\top F,\ m = \beta A^{-1} F^\top y,

    maximised by the fixed point of Algorithm 1 (from \alpha = \beta = 1, eigenvalues
    \sigma_i^2 of F^T F via one SVD of F): \gamma = \sum_i \beta\sigma_i^2 / (\alpha + \beta\sigma_i^2),
    \alpha \leftarrow \gamma / m^\top m, \beta \leftarrow (n - \gamma) / \|Fm - y\|^2, until the
    relative change of \alpha/\beta is below ``tol``. Score = \frac1K \sum_k \mathcal L_k / n.

    Args:
        features: [n, d] features of the target images (used as is, no normalisation).
        labels: [n] int target class ids, at least two classes.
        tol, max_iter: stopping rule of the fixed-point iteration.

    Returns:
        Mean per-sample log evidence (a float, typically negative); higher is better.
    """
    f, y = check_features_labels(features, labels)
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)  # F = U diag(s) V^T
    keep = s > max(n, d) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
    u, s = u[:, keep], s[keep]  # rank r: the d - r zero eigenvalues of F^T F cancel out of L
    s2 = s**2
    evidences = []
    for k in np.unique(y):
        t = (y == k).astype(np.float64)
        ut = u.T @ t  # coordinates of y in the column space of F
        out2 = max(float(t @ t - ut @ ut), 0.0)  # part of y outside that space

        def stats(alpha: float, beta: float) -> tuple[float, float, float]:  # gamma, m^T m, ||F m - y||^2
            shrink = beta * s2 / (alpha + beta * s2)  # [r]
            m2 = np.sum((beta * s * ut / (alpha + beta * s2)) ** 2)
            return shrink.sum(), m2, np.sum(((shrink - 1.0) * ut) ** 2) + out2

        alpha, beta = 1.0, 1.0
        for _ in range(max_iter):
            gamma, m2, res2 = stats(alpha, beta)
            # floors keep degenerate cases finite: y orthogonal to F (m = 0) or fitted exactly
            new_alpha = gamma / max(m2, _FLOOR) if gamma > 0 else alpha  # F = 0: alpha drops out
            # gamma reaches n in floating point when F fits y exactly (rank n <= d): beta then
            # grows without bound while the evidence converges; keep it positive
            new_beta = max(n - gamma, n * np.finfo(np.float64).eps) / max(res2, _FLOOR)
            done = abs(new_alpha / new_beta - alpha / beta) <= tol * alpha / beta
            alpha, beta = new_alpha, new_beta
            if done:
                break
        _, m2, res2 = stats(alpha, beta)
        # d/2 log(alpha) - 1/2 log|A| = r/2 log(alpha) - 1/2 sum_{i <= r} log(alpha + beta s_i^2)
        evidence = (n * np.log(beta) + s.size * np.log(alpha) - n * np.log(2 * np.pi)
                    - beta * res2 - alpha * m2 - np.sum(np.log(alpha + beta * s2))) / 2
        evidences.append(evidence / n)
    return float(np.mean(evidences))
