"""Penultimate features of a backbone for every image of a table (the extract stage)."""

from __future__ import annotations

import numpy as np
import torch

from reprise.core.device import autocast, prepare_model, to_device
from reprise.core.images import ImageSpec, ImageTable
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
    """Features ``float32 [len(table), feature_dim]``, rows aligned with the table's index."""
    backbone = prepare_model(backbone, device).eval()
    out = np.empty((len(table), backbone.feature_dim), dtype=np.float32)
    bar = progress_bar(len(table), desc, "img", progress)
    for x, _, rows in table.batches(spec, batch_size):
        with autocast(device):
            feats = backbone(to_device(x, device))
        out[rows.numpy()] = feats.float().cpu().numpy()
        bar.update(len(rows))
    bar.close()
    return out
