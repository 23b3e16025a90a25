r"""Unbalanced optimal transport by the generalised Sinkhorn iteration, in the log domain.

Eq. 5 of the UOT paper (Liu et al., NeurIPS 2022), with source units ``i`` (rows) and target
units ``j`` (columns):

.. math::
    \min_{P \ge 0} \langle P, C\rangle - \epsilon h(P)
        + \tau_1 \mathrm{KL}(P\mathbf 1 \,\|\, w^{(g)}) + \tau_2 \mathrm{KL}(P^\top\mathbf 1 \,\|\, w^{(f)}),
    \qquad h(P) = -\sum_{ij} P_{ij}(\log P_{ij} - 1).

The solution is :math:`P_{ij} = \exp(F_i + G_j - C_{ij}/\epsilon)` in scaled potentials that the
generalised Sinkhorn iteration (Chizat et al. 2018; Peyré & Cuturi 2019, §10.2) finds by
alternating, with :math:`\phi_k = \tau_k / (\tau_k + \epsilon)`,

.. math::
    F_i \leftarrow \phi_1 \big(\log w^{(g)}_i - \mathrm{LSE}_j(G_j - C_{ij}/\epsilon)\big),\qquad
    G_j \leftarrow \phi_2 \big(\log w^{(f)}_j - \mathrm{LSE}_i(F_i - C_{ij}/\epsilon)\big).

This is POT's ``ot.unbalanced.sinkhorn_knopp_unbalanced`` (its ``u = e^F``, ``v = e^G``) kept on
logarithms, so that it stays finite in float32 when ``C/ε`` reaches hundreds (the cosine cost with
ε_c = 0.01 gives ``C`` up to 200, and ``e^{-200}`` is zero in float32). The P1 score of source
unit ``i`` is :math:`[P\mathbf 1]_i`; a large score means the unit is close to the target.

Two kernels run the same iteration. A dense cost held in memory uses :class:`_StabilisedKernel`:
matrix-vector products with ``exp(-C/ε)`` rescaled by the potentials of the last rescaling, so an
iteration costs two products and no full-matrix exponential once the potentials settle. A cost
too large for memory comes as :class:`CostRows`, blocks of source rows that are recomputed or
read from disk, and uses :class:`_BlockKernel`: log-sum-exp per block, one pass per iteration.

A leading batch dimension scores one pool against several target sets in one call: target
units that a set lacks carry weight 0 and receive no mass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

import torch

from reprise.errors import InputError

REG_TYPES = ("entropy", "kl")
# Potentials may drift this far (in units of log) from the last rescaling before the stabilised
# kernel is rebuilt; e^±12 keeps every product far from float32's range limits.
_RESCALE_AT = 12.0


class CostRows(Protocol):
    """A cost matrix of shape ``[B, n, m]`` handed out in blocks of source rows."""

    batch: int
    n_rows: int
    n_cols: int
    dtype: torch.dtype
    device: torch.device

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        """Yield ``(start, stop, cost[:, start:stop, :])`` covering all rows in order."""
        ...


@dataclass
class DenseCost:
    """A cost held whole, ``[n, m]`` or ``[B, n, m]``, handed out in blocks of ``block_rows``."""

    cost: torch.Tensor
    block_rows: int | None = None

    def __post_init__(self) -> None:
        self.cost = _batched(self.cost)
        self.batch, self.n_rows, self.n_cols = self.cost.shape
        self.dtype, self.device = self.cost.dtype, self.cost.device

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        step = self.block_rows or self.n_rows
        for start in range(0, self.n_rows, step):
            stop = min(start + step, self.n_rows)
            yield start, stop, self.cost[:, start:stop]


@dataclass(frozen=True)
class UOTResult:
    """What :func:`sinkhorn_uot` returns; every tensor has the batch dimension first.

    ``scores`` ``[B, n]`` is P1 (mass per source unit), ``target_mass`` ``[B, m]`` is Pᵀ1,
    ``f`` ``[B, n]`` and ``g`` ``[B, m]`` are the dual potentials in cost units (POT's
    ``ε log u``, ``ε log v``). ``n_iter`` iterations ran; ``converged`` says whether the
    relative change of the potentials fell below ``tol`` within ``max_iter``; ``err`` is that
    change at the last iteration.
    """

    scores: torch.Tensor
    target_mass: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor
    n_iter: int
    converged: bool
    err: float


def check_positive(**values: float) -> None:
    """Raise :class:`InputError` for any value that is not a finite positive number."""
    for name, value in values.items():
        if not (isinstance(value, (int, float)) and 0 < value < math.inf):
            raise InputError(f"{name} must be a positive number, got {value!r}")


def sinkhorn_uot(
    cost: torch.Tensor | CostRows,
    eps: float = 1.0,
    tau1: float = 1.0,
    tau2: float = 100.0,
    source_weights: torch.Tensor | None = None,
    target_weights: torch.Tensor | None = None,
    reg_type: str = "entropy",
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> UOTResult:
    """Solve eq. 5 of the UOT paper and return the P1 scores of the source units.

    Args:
        cost: ``C``, a tensor ``[n, m]`` or ``[B, n, m]`` (solved in its dtype and on its
            device), or a :class:`CostRows` streaming row blocks.
        eps: entropic regularisation ε (paper: 1).
        tau1: source-side marginal relaxation τ1 (paper: 1; small, so that only part of the
            pool receives mass).
        tau2: target-side marginal relaxation τ2 (paper: 100; large, so that every target unit
            is covered).
        source_weights: w^(g), ``[n]`` or ``[B, n]``; ones by default (the paper's unit weights).
        target_weights: w^(f), ``[m]`` or ``[B, m]``; ones by default. A zero marks a target
            unit absent from that batch entry.
        reg_type: ``"entropy"`` for eq. 5 as written (POT's ``reg_type="entropy"``), ``"kl"``
            for KL(P ‖ w^(g) w^(f)ᵀ) (POT's default). The two agree for unit weights.
        tol: stop when the relative change of the potentials in one iteration,
            ``max|ΔF|/max(1, max|F|)`` averaged with the same for ``G``, falls below ``tol``
            (POT's criterion on ``u``, ``v``, taken on their logarithms).
        max_iter: iteration cap.

    Returns:
        :class:`UOTResult`, batch dimension first even for a single problem.
    """
    check_positive(eps=eps, tau1=tau1, tau2=tau2, tol=tol)
    if reg_type not in REG_TYPES:
        raise InputError(f"reg_type must be one of {REG_TYPES}, got {reg_type!r}")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise InputError(f"max_iter must be a positive integer, got {max_iter!r}")
    if isinstance(cost, torch.Tensor):
        cost = _batched(cost)
        batch, n, m = cost.shape
        like = cost
    else:
        batch, n, m = cost.batch, cost.n_rows, cost.n_cols
        like = torch.empty(0, dtype=cost.dtype, device=cost.device)
    log_a = _log_weights(source_weights, batch, n, like, "source_weights", zeros_allowed=False)
    log_b = _log_weights(target_weights, batch, m, like, "target_weights", zeros_allowed=True)
    present = torch.isfinite(log_b)
    # Absent target units enter the kernel as -inf columns; under reg_type="kl" the kernel is
    # exp(-C/eps) a_i b_j, so log a_i and log b_j (-inf where absent) are folded into it.
    row_shift = log_a if reg_type == "kl" else None
    col_shift = log_b if reg_type == "kl" else torch.zeros_like(log_b).masked_fill(~present, -math.inf)
    if isinstance(cost, torch.Tensor):
        kernel = _StabilisedKernel(_log_kernel(cost, eps, row_shift, col_shift))
    else:
        kernel = _BlockKernel(cost, eps, row_shift, col_shift)

    phi1, phi2 = tau1 / (tau1 + eps), tau2 / (tau2 + eps)
    F = torch.zeros_like(log_a)
    G = torch.zeros_like(log_b)  # stays 0 on absent target units, whose kernel column is -inf

    def update_rows(start: int, stop: int, row_lse: torch.Tensor) -> torch.Tensor:
        F[:, start:stop] = phi1 * (log_a[:, start:stop] - row_lse)
        return F[:, start:stop]

    err, n_iter = math.inf, 0
    while n_iter < max_iter and err >= tol:
        n_iter += 1
        F_prev, G_prev = F.clone(), G
        col_lse = kernel.sweep(G, update_rows)
        G = torch.where(present, phi2 * (log_b - col_lse), 0.0)
        err = 0.5 * (_relative_change(F, F_prev) + _relative_change(G, G_prev))

    row_lse = torch.empty_like(F)

    def keep_rows(start: int, stop: int, lse: torch.Tensor) -> torch.Tensor:
        row_lse[:, start:stop] = lse
        return F[:, start:stop]

    col_lse = kernel.sweep(G, keep_rows)
    return UOTResult(
        scores=torch.exp(F + row_lse),
        target_mass=torch.exp(G + col_lse).masked_fill(~present, 0.0),
        f=eps * F,
        g=eps * G,
        n_iter=n_iter,
        converged=err < tol,
        err=err,
    )


RowUpdate = Callable[[int, int, torch.Tensor], torch.Tensor]


class _BlockKernel:
    """Log-sum-exp over row blocks of a streamed cost: one pass over the blocks per sweep."""

    def __init__(self, rows: CostRows, eps: float, row_shift, col_shift) -> None:
        self.rows, self.eps, self.row_shift, self.col_shift = rows, eps, row_shift, col_shift

    def sweep(self, G: torch.Tensor, update_rows: RowUpdate) -> torch.Tensor:
        """New F from ``LSE_j(L_ij + G_j)`` block by block; return ``LSE_i(L_ij + F_i)``."""
        col_lse = torch.full_like(G, -math.inf)
        for start, stop, block in self.rows.blocks():
            shift = None if self.row_shift is None else self.row_shift[:, start:stop]
            log_k = _log_kernel(block.to(G.dtype), self.eps, shift, self.col_shift)
            F_block = update_rows(start, stop, torch.logsumexp(log_k + G[:, None, :], dim=2))
            col_lse = torch.logaddexp(col_lse, torch.logsumexp(log_k + F_block[:, :, None], dim=1))
        return col_lse


class _StabilisedKernel:
    """The log-kernel ``L`` held in memory with two rescaled exponentials of it.

    ``R = exp(L + Ĝ_j - r_i)`` (each row's largest entry 1) gives
    ``LSE_j(L_ij + G_j) = r_i + log (R e^{G - Ĝ})_i``, and ``Q = exp(L + F̂_i - q_j)`` (each
    column's largest entry 1) gives ``LSE_i(L_ij + F_i) = q_j + log (Qᵀ e^{F - F̂})_j``. Both are
    rebuilt only when the potentials move more than ``_RESCALE_AT`` from ``Ĝ``, ``F̂``, so
    entries that underflow stay negligible and settled iterations cost two matrix products.
    """

    def __init__(self, log_k: torch.Tensor) -> None:
        self.log_k = log_k
        self.tiny = torch.finfo(log_k.dtype).tiny
        self.G_hat = self.F_hat = None

    def _exp(self, x: torch.Tensor) -> torch.Tensor:
        """``exp`` in place, flushing subnormal results (slow in products, and negligible) to 0."""
        x = x.exp_()
        return x.masked_fill_(x < self.tiny, 0.0)

    def sweep(self, G: torch.Tensor, update_rows: RowUpdate) -> torch.Tensor:
        """New F from ``LSE_j(L_ij + G_j)``; return ``LSE_i(L_ij + F_i)``."""
        if self.G_hat is None or float((G - self.G_hat).abs().max()) > _RESCALE_AT:
            self.G_hat = G
            shifted = self.log_k + G[:, None, :]
            self.r = shifted.amax(dim=2)
            self.R = self._exp(shifted.sub_(self.r[:, :, None]))
        row_sum = torch.bmm(self.R, torch.exp(G - self.G_hat)[:, :, None])
        F = update_rows(0, self.log_k.shape[1], self.r + torch.log(row_sum.squeeze(2)))
        if self.F_hat is None or float((F - self.F_hat).abs().max()) > _RESCALE_AT:
            self.F_hat = F.clone()
            shifted = self.log_k + F[:, :, None]
            self.q = shifted.amax(dim=1).nan_to_num_(neginf=0.0)  # absent columns: all -inf
            self.Q = self._exp(shifted.sub_(self.q[:, None, :]))
        col_sum = torch.bmm(torch.exp(F - self.F_hat)[:, None, :], self.Q)
        return self.q + torch.log(col_sum.squeeze(1))


def _batched(cost: torch.Tensor) -> torch.Tensor:
    if cost.dim() == 2:
        cost = cost.unsqueeze(0)
    if cost.dim() != 3:
        raise InputError(f"cost must be [n, m] or [B, n, m], got shape {tuple(cost.shape)}")
    if not cost.dtype.is_floating_point:
        cost = cost.double()
    return cost


def _log_kernel(cost: torch.Tensor, eps: float, row_shift, col_shift) -> torch.Tensor:
    """``L_ij = -C_ij/ε + col_shift_j`` (``+ row_shift_i`` when given)."""
    log_k = cost / -eps + col_shift[:, None, :]
    if row_shift is not None:
        log_k += row_shift[:, :, None]
    return log_k


def _log_weights(weights, batch: int, size: int, like: torch.Tensor, name: str, zeros_allowed: bool) -> torch.Tensor:
    if weights is None:
        return torch.zeros(batch, size, dtype=like.dtype, device=like.device)
    w = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if w.dim() == 1:
        w = w.unsqueeze(0).expand(batch, -1)
    if w.shape != (batch, size):
        raise InputError(f"{name} must have shape [{size}] or [{batch}, {size}], got {tuple(w.shape)}")
    if not torch.isfinite(w).all() or (w < 0).any() or not (w > 0).any(dim=1).all():
        raise InputError(f"{name} must be finite, non-negative and not all zero")
    if not zeros_allowed and (w == 0).any():
        raise InputError(f"{name} must be positive (drop a unit instead of giving it weight 0)")
    return torch.log(w)


def _relative_change(new: torch.Tensor, old: torch.Tensor) -> float:
    return float((new - old).abs().max()) / max(float(new.abs().max()), 1.0)
