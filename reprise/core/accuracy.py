"""Top-1 accuracy of a classification head, the one definition every study uses: on features
already extracted, or on an image table through the backbone."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from reprise.core.features import extract_features
from reprise.core.images import ImageSpec, ImageTable


@torch.no_grad()
def head_accuracy(head: nn.Module, features: np.ndarray, labels: np.ndarray, batch_size: int = 256) -> float:
    """Top-1 (0-1) of ``head`` on ``features [n, d]`` against ``labels [n]``, in batches."""
    head = head.eval()
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    device = next(head.parameters()).device
    correct = 0
    for start in range(0, len(x), batch_size):
        predicted = head(x[start : start + batch_size].to(device)).argmax(1).cpu().numpy()
        correct += int((predicted == np.asarray(labels)[start : start + batch_size]).sum())
    return correct / len(x)


def accuracy(backbone: nn.Module, head: nn.Module, table: ImageTable, spec: ImageSpec, device: torch.device) -> float:
    """Top-1 (0-1) of backbone + head on every image of the table."""
    features = extract_features(backbone, spec, table, device, progress=False)
    return head_accuracy(head.to(device), features, table.labels)
