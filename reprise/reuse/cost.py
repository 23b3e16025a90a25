"""The cost between source and target units (paper §3.2, §4.1): cosine, C_ij = (1 − cos(a_i, b_j)) /
ε_c (the paper's choice, ε_c = 0.01), or l2, C_ij = ‖a_i − b_j‖₂ / ε_c. Computed in blocks of
source rows so that a pool of single images need not be in memory whole.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from reprise.core.artifacts import atomic_path
from reprise.core.errors import InputError
from reprise.reuse.uot import auto_block_rows

COSTS = ("cos", "l2")


class FeatureCost:
    """The cost between source and target unit features, handed out in source row blocks.

    Implements :class:`reprise.reuse.uot.CostRows`. Blocks of ``block_rows`` rows (default: about
    64 MB, :func:`~reprise.reuse.uot.auto_block_rows`) are computed from the features on each
    pass. With ``cache`` set, the cost is streamed through that file (:class:`CostCache`), so
    neither the cost matrix nor the source features need be in memory whole.
    """

    def __init__(self, source, target_units, cost, eps_c, block_rows, cache, device, dtype) -> None:
        self.source, self.targets, self.cost, self.eps_c = source, target_units, cost, eps_c
        self.batch, self.n_cols = target_units.shape[:2]
        self.n_rows = len(source)
        if block_rows is not None and (isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) or block_rows < 1):
            raise InputError(f"block_rows must be a positive integer, got {block_rows!r}")
        self.device, self.dtype = device, dtype
        self.block_rows = block_rows or auto_block_rows(self.batch, self.n_cols, dtype)
        if self.cost == "cos":
            self.targets = normalise_rows(self.targets)
        self.cache = CostCache(Path(cache), self) if cache is not None else None

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        if self.cache is not None:
            yield from self.cache.blocks()
            return
        for start, stop in self.spans():
            yield start, stop, self._block(start, stop)

    def spans(self) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` of every block of source rows."""
        for start in range(0, self.n_rows, self.block_rows):
            yield start, min(start + self.block_rows, self.n_rows)

    def sample(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Every ``step``-th row and its cost ``[B, rows, m]``."""
        return torch.arange(0, self.n_rows, step), self._cost(self.source[::step])

    def _block(self, start: int, stop: int) -> torch.Tensor:
        return self._cost(self.source[start:stop])

    def _cost(self, features) -> torch.Tensor:
        rows = as_tensor(features).to(self.device, self.dtype)
        if self.cost == "cos":
            similarity = torch.matmul(normalise_rows(rows), self.targets.transpose(1, 2))  # [B, r, m]
            return similarity.mul_(-1.0 / self.eps_c).add_(1.0 / self.eps_c)  # (1 - cos) / eps_c, in place
        return l2_distances(rows, self.targets).div_(self.eps_c)


class CostCache:
    """A cost streamed through a file: written on the first pass, read back on the others.

    The file starts with a digest of everything the cost depends on (the source rows' and target
    units' bytes, the cost, ε_c, dtype and block layout). A file whose digest matches is read
    from the first pass on; any other is replaced: the cost is written to a temporary file beside
    it, renamed onto it when complete, and read back through the handle that wrote it, so a run
    never reads another run's cost even when two runs share the path at once.
    """

    MAGIC = b"reprise cost cache 1\n"

    def __init__(self, path: Path, cost: FeatureCost) -> None:
        self.path, self.cost = path, cost
        self._file = None  # the handle later passes read, once a complete cost is there
        self._start = 0  # where the cost starts in it, after the header

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        if self._file is None:
            header = self.MAGIC + self._digest().encode() + b"\n"
            self._start = len(header)
            self._file = self._open_matching(header)
            if self._file is None:
                yield from self._write(header)
                return
        yield from self._read()

    def _digest(self) -> str:
        cost = self.cost
        digest = hashlib.sha256(repr((cost.cost, float(cost.eps_c), str(cost.dtype), cost.block_rows, cost.batch, cost.n_rows, cost.n_cols)).encode())
        digest.update(cost.targets.detach().cpu().numpy().tobytes())
        for start, stop in cost.spans():
            digest.update(as_tensor(cost.source[start:stop]).to(cost.dtype).cpu().numpy().tobytes())
        return digest.hexdigest()

    def _open_matching(self, header: bytes):
        try:
            file = open(self.path, "rb")
        except OSError:
            return None
        if file.read(len(header)) == header and os.fstat(file.fileno()).st_size == len(header) + self._size():
            return file
        file.close()
        return None

    def _size(self) -> int:
        cost = self.cost
        return cost.batch * cost.n_rows * cost.n_cols * torch.empty(0, dtype=cost.dtype).element_size()

    def _write(self, header: bytes) -> Iterator[tuple[int, int, torch.Tensor]]:
        with atomic_path(self.path) as tmp:
            file = open(tmp, "w+b")
            try:
                file.write(header)
                for start, stop in self.cost.spans():
                    block = self.cost._block(start, stop)
                    file.write(block.cpu().numpy().tobytes())
                    yield start, stop, block
                file.flush()
            except BaseException:
                file.close()
                raise
        self._file = file

    def _read(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        cost = self.cost
        itemsize = torch.empty(0, dtype=cost.dtype).element_size()
        np_dtype = np.float64 if cost.dtype == torch.float64 else np.float32
        self._file.seek(self._start)
        for start, stop in cost.spans():
            shape = (cost.batch, stop - start, cost.n_cols)
            raw = self._file.read(int(np.prod(shape)) * itemsize)
            block = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
            yield start, stop, torch.from_numpy(block.copy()).to(cost.device)


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
    """Rows of unit length, for rows of any finite scale (all-zero rows are refused before, by the
    selection's checks). A row whose norm would underflow or overflow in its dtype is divided by
    its largest magnitude first; the others are divided by their norm directly."""
    norms = x.norm(dim=-1, keepdim=True)
    unsafe = _out_of_range(norms)
    if bool(unsafe.any()):
        x = torch.where(unsafe, x / x.abs().amax(dim=-1, keepdim=True), x)
        norms = torch.where(unsafe, x.norm(dim=-1, keepdim=True), norms)
    return x / norms


def l2_distances(rows: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``||a_i - b_j||_2`` between ``rows [r, d]`` and each target set of ``targets [B, m, d]``,
    ``[B, r, m]``. Where the features' squares would underflow or overflow in their dtype, both
    are divided by their largest magnitude first and the distances multiplied back."""
    distances = torch.cdist(rows.unsqueeze(0).expand(len(targets), -1, -1), targets)
    scale = torch.maximum(rows.abs().max(), targets.abs().max())
    if bool(~torch.isfinite(distances).all() | _out_of_range(scale)) and scale > 0:
        distances = torch.cdist((rows / scale).unsqueeze(0).expand(len(targets), -1, -1), targets / scale).mul_(scale)
    return distances


def _out_of_range(values: torch.Tensor) -> torch.Tensor:
    """Where a norm or magnitude is not finite, or so small that squares summed from it lose
    precision or underflow (below the square root of the dtype's smallest normal number over its
    epsilon)."""
    finfo = torch.finfo(values.dtype)
    return ~torch.isfinite(values) | (values < (finfo.tiny / finfo.eps) ** 0.5)


def as_tensor(x) -> torch.Tensor:
    """A torch view of a tensor, or a copy of a numpy array or memmap slice."""
    return x if isinstance(x, torch.Tensor) else torch.tensor(np.asarray(x))
