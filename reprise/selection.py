"""Score source units against a target and pick the top K: the selection step of the UOT paper.

One entry point, :func:`score_units`, serves the pipeline, the CLI and the benchmarks. It takes
unit features (one row per source unit: a class mean, a cluster mean, or a single image) as
numpy arrays, numpy memmaps or torch tensors on any device, and returns one score per source
unit, larger meaning closer to the target:

- ``uot``: the P1 score of eq. 5 (paper §3.2), with cost ``cos`` ``(1 - cos(a, b)) / eps_c`` or
  ``l2`` ``||a - b||_2 / eps_c``;
- ``greedy``: Greedy-OT (Cui et al. 2018 as used in the paper): minus the mean cost to all
  target units;
- ``random``: seeded uniform scores, i.e. a random ranking;
- ``label``: 1 for source units whose concept is the target's concept, else 0;
- ``none``: no unit is selected (plain fine-tuning).

Several target sets can be scored against one pool in one call (a list of target arrays); the
pool can be streamed in row blocks (``block_rows``) so that memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from reprise.errors import InputError
from reprise.uot import check_positive, sinkhorn_uot

METHODS = ("uot", "greedy", "random", "label", "none")
COSTS = ("cos", "l2")


@dataclass(frozen=True)
class UnitScores:
    """Scores ``[B, n]`` (one row per target set) and, for ``uot``, the solver's report."""

    scores: np.ndarray
    method: str
    solver: dict = field(default_factory=dict)

    def ranks(self, batch: int = 0) -> np.ndarray:
        """Rank of every unit, 1 = highest score; ties go to the lower unit index."""
        order = np.argsort(-self.scores[batch], kind="stable")
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(1, len(order) + 1)
        return ranks


def score_units(
    source,
    target,
    method: str = "uot",
    *,
    cost: str = "cos",
    eps_c: float = 0.01,
    eps: float = 1.0,
    tau1: float = 1.0,
    tau2: float = 100.0,
    source_weights=None,
    source_concepts: Sequence[str] | None = None,
    target_concept: str | None = None,
    seed: int = 0,
    block_rows: int | None = None,
    cost_cache: str | Path | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> UnitScores:
    """Score every source unit against the target units.

    Args:
        source: ``[n, d]`` source unit features (numpy array or memmap, or torch tensor).
        target: ``[m, d]`` target unit features, or a list of such arrays (several target
            sets, possibly of different sizes ``m_b``, scored in one batched call).
        method: one of :data:`METHODS`.
        cost, eps_c: the cost, one of :data:`COSTS`, and its scale ε_c (paper: cos, 0.01).
        eps, tau1, tau2: ε, τ1, τ2 of eq. 5 (paper: 1, 1, 100).
        source_weights: w^(g), a scalar or ``[n]`` (unit weights by default).
        source_concepts, target_concept: for ``label`` only.
        seed: for ``random`` only.
        block_rows: stream the source in blocks of this many rows; the cost of a block is
            recomputed at every iteration, or read back from ``cost_cache`` (a file path) if
            given. ``None`` keeps the whole cost matrix in memory.
        device, dtype: where and in which precision to solve; default: the source tensor's
            device (CPU for numpy) and float64 for float64 input, else float32.
        tol, max_iter: the solver's stopping rule (see :func:`reprise.uot.sinkhorn_uot`).

    Returns:
        :class:`UnitScores` with ``scores`` of shape ``[B, n]`` (``B = 1`` for one target).
    """
    if method not in METHODS:
        raise InputError(f"unknown selection method {method!r}; choose one of {', '.join(METHODS)}")
    targets = list(target) if isinstance(target, (list, tuple)) else [target]
    n = _check_features(source, "source features")
    for t in targets:
        _check_features(t, "target features", dims_of=source)
    batch = len(targets)
    if method == "none":
        return UnitScores(np.zeros((batch, n)), method)
    if method == "random":
        rng = np.random.default_rng(seed)
        return UnitScores(np.tile(rng.random(n), (batch, 1)), method)
    if method == "label":
        return UnitScores(np.tile(_label_scores(source_concepts, target_concept, n), (batch, 1)), method)

    if cost not in COSTS:
        raise InputError(f"unknown cost {cost!r}; choose one of {', '.join(COSTS)}")
    check_positive(eps_c=eps_c)
    device = torch.device(device) if device is not None else _device_of(source)
    dtype = dtype or (torch.float64 if _dtype_of(source) == torch.float64 else torch.float32)
    target_units, target_weights = _pad_targets(targets, device, dtype)
    rows = FeatureCost(source, target_units, cost, eps_c, block_rows, cost_cache, device, dtype)
    if method == "greedy":
        return UnitScores(_greedy_scores(rows, target_weights).cpu().numpy(), method)

    weights = _source_weights(source_weights, n)
    result = sinkhorn_uot(
        rows.dense() if block_rows is None else rows,
        eps=eps,
        tau1=tau1,
        tau2=tau2,
        source_weights=weights,
        target_weights=target_weights,
        tol=tol,
        max_iter=max_iter,
    )
    solver = {"n_iter": result.n_iter, "converged": result.converged, "err": result.err}
    return UnitScores(result.scores.cpu().numpy().astype(np.float64), method, solver)


def top_k(scores: UnitScores, k: int, batch: int = 0) -> np.ndarray:
    """Indices of the selected units, best first.

    ``label`` selects every unit of the target's concept whatever ``k`` is (the paper's
    label-based selection takes all 59 bird classes); ``none`` selects nothing.
    """
    n = scores.scores.shape[1]
    if scores.method == "none":
        return np.empty(0, dtype=np.int64)
    if scores.method == "label":
        return np.flatnonzero(scores.scores[batch] > 0)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"select.k must be a positive integer, got {k!r}")
    if k > n:
        raise InputError(f"select.k = {k} is larger than the {n} source units; lower select.k")
    return np.argsort(-scores.scores[batch], kind="stable")[:k]


