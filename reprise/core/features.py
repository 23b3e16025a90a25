"""Penultimate features of a backbone for every image of a table (the extract stage)."""

from __future__ import annotations

import numpy as np
import torch

from reprise.core.device import autocast, prepare_model, to_device
from reprise.core.distributed import processes
from reprise.core.images import ImageSpec, ImageTable, normalise
from reprise.core.progress import progress_bar


@torch.no_grad()
def extract_features(
    backbone: torch.nn.Module,
    spec: ImageSpec,
    table: ImageTable,
    device: torch.device,
    batch_size: int = 256,
    progress: bool = True,
    desc: str = "extract",
) -> np.ndarray:
    """Features ``float32 [len(table), feature_dim]``, rows aligned with the table's index.

    On several processes (:func:`reprise.core.distributed.processes`), each one extracts its
    share of every batch of ``batch_size`` with rank 0's weights, and every one returns the whole
    array, gathered in the table's row order."""
    group = processes()
    device = group.place(device)
    backbone = prepare_model(backbone, device).eval()
    group.same_model(backbone)
    out = np.empty((len(table), backbone.feature_dim), dtype=np.float32)
    plan = group.share(table.plan(spec, batch_size))
    bar = progress_bar(len(table), desc, "img", progress and group.is_main)
    for raw, _, rows in table.load(plan, spec):
        with autocast(device):
            feats = backbone(to_device(normalise(raw.float().div_(255.0), spec), device))
        out[rows.numpy()] = feats.float().cpu().numpy()
        bar.update(len(rows) * group.world_size)
    bar.close()
    return group.gather_rows(out, np.concatenate([rows for rows, _ in plan] or [np.empty(0, np.int64)]))
