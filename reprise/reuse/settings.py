"""The data-reuse study's sections of ``params.yaml`` (the UOT paper): feature extraction, k-means
clusters, the UOT problem and its solver, and the selection."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.schema import COUNT, INDEX, NON_NEGATIVE, POSITIVE, Choice, Either, Int, Nullable
from reprise.core.settings import SectionSettings, key

COSTS = Choice("cos", "l2")


def gigabytes(value: float | str | None) -> int | None:
    """A memory budget in GB as bytes; ``auto`` (or None) stays None: half the free memory."""
    return None if value in (None, "auto") else int(value * 1e9)


@dataclass(frozen=True)
class ExtractSettings(SectionSettings):
    """Which kept checkpoint and layer give the features that select."""

    section = "extract"
    checkpoint: str | int = key(Either(Choice("last"), INDEX))
    layer: str = key(Choice("penultimate", "projection"))
    batch_size: int = key(COUNT)


@dataclass(frozen=True)
class ClusterSettings(SectionSettings):
    """Spherical k-means over the pool's features: the unit when labels are absent."""

    section = "cluster"
    k: int = key(Int(2))
    iterations: int = key(COUNT)
    seed: int = key(INDEX)


@dataclass(frozen=True)
class UotSettings(SectionSettings):
    """Eq. 5 of the UOT paper and its solver: ε, τ1, τ2, the cost C = cost / ε_c, the weight of
    every source unit, and how the kernel is held (``memory_budget`` in bytes, None: half the free
    memory) and when the iteration stops."""

    section = "uot"
    eps: float = key(POSITIVE)
    tau1: float = key(POSITIVE)
    tau2: float = key(POSITIVE)
    eps_c: float = key(POSITIVE)
    cost: str = key(COSTS)
    source_weight: float = key(POSITIVE)
    block_rows: int | None = key(Nullable(COUNT))
    memory_budget: int | None = key(Either(Choice("auto"), NON_NEGATIVE), convert=gigabytes)
    tol: float = key(POSITIVE)
    max_iter: int = key(COUNT)

    def solver_args(self, method: str, greedy_cost: str | None = None) -> dict:
        """The keyword arguments of :func:`reprise.reuse.selection.score_units` for ``method``:
        UOT's cost is ``cost``, Greedy-OT's ``greedy_cost`` (the paper runs it with l2)."""
        return {
            "cost": self.cost if method == "uot" or greedy_cost is None else greedy_cost, "eps_c": self.eps_c, "eps": self.eps,
            "tau1": self.tau1, "tau2": self.tau2, "source_weights": self.source_weight, "block_rows": self.block_rows, "tol": self.tol,
            "max_iter": self.max_iter, "memory_budget": self.memory_budget,
        }


@dataclass(frozen=True)
class SelectSettings(SectionSettings):
    """Which units are scored, by which method, and how many are reused."""

    section = "select"
    method: str = key(Choice("uot", "greedy", "random", "label", "none", "cotuning"))
    unit: str = key(Choice("class", "cluster", "image"))
    k: int = key(COUNT)
    seed: int = key(INDEX)
    greedy_cost: str = key(COSTS)