class FeatureCost:
    """The cost between source and target unit features, handed out in source row blocks.

    Implements :class:`reprise.uot.CostRows`. Blocks are computed from the features on each
    pass; with ``cache`` set, the first pass also writes them to that file and later passes read
    them back, so neither the cost matrix nor the source features need be in memory whole.
    """

    def __init__(self, source, target_units, cost, eps_c, block_rows, cache, device, dtype) -> None:
        self.source, self.targets, self.cost, self.eps_c = source, target_units, cost, eps_c
        self.batch, self.n_cols = target_units.shape[:2]
        self.n_rows = len(source)
        self.block_rows = block_rows or self.n_rows
        if self.block_rows < 1:
            raise InputError(f"block_rows must be a positive integer, got {block_rows!r}")
        self.device, self.dtype = device, dtype
        self.cache = Path(cache) if cache is not None else None
        self._cached = False
        if self.cost == "cos":
            self.targets = _normalise(self.targets, "target features")

    def dense(self) -> torch.Tensor:
        """The whole cost ``[B, n, m]`` in memory."""
        return self._block(0, self.n_rows)

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
        rows = _as_tensor(self.source[start:stop]).to(self.device, self.dtype)
        if self.cost == "cos":
            rows = _normalise(rows, "source features", offset=start)
            similarity = torch.matmul(rows, self.targets.transpose(1, 2))  # [B, r, m]
            return (1.0 - similarity) / self.eps_c
        return torch.cdist(rows.unsqueeze(0).expand(self.batch, -1, -1), self.targets) / self.eps_c


def _greedy_scores(rows: FeatureCost, target_weights: torch.Tensor) -> torch.Tensor:
    """Greedy-OT: minus the mean cost from each source unit to the target units present."""
    present = (target_weights > 0).to(rows.dtype)
    scores = torch.empty(rows.batch, rows.n_rows, dtype=rows.dtype, device=rows.device)
    for start, stop, block in rows.blocks():
        scores[:, start:stop] = -(block * present[:, None, :]).sum(2) / present.sum(1, keepdim=True)
    return scores


