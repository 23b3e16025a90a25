"""Score source units against a target and pick the top K: the selection step of the UOT paper.

One entry point, :func:`score_units`, serves the pipeline, the CLI and the benchmarks. It takes
unit features (one row per source unit: a class mean, a cluster mean, or a single image) as
numpy arrays, numpy memmaps or torch tensors on any device, and returns one score per source
unit, larger meaning closer to the target:

- ``uot``: the P1 score of eq. 5 (paper §3.2), with cost ``cos`` ``(1 - cos(a, b)) / eps_c`` or
  ``l2`` ``||a - b||_2 / eps_c``;
- ``greedy``: Greedy-OT (Cui et al. 2018 as used in the paper): minus the mean cost to all
  target units; its cost is ``l2`` by default, as the paper runs it ("the same setting as in
  the original paper where C_ij is the l2 distance", §4.1);
- ``random``: seeded uniform scores, i.e. a random ranking;
- ``label``: 1 for source units whose concept is the target's concept, else 0;
- ``none``: no unit is selected (plain fine-tuning);
- ``cotuning``: no unit is selected either; fine-tuning reuses the source classifier instead
  (Co-Tuning, :mod:`reprise.reuse.cotuning`).

Several target sets can be scored against one pool in one call (a list of target arrays). The
UOT kernel is held in memory when it fits ``memory_budget``, else the pool is streamed in row
blocks, so that memory stays bounded; under ``torchrun`` (``sharded=True``) every process scores
its own share of the pool's rows and all of them end with every score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from reprise.core.errors import InputError
from reprise.core.messages import warn
from reprise.reuse.cost import COSTS, FeatureCost, pad_targets
from reprise.reuse.shards import RowShards
from reprise.reuse.uot import check_positive, sinkhorn_uot

METHODS = ("uot", "greedy", "random", "label", "none", "cotuning")
SELECTS_NOTHING = ("none", "cotuning")
DEFAULT_COST = {"uot": "cos", "greedy": "l2"}  # the UOT paper's UOT-cos and its Greedy-OT setting


@dataclass(frozen=True)
class UnitScores:
    """Scores ``[B, n]`` (one row per target set) and, for ``uot``, ``log_scores`` (log P1) and
    the solver's report.

    Units are ranked on log P1 where it is given: P1 underflows to exactly 0 for units far from
    the target (many of them at a small ε_c in float32), and a ranking on P1 would order those
    by row."""

    scores: np.ndarray
    method: str
    solver: dict = field(default_factory=dict)
    log_scores: np.ndarray | None = None
    timing: dict = field(default_factory=dict)  # uot: kernel_bytes, iteration_seconds, gb_per_second (not in solver: it varies by run)

    def ranked_values(self, batch: int = 0) -> np.ndarray:
        """The values the units are ranked on: log P1 for UOT, the scores otherwise."""
        return (self.scores if self.log_scores is None else self.log_scores)[batch]

    def order(self, batch: int = 0) -> np.ndarray:
        """Unit indices, best first; ties go to the lower unit index."""
        return np.argsort(-self.ranked_values(batch), kind="stable")

    def ranks(self, batch: int = 0) -> np.ndarray:
        """Rank of every unit, 1 = highest score; ties go to the lower unit index."""
        order = self.order(batch)
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(1, len(order) + 1)
        return ranks

    @classmethod
    def from_table(cls, table: pd.DataFrame, method: str) -> "UnitScores":
        """The scores of a :func:`scores_table` (one target set), rows in any order."""
        table = table.sort_values("unit")
        log_scores = table["log_score"].to_numpy()[None, :] if "log_score" in table.columns else None
        return cls(table["score"].to_numpy()[None, :], method, log_scores=log_scores)


def score_units(
    source,
    target,
    method: str = "uot",
    *,
    cost: str | None = None,
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
    memory_budget: int | None = None,
    sharded: bool = False,
) -> UnitScores:
    """Score every source unit against the target units.

    Args:
        source: ``[n, d]`` source unit features (numpy array or memmap, or torch tensor).
        target: ``[m, d]`` target unit features, or a list of such arrays (several target
            sets, possibly of different sizes ``m_b``, scored in one batched call).
        method: one of :data:`METHODS`.
        cost, eps_c: the cost, one of :data:`COSTS` (default: :data:`DEFAULT_COST` of the
            method, the paper's: cos for UOT, l2 for Greedy-OT), and its scale ε_c (paper: 0.01).
        eps, tau1, tau2: ε, τ1, τ2 of eq. 5 (paper: 1, 1, 100).
        source_weights: w^(g), a scalar or ``[n]`` (unit weights by default).
        source_concepts, target_concept: for ``label`` only.
        seed: for ``random`` only.
        block_rows: rows of the source read at a time, to compute the cost (default: about
            64 MB of cost a block).
        cost_cache: a file path: stream the cost instead of holding the kernel, writing its
            blocks there on the first pass and reading them back on later ones.
        device, dtype: where and in which precision to solve; default: the source tensor's
            device (CPU for numpy) and float64 for float64 input, else float32.
        tol, max_iter: the solver's stopping rule (see :func:`reprise.reuse.uot.sinkhorn_uot`).
        memory_budget: bytes the UOT kernel may take (default: half the free memory); beyond
            it the cost of every block is recomputed at every iteration.
        sharded: this process is one of a process group (``torchrun``) that scores the same
            pool: it checks and scores rows ``row_shard`` of the source, and the scores of all
            rows are gathered in every process.

    Returns:
        :class:`UnitScores` with ``scores`` of shape ``[B, n]`` (``B = 1`` for one target); for
        ``uot`` also ``log_scores`` and ``solver``: ``n_iter``, ``converged``, ``err``, the range
        of log P1 (``log_score_min``, ``log_score_max``) and ``warnings``, each also printed as a
        ``warning:`` line on stderr.
    """
    if method not in METHODS:
        raise InputError(f"unknown selection method {method!r}; choose one of {', '.join(METHODS)}")
    targets = list(target) if isinstance(target, (list, tuple)) else [target]
    group = RowShards(len(source) if np.ndim(source) else 0, sharded)
    group.agree(lambda: _check_inputs(source, targets, method, cost, group))
    n, batch = len(source), len(targets)
    if method in SELECTS_NOTHING:
        return UnitScores(np.zeros((batch, n)), method)
    if method == "random":
        rng = np.random.default_rng(seed)
        return UnitScores(np.tile(rng.random(n), (batch, 1)), method)
    if method == "label":
        return UnitScores(np.tile(_label_scores(source_concepts, target_concept, n), (batch, 1)), method)

    cost = cost or DEFAULT_COST[method]
    check_positive(eps_c=eps_c)
    device = torch.device(device) if device is not None else _device_of(source)
    dtype = dtype or (torch.float64 if _dtype_of(source) == torch.float64 else torch.float32)
    target_units, target_weights = pad_targets(targets, device, dtype)
    rows = FeatureCost(group.rows(source), target_units, cost, eps_c, block_rows, cost_cache, device, dtype)
    if method == "greedy":
        scores = group.gather(_greedy_scores(rows, target_weights)).cpu().numpy()
        _refuse_degenerate(scores, "Greedy-OT scores", rows, eps=None)
        return UnitScores(scores, method)

    weights = _source_weights(source_weights, n)
    result = sinkhorn_uot(
        rows,
        eps=eps,
        tau1=tau1,
        tau2=tau2,
        source_weights=None if weights is None else group.rows(weights),
        target_weights=target_weights,
        tol=tol,
        max_iter=max_iter,
        memory_budget=0 if cost_cache is not None else memory_budget,
        sharded=group.sharded,
    )
    log_scores = group.gather(result.log_scores).cpu().numpy().astype(np.float64)
    _refuse_degenerate(log_scores, "UOT scores (log P1)", rows, eps)
    solver = {
        "n_iter": result.n_iter,
        "converged": result.converged,
        "err": result.err,
        "log_score_min": float(log_scores.min()),
        "log_score_max": float(log_scores.max()),
        "kernel": "in memory" if result.in_memory else "streamed",
        "warnings": _solver_warnings(result, tol, max_iter),
    }
    timing = {"kernel_bytes": result.kernel_bytes, "iteration_seconds": result.iteration_seconds, "gb_per_second": result.gb_per_second}
    for message in solver["warnings"]:
        warn(message)
    # P1 from log P1 in float64: finite down to e^-745, where the solver's float32 stops at e^-103.
    return UnitScores(np.exp(log_scores), method, solver, log_scores, timing)


def _check_inputs(source, targets, method: str, cost: str | None, group: "RowShards") -> None:
    """Every check of the features, on this process's rows of the source: made before any compute,
    so that a bad row stops every process of a sharded run with the same error."""
    cost = cost or DEFAULT_COST.get(method)
    if method in DEFAULT_COST and cost not in COSTS:
        raise InputError(f"unknown cost {cost!r}; choose one of {', '.join(COSTS)}")
    _check_features(source, "source features", rows=group.slice, nonzero=cost == "cos")
    for t in targets:
        _check_features(t, "target features", dims_of=source, nonzero=cost == "cos")


def _solver_warnings(result, tol: float, max_iter: int) -> list[str]:
    """What makes a UOT ranking doubtful without making it meaningless: no convergence."""
    if result.converged:
        return []
    return [f"the UOT solver stopped at max_iter = {max_iter} without converging (change {result.err:.3g}, tol {tol:g}); "
            "the scores are not the optimum: raise max_iter"]


def _refuse_degenerate(values: np.ndarray, what: str, rows: FeatureCost, eps: float | None) -> None:
    """Refuse scores ``[B, n]`` that rank nothing: a value that is not finite, or every value of a
    target set equal to within a few float steps of the solver's precision. The error names the
    cause that the cost shows (:func:`_degenerate_cause`)."""
    if not np.isfinite(values).all():
        problem = "are not finite"
    else:
        resolution = 8 * torch.finfo(rows.dtype).eps
        span = values.max(axis=1) - values.min(axis=1)
        if values.shape[1] < 2 or not (span <= resolution * np.maximum(1.0, np.abs(values).max(axis=1))).any():
            return
        problem = "are all equal"
    raise InputError(f"the {what} {problem}, so they rank nothing: {_degenerate_cause(rows, eps)}")


def _degenerate_cause(rows: FeatureCost, eps: float | None) -> str:
    """Why scores came out degenerate, read from the cost of up to 4096 source rows: a cost that
    overflows, an entropic ε too small for the cost, or a cost (over ε for UOT) too flat to tell
    units apart; else the relaxations."""
    _, cost = rows.sample(max(1, -(-rows.n_rows // 4096)))
    finfo = torch.finfo(rows.dtype)
    setting = f"eps_c = {rows.eps_c:g}" + (f", eps = {eps:g}" if eps is not None else "")
    if not torch.isfinite(cost).all():
        return (f"the {rows.cost} cost overflows {str(rows.dtype).removeprefix('torch.')} ({setting}): divide the features by a constant, "
                "raise eps_c, or solve in float64")
    high = float(cost.max())
    if eps is not None and high / eps > 1 / finfo.eps:
        return f"eps = {eps:g} is too small for costs up to {high:.3g} (C/eps reaches {high / eps:.3g}); raise eps (the paper's: 1)"
    scale = eps if eps is not None else 1.0
    apart = float((cost - cost[:, :1, :]).abs().max()) / scale  # how far the source units' costs are from one another
    if apart <= 8 * finfo.eps * max(1.0, high / scale):
        return (f"the source units' costs{' over eps' if eps is not None else ''} differ by at most {apart:.3g} ({setting}), too little to "
                "tell them apart: lower eps_c (the paper's: 0.01)" + (" or eps (the paper's: 1)" if eps is not None else "")
                + ", or check that source and target features come from the same layer, at the same scale")
    return f"the costs span {float(cost.max() - cost.min()):.3g} ({setting}); check eps, tau1 and tau2 (the paper's: 1, 1, 100)"


def top_k(scores: UnitScores, k: int, batch: int = 0) -> np.ndarray:
    """Indices of the selected units, best first.

    ``label`` selects every unit of the target's concept whatever ``k`` is (the paper's
    label-based selection takes all 59 bird classes); ``none`` and ``cotuning`` select nothing.
    """
    n = scores.scores.shape[1]
    if scores.method in SELECTS_NOTHING:
        return np.empty(0, dtype=np.int64)
    if scores.method == "label":
        return np.flatnonzero(scores.scores[batch] > 0)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"select.k must be a positive integer, got {k!r}")
    if k > n:
        raise InputError(f"select.k = {k} is larger than the {n} source units; lower select.k")
    order, values = scores.order(batch), scores.ranked_values(batch)
    if k < n and values[order[k - 1]] == values[order[k]]:
        tied = int((values == values[order[k - 1]]).sum())
        warn(f"{tied} units tie at the score of rank {k} ({values[order[k - 1]]:.6g}): row order decides which of them are in the top {k}")
    return order[:k]


def _greedy_scores(rows: FeatureCost, target_weights: torch.Tensor) -> torch.Tensor:
    """Greedy-OT: minus the mean cost from each source unit to the target units present."""
    present = (target_weights > 0).to(rows.dtype)
    scores = torch.empty(rows.batch, rows.n_rows, dtype=rows.dtype, device=rows.device)
    for start, stop, block in rows.blocks():
        scores[:, start:stop] = -(block * present[:, None, :]).sum(2) / present.sum(1, keepdim=True)
    return scores


def _label_scores(source_concepts, target_concept, n: int) -> np.ndarray:
    if source_concepts is None or target_concept is None:
        raise InputError("label selection needs the source units' concepts and the target's concept: labelled source units (select.unit: class)")
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


def _check_features(x, name: str, dims_of=None, rows: slice = slice(None), nonzero: bool = False) -> None:
    """Validate a ``[rows, d]`` feature array, reading ``rows`` of it in blocks: finite values and,
    with ``nonzero`` (the cosine cost), no all-zero row."""
    shape = tuple(x.shape)
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise InputError(f"{name} must be a non-empty 2-d array [units, dim], got shape {shape}")
    if dims_of is not None and shape[1] != dims_of.shape[1]:
        raise InputError(
            f"{name} have {shape[1]} dimensions but source features have {dims_of.shape[1]}: both must come from the same backbone layer"
        )
    start, stop, _ = rows.indices(shape[0])
    for at in range(start, stop, 65536):
        block = x[at : min(at + 65536, stop)]
        block = block if isinstance(block, torch.Tensor) else torch.from_numpy(np.array(block))
        bad = (~torch.isfinite(block).all(dim=1)).nonzero()
        if len(bad):
            raise InputError(f"{name} row {at + int(bad[0])} contains NaN or Inf; re-extract the features or drop that unit")
        zero = (block == 0).all(dim=1).nonzero() if nonzero else ()
        if len(zero):
            raise InputError(f"{name} row {at + int(zero[0])} is all zeros: the cosine cost is undefined for it; drop that unit or use cost l2")


def _device_of(x) -> torch.device:
    return x.device if isinstance(x, torch.Tensor) else torch.device("cpu")


def _dtype_of(x) -> torch.dtype:
    return x.dtype if isinstance(x, torch.Tensor) else torch.from_numpy(np.empty(0, dtype=x.dtype)).dtype


def scores_table(scores: UnitScores, batch: int = 0) -> pd.DataFrame:
    """One row per source unit: ``unit`` (row of the source features), ``score``, ``rank`` and,
    for UOT, ``log_score`` (log P1, what the rank is taken on)."""
    table = pd.DataFrame({"unit": np.arange(scores.scores.shape[1]), "score": scores.scores[batch], "rank": scores.ranks(batch)})
    if scores.log_scores is not None:
        table["log_score"] = scores.log_scores[batch]
    return table
