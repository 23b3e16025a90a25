"""The source rows of a selection split across the processes of a ``torchrun`` launch.

Each process scores rows ``[n r / W, n (r + 1) / W)`` of the pool (rank ``r`` of ``W``); the
solver all-reduces what the shards share (:func:`reprise.reuse.uot.sinkhorn_uot` with
``sharded=True``), and the scores are gathered back in row order, so every process ends with
what one process alone computes.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from reprise.core.distributed import Processes, processes
from reprise.core.errors import InputError


class RowShards:
    """This process's share of ``n`` rows: all of them unless ``sharded`` and under torchrun."""

    def __init__(self, n: int, sharded: bool) -> None:
        self.processes = processes() if sharded else Processes()
        self.sharded = self.processes.several
        rank, world = self.processes.rank, self.processes.world_size
        bounds = [n * r // world for r in range(world + 1)]
        self.n, self.slice = n, slice(bounds[rank], bounds[rank + 1])

    def rows(self, x):
        """This process's rows of ``x`` (an array, memmap or tensor with the rows first)."""
        return x[self.slice] if self.sharded else x

    def gather(self, values: torch.Tensor) -> torch.Tensor:
        """``[B, n]`` from every process's ``[B, rows]``, in row order, on every process."""
        if not self.sharded:
            return values
        whole = np.zeros((self.n, values.shape[0]), dtype=values.cpu().numpy().dtype)
        whole[self.slice] = values.cpu().numpy().T
        rows = np.arange(self.slice.start, self.slice.stop)
        return torch.from_numpy(self.processes.gather_rows(whole, rows).T.copy()).to(values.device)

    def agree(self, check: Callable[[], None]) -> None:
        """Run ``check``; an :class:`InputError` it raises in any process is raised in all, so
        that no process waits for the others in a collective they will never reach."""
        if not self.sharded:
            check()
            return
        try:
            check()
            message = None
        except InputError as exc:
            message = str(exc)
        first = next((m for m in self.processes.gather(message) if m), None)
        if first is not None:
            raise InputError(first)