def _pad_targets(targets, device, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack target sets of different sizes into ``[B, m_max, d]``; weight 0 marks padding."""
    m_max = max(len(t) for t in targets)
    d = targets[0].shape[1]
    units = torch.zeros(len(targets), m_max, d, dtype=dtype, device=device)
    weights = torch.zeros(len(targets), m_max, dtype=dtype, device=device)
    for b, t in enumerate(targets):
        units[b, : len(t)] = _as_tensor(t).to(device, dtype)
        weights[b, : len(t)] = 1.0
    # Padding rows must not break the cosine normalisation; their weight 0 removes them anyway.
    units[weights == 0] = 1.0
    return units, weights


def _normalise(x: torch.Tensor, name: str, offset: int = 0) -> torch.Tensor:
    norms = x.norm(dim=-1, keepdim=True)
    zero = (norms == 0).nonzero()
    if len(zero):
        row = int(zero[0][-2]) + offset
        raise InputError(f"{name} row {row} is all zeros: the cosine cost is undefined for it; drop that unit or use cost l2")
    return x / norms


def _label_scores(source_concepts, target_concept, n: int) -> np.ndarray:
    if source_concepts is None or target_concept is None:
        raise InputError("label selection needs the source units' concepts and the target's concept (labelled source only)")
    if len(source_concepts) != n:
        raise InputError(f"{len(source_concepts)} source concepts for {n} source units")
    scores = (np.asarray(source_concepts) == target_concept).astype(np.float64)
    if not scores.any():
        raise InputError(f"no source unit has the target's concept {target_concept!r}; label selection has nothing to select")
    return scores


def _source_weights(weights, n: int):
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 0:
        return torch.full((n,), float(w), dtype=torch.float64)
    return torch.as_tensor(w)


def _check_features(x, name: str, dims_of=None) -> int:
    """Validate a ``[rows, d]`` feature array; return its row count."""
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise InputError(f"{name} must be a non-empty 2-d array [units, dim], got shape {shape}")
    if dims_of is not None and shape[1] != dims_of.shape[1]:
        raise InputError(
            f"{name} have {shape[1]} dimensions but source features have {dims_of.shape[1]}: both must come from the same backbone layer"
        )
    finite = torch.isfinite(x).all(dim=1) if isinstance(x, torch.Tensor) else _finite_rows(x)
    if not bool(finite.all()):
        row = int(np.flatnonzero(np.asarray(finite.cpu() if isinstance(finite, torch.Tensor) else finite) == 0)[0])
        raise InputError(f"{name} row {row} contains NaN or Inf; re-extract the features or drop that unit")
    return shape[0]


def _finite_rows(x: np.ndarray, block: int = 65536) -> np.ndarray:
    """Row-wise finiteness of a possibly memory-mapped array, read in blocks."""
    return np.concatenate([np.isfinite(np.asarray(x[i : i + block])).all(axis=1) for i in range(0, len(x), block)])


def _as_tensor(x) -> torch.Tensor:
    """A torch view of a tensor, or a copy of a numpy array or memmap slice."""
    return x if isinstance(x, torch.Tensor) else torch.tensor(np.asarray(x))


def _device_of(x) -> torch.device:
    return x.device if isinstance(x, torch.Tensor) else torch.device("cpu")


def _dtype_of(x) -> torch.dtype:
    return x.dtype if isinstance(x, torch.Tensor) else torch.from_numpy(np.empty(0, dtype=x.dtype)).dtype


def scores_table(scores: UnitScores, batch: int = 0) -> pd.DataFrame:
    """One row per source unit: ``unit`` (row of the source features), ``score``, ``rank``."""
    return pd.DataFrame({"unit": np.arange(scores.scores.shape[1]), "score": scores.scores[batch], "rank": scores.ranks(batch)})
