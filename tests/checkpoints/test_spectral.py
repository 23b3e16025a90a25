"""The spectral split of eq. 1-3 (inadequately-pretrained-checkpoints paper, §4.4)."""

import pytest
import torch

from reprise.checkpoints.spectral import main_rank, spectral_part, spectral_split
from reprise.core.errors import InputError


def orthonormal(rows: int, cols: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q


SIGMA = torch.tensor([5.0, 3.0, 1.0, 0.5, 0.3, 0.2], dtype=torch.float64)  # sum 10: shares .5 .8 .9 .95 .98 1


@pytest.mark.parametrize("threshold, k", [(0.5, 1), (0.6, 2), (0.8, 2), (0.85, 3), (0.99, 6), (1.0, 6)])
def test_split_sums_back_and_picks_the_smallest_k(threshold, k):
    u, v = orthonormal(20, 6, 0), orthonormal(8, 6, 1)
    features = (u * SIGMA) @ v.T  # F = U Σ Vᵀ, b = 20, d = 8, rank 6
    split = spectral_split(features, threshold)
    assert split.k == k  # 0.8 sits exactly on the boundary 5 + 3 = 0.8 · 10: k = 2, not 3
    assert torch.allclose(split.singular_values[:6], SIGMA, atol=1e-12)
    assert torch.allclose(split.main + split.residual, features, atol=1e-12)
    assert torch.allclose(split.main, (u[:, :k] * SIGMA[:k]) @ v[:, :k].T, atol=1e-12)  # eq. 2
    assert torch.allclose(split.residual, (u[:, k:] * SIGMA[k:]) @ v[:, k:].T, atol=1e-12)  # eq. 3
    assert torch.linalg.matrix_rank(split.main) == k
    assert torch.allclose(split.main @ split.residual.T, torch.zeros(20, 20, dtype=torch.float64), atol=1e-12)


def test_split_edge_cases_and_bad_input():
    zero = spectral_split(torch.zeros(4, 3))
    assert zero.k == 0 and not zero.main.any() and not zero.residual.any()
    assert main_rank(torch.tensor([1.0]), 0.8) == 1
    assert spectral_part("F") is None
    part = spectral_part("F_r", 0.8)
    batch = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(part(batch) + spectral_part("F_m", 0.8)(batch), batch, atol=1e-5)
    for bad in (0, 1.5, -0.1, "0.8", None):
        with pytest.raises(InputError, match="spectral_threshold"):
            spectral_split(batch, bad)
    with pytest.raises(InputError, match="NaN"):
        spectral_split(torch.full((3, 3), float("nan")))
    with pytest.raises(InputError, match="part"):
        spectral_part("F_x")
