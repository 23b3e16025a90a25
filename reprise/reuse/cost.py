"""The cost between source and target units (paper §3.2, §4.1): cosine, C_ij = (1 − cos(a_i, b_j)) /
ε_c (the paper's choice, ε_c = 0.01), or l2, C_ij = ‖a_i − b_j‖₂ / ε_c. Computed in blocks of
source rows so that a pool of single images need not be in memory whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from reprise.core.errors import InputError
from reprise.reuse.uot import auto_block_rows

COSTS = ("cos", "l2")


class FeatureCost:
    """The cost between source and target unit features, handed out in source row blocks.

    Implements :class:`reprise.reuse.uot.CostRows`. Blocks of ``block_rows`` rows (default: about
    64 MB, :func:`~reprise.reuse.uot.auto_block_rows`) are computed from the features on each
    pass; with ``cache`` set, the first pass also writes them to that file and later passes read
    them back, so neither the cost matrix nor the source features need be in memory whole.
    """

    def __init__(self, source, target_units, cost, eps_c, block_rows, cache, device, dtype) -> None:
        self.source, self.targets, self.cost, self.eps_c = source, target_units, cost, eps_c
        self.batch, self.n_cols = target_units.shape[:2]
        self.n_rows = len(source)
        if block_rows is not None and (isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) or block_rows < 1):
            raise InputError(f"block_rows must be a positive integer, got {block_rows!r}")
        self.device, self.dtype = device, dtype
        self.block_rows = block_rows or auto_block_rows(self.batch, self.n_cols, dtype)
        self.cache = Path(cache) if cache is not None else None
        self._cached = False
        if self.cost == "cos":
            self.targets = normalise_rows(self.targets)

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        if self._cached:
            yield from self._read_cache()
            return
        writer = open(self.cache, "wb") if self.cache is not None else None
        try:
            for start in range(0, self.n_rows, self.block_rows):
                stop = min(start + self.block_rows, self.n_rows)
                block = self._block(start, stop)
                if writer is not None:
                    writer.write(block.cpu().numpy().tobytes())
                yield start, stop, block
        finally:
            if writer is not None:
                writer.close()
        self._cached = writer is not None

    def sample(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Every ``step``-th row and its cost ``[B, rows, m]``."""
        return torch.arange(0, self.n_rows, step), self._cost(self.source[::step])

    def _read_cache(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        itemsize = torch.empty(0, dtype=self.dtype).element_size()
        np_dtype = np.float64 if self.dtype == torch.float64 else np.float32
        with open(self.cache, "rb") as reader:
            for start in range(0, self.n_rows, self.block_rows):
                stop = min(start + self.block_rows, self.n_rows)
                shape = (self.batch, stop - start, self.n_cols)
                raw = reader.read(int(np.prod(shape)) * itemsize)
                block = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
                yield start, stop, torch.from_numpy(block.copy()).to(self.device)

    def _block(self, start: int, stop: int) -> torch.Tensor:
        return self._cost(self.source[start:stop])

    def _cost(self, features) -> torch.Tensor:
        rows = as_tensor(features).to(self.device, self.dtype)
        if self.cost == "cos":
            similarity = torch.matmul(normalise_rows(rows), self.targets.transpose(1, 2))  # [B, r, m]
            return similarity.mul_(-1.0 / self.eps_c).add_(1.0 / self.eps_c)  # (1 - cos) / eps_c, in place
        return torch.cdist(rows.unsqueeze(0).expand(self.batch, -1, -1), self.targets).div_(self.eps_c)


def pad_targets(targets, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack target sets of different sizes into ``[B, m_max, d]``; weight 0 marks padding."""
    m_max = max(len(t) for t in targets)
    d = targets[0].shape[1]
    units = torch.zeros(len(targets), m_max, d, dtype=dtype, device=device)
    weights = torch.zeros(len(targets), m_max, dtype=dtype, device=device)
    for b, t in enumerate(targets):
        units[b, : len(t)] = as_tensor(t).to(device, dtype)
        weights[b, : len(t)] = 1.0
    # Padding rows must not break the cosine normalisation; their weight 0 removes them anyway.
    units[weights == 0] = 1.0
    return units, weights


def normalise_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows of unit length (all-zero rows are refused before, by the selection's checks)."""
    return x / x.norm(dim=-1, keepdim=True)


def as_tensor(x) -> torch.Tensor:
    """A torch view of a tensor, or a copy of a numpy array or memmap slice."""
    return x if isinstance(x, torch.Tensor) else torch.tensor(np.asarray(x))
