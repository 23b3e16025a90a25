"""Spectral components of a batched feature matrix: the main part F_m and the residual F_r.

§4.4 of the inadequately-pretrained-checkpoints paper (Deng et al.). A batch of penultimate
features ``F [b, d]`` is decomposed by SVD (eq. 1)

    F = U Σ Vᵀ,   σ_1 ≥ σ_2 ≥ … ≥ σ_K ≥ 0,   K = min(b, d),

and split at the smallest k whose singular values reach a share ``threshold`` (the paper: 0.8)
of their sum, S_σ^k / S_σ^K ≥ threshold with S_σ^k = σ_1 + … + σ_k. Σ_m keeps the first k
singular values (zeros elsewhere), Σ_r = Σ − Σ_m, and

    F_m = U Σ_m Vᵀ   (eq. 2),        F_r = U Σ_r Vᵀ   (eq. 3),        F_m + F_r = F.

The paper retrains a softmax classifier on F_m and on F_r of each batch (Adam, lr 0.01, batch
128); :func:`spectral_part` gives the per-batch transform that
:mod:`reprise.checkpoints.softmax_classifier` applies to every batch it trains and evaluates on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from reprise.checkpoints.settings import check_threshold
from reprise.core.errors import InputError

PARTS = ("F", "F_m", "F_r")

# Relative slack on S_σ^k / S_σ^K ≥ threshold, so that a share that equals the threshold in exact
# arithmetic is not missed by the SVD's last-digit rounding.
_SLACK = 1e-6


def main_rank(singular_values: torch.Tensor, threshold: float = 0.8) -> int:
    """The smallest k with σ_1 + … + σ_k ≥ threshold · (σ_1 + … + σ_K), for singular values
    ``[K]`` sorted in descending order; 0 for an all-zero matrix (nothing to keep)."""
    threshold = check_threshold(threshold)
    total = float(singular_values.sum())
    if total <= 0:
        return 0
    shares = torch.cumsum(singular_values.double(), 0) / total
    return int((shares < threshold * (1 - _SLACK)).sum()) + 1


@dataclass(frozen=True)
class SpectralSplit:
    main: torch.Tensor             # F_m [b, d], eq. 2
    residual: torch.Tensor         # F_r [b, d], eq. 3
    k: int                         # rank of the main part
    singular_values: torch.Tensor  # σ [min(b, d)], descending


def spectral_split(features: torch.Tensor, threshold: float = 0.8) -> SpectralSplit:
    """Split ``features [b, d]`` into F_m and F_r by eq. 1-3 (see the module docstring).

    Both parts keep the dtype and device of ``features``; F_m + F_r = F up to rounding.
    """
    if features.ndim != 2 or features.shape[0] == 0:
        raise InputError(f"spectral_split needs a non-empty feature matrix [b, d], got shape {tuple(features.shape)}")
    if not torch.isfinite(features).all():
        raise InputError("spectral_split: the features contain NaN/Inf; check the backbone and its checkpoint")
    u, s, vh = torch.linalg.svd(features, full_matrices=False)  # eq. 1
    k = main_rank(s, threshold)
    main = (u[:, :k] * s[:k]) @ vh[:k]      # U Σ_m Vᵀ
    residual = (u[:, k:] * s[k:]) @ vh[k:]  # U Σ_r Vᵀ
    return SpectralSplit(main, residual, k, s)


def spectral_part(part: str, threshold: float = 0.8) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The per-batch transform that keeps ``part`` of a feature batch: ``F`` (the batch as is,
    returned as ``None``: no transform), ``F_m`` or ``F_r``."""
    if part not in PARTS:
        raise InputError(f"spectral part must be one of {', '.join(PARTS)}, got {part!r}")
    check_threshold(threshold)
    if part == "F":
        return None
    if part == "F_m":
        return lambda batch: spectral_split(batch, threshold).main
    return lambda batch: spectral_split(batch, threshold).residual
