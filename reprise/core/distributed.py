"""Training and extraction on several processes: ``torchrun`` and DistributedDataParallel.

A stage started by ``torchrun`` (or re-executed under it by :func:`reprise.core.stage.run_stage`,
when the ``distributed.processes`` param asks for more than one) runs once per process; :func:`processes`
gives this process's :class:`Processes` and joins the process group (NCCL for CUDA tensors,
gloo for CPU tensors). Without ``torchrun`` it is the single process, with no process group, and
every method below returns its argument unchanged, so a one-process run draws, reads and
computes exactly what it did before.

How the work is split, so that a run on N processes is comparable to a run on one:

- Data order. Every process draws the same plan of global batches from the same seeded
  generator (:meth:`reprise.core.images.ImageTable.plan`) and reads only its share of each
  batch (:meth:`Processes.share`): the global batch stays ``batch_size``, the learning rate and
  schedule need no change, and the processes never see the same image in a step.
- Gradients. The trained modules are wrapped in DistributedDataParallel
  (:meth:`Processes.parallel`), which averages the processes' gradients; each process weighs its
  loss by its share of the global batch (:meth:`Processes.weigh`), so the average is the gradient
  of the global batch's mean loss.
- Augmentation. Each process draws its views from a generator of its own, reseeded every epoch
  from the seed, the epoch and the rank (:meth:`Processes.view_generator`), so a resumed run goes
  on as an uninterrupted one would.
- BatchNorm stays per process: its statistics are those of the process's share of the batch,
  and its running averages are rank 0's (DistributedDataParallel broadcasts them every step).
- Outputs. Features and test accuracies are computed on shards and gathered back in the table's
  row order (:meth:`Processes.gather_rows`); logged sums are summed over the processes
  (:meth:`Processes.sum`); only rank 0 (:attr:`Processes.is_main`) writes files, logs or draws a
  progress bar.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from reprise.core.errors import InputError

@dataclass(frozen=True)
class Processes:
    """This process's place among the ``world_size`` processes of a run (``rank`` 0 writes)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def several(self) -> bool:
        return self.world_size > 1

    def place(self, device: torch.device) -> torch.device:
        """The device of this process: on CUDA, the GPU of its local rank."""
        if self.several and device.type == "cuda" and device.index is None:
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        return device

    def check_batches(self, batch_size: int, images: int, what: str) -> None:
        """A one-line :class:`InputError` unless every global batch of a pass over ``images``
        splits into a non-empty share for every process, the full batches evenly."""
        if not self.several:
            return
        last = images % batch_size
        if batch_size % self.world_size or 0 < last < self.world_size:
            raise InputError(f"{what}.batch_size is {batch_size} on {self.world_size} processes: it must be a multiple of the "
                             f"processes, and the last batch of a pass ({last} of {images} images) must give each one an image; "
                             f"change {what}.batch_size or distributed.processes")

    def share(self, plan: list, start: int = 0) -> list:
        """This process's part of a plan of batches: the images at positions ``rank``,
        ``rank + N``, ... of the stream that the plan continues at position ``start`` (one pass
        of a table: ``start`` 0, and the share is rows ``rank::N`` of every batch when the
        batches' sizes are multiples of N). Batches left empty are dropped."""
        if not self.several:
            return plan
        out = []
        for rows, seeds in plan:
            mine = slice((self.rank - start) % self.world_size, None, self.world_size)
            start += len(rows)
            if len(rows[mine]):
                out.append((rows[mine], None if seeds is None else seeds[mine]))
        return out

    def weigh(self, loss: torch.Tensor, share: int, batch: int) -> torch.Tensor:
        """A process's mean loss over its ``share`` of a global ``batch``, weighed so that the
        average of the processes' gradients is the gradient of the batch's mean loss."""
        return loss * (self.world_size * share / batch) if self.several else loss

    def view_generator(self, generator: torch.Generator, seed: int, epoch: int) -> torch.Generator:
        """The generator an epoch's augmentations are drawn from: ``generator`` itself in one
        process; on several, one of this process's own, seeded (with torch's global generator,
        which RandAugment draws from) from ``seed``, ``epoch`` and the rank."""
        if not self.several:
            return generator
        digest = hashlib.sha256(f"{seed}/{epoch}/{self.rank}".encode()).digest()
        own = int.from_bytes(digest[:8], "little") % 2**63
        torch.manual_seed(own)
        return torch.Generator().manual_seed(own)

    def parallel(self, backbone: torch.nn.Module, *heads: torch.nn.Module):
        """The backbone's forward, for a training loop whose heads are applied to its output: the
        backbone itself in one process; on several, DistributedDataParallel over the backbone and
        the heads, so that every module's gradients are averaged over the processes."""
        if not self.several:
            return backbone
        device = next(backbone.parameters()).device
        ids = [device] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(_Trained(backbone, heads), device_ids=ids)

    def same_model(self, model: torch.nn.Module) -> None:
        """Give every process rank 0's weights and buffers (e.g. BatchNorm statistics, which each
        process updates on its own share), before they compute parts of one result."""
        if self.several:
            for tensor in list(model.parameters()) + list(model.buffers()):
                dist.broadcast(tensor.data, src=0)

    def sum(self, values: dict) -> dict:
        """``values`` (name to number) summed over the processes."""
        if not self.several:
            return values
        total = torch.tensor([float(v) for v in values.values()], dtype=torch.float64)
        dist.all_reduce(total)
        return dict(zip(values, total.tolist()))

    def gather_rows(self, array: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Every process's rows of ``array`` (``array[rows]`` is this process's part, the rest
        unset) put together: the whole array, in row order, on every process."""
        if not self.several:
            return array
        mine = torch.from_numpy(np.ascontiguousarray(array[rows]))
        counts = [torch.zeros(1, dtype=torch.int64) for _ in range(self.world_size)]
        dist.all_gather(counts, torch.tensor([len(rows)]))
        most = int(max(counts))
        padded = torch.zeros((most, *mine.shape[1:]), dtype=mine.dtype)
        padded[: len(rows)] = mine
        index = torch.full((most,), -1, dtype=torch.int64)
        index[: len(rows)] = torch.from_numpy(np.asarray(rows, dtype=np.int64))
        parts, indices = [torch.empty_like(padded) for _ in counts], [torch.empty_like(index) for _ in counts]
        dist.all_gather(parts, padded)
        dist.all_gather(indices, index)
        out = array.copy()
        for part, where, count in zip(parts, indices, counts):
            out[where[: int(count)].numpy()] = part[: int(count)].numpy()
        return out

    def gather(self, value) -> list:
        """Every process's ``value`` (any picklable object), in rank order."""
        if not self.several:
            return [value]
        out = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def broadcast(self, value):
        """Rank 0's ``value`` (any picklable object), on every process."""
        if not self.several:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


class _Trained(torch.nn.Module):
    """The modules a training loop trains, as one module for DistributedDataParallel; its
    forward is the backbone's, the heads being applied by the loop to the features."""

    def __init__(self, backbone: torch.nn.Module, heads: tuple[torch.nn.Module, ...]) -> None:
        super().__init__()
        self.backbone, self.heads = backbone, torch.nn.ModuleList(heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)


@functools.cache
def processes() -> Processes:
    """This process's :class:`Processes`, from torchrun's environment (``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK``); on first call with several processes, joins the process group: NCCL for
    CUDA tensors and gloo for CPU ones where CUDA is present, gloo alone where it is not."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Processes()
    dist.init_process_group("cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo")
    atexit.register(dist.destroy_process_group)
    return Processes(dist.get_rank(), world_size, int(os.environ.get("LOCAL_RANK", "0")))
