"""A softmax classifier retrained on frozen features: the feature-extractor (FE) transfer of the
inadequately-pretrained-checkpoints paper (§1, §4.1) and the classifier of its spectral
analysis (§4.4).

The backbone only extracts features (eval mode, no gradient); a new linear layer ``W [K, d]``,
``b [K]`` with Gaussian initialisation (W ~ N(0, 0.01²), b = 0) is trained on them by Adam
(the paper: lr 0.01, batch 128) to minimise the cross-entropy of softmax(W f + b). An optional
per-batch ``transform`` (e.g. the F_m or F_r part of :mod:`reprise.checkpoints.spectral`) is applied to
every batch of features, in training and in evaluation alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.accuracy import head_accuracy
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.optimizers import Adam

Transform = Callable[[torch.Tensor], torch.Tensor] | None


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def train_softmax_classifier(
    features: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    epochs: int,
    lr: float = 0.01,
    batch_size: int = 128,
    seed: int = 0,
    transform: Transform = None,
    init_std: float = 0.01,
) -> nn.Linear:
    """Train a softmax classifier on fixed ``features [n, d]`` with ``labels [n]`` (0..K-1).

    Every epoch visits the rows in a new seeded order, in batches of ``batch_size`` (the last
    may be smaller); ``transform`` maps each batch ``[b, d]`` to the features the classifier
    sees. Returns the trained ``nn.Linear(d, num_classes)`` on the CPU.
    """
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise InputError(f"classifier epochs, batch_size and lr must be positive, got {epochs}, {batch_size}, {lr}")
    x = torch.tensor(np.asarray(features), dtype=torch.float32)
    y = torch.tensor(np.asarray(labels), dtype=torch.int64)
    if x.ndim != 2 or len(x) == 0 or len(x) != len(y):
        raise InputError(f"classifier: features [n, d] and labels [n] must be non-empty and aligned, got {tuple(x.shape)} and {tuple(y.shape)}")
    generator = torch.Generator().manual_seed(seed)
    head = nn.Linear(x.shape[1], num_classes)
    with torch.no_grad():
        head.weight.normal_(0.0, init_std, generator=generator)
        head.bias.zero_()
    optimizer = Adam(head.parameters(), lr=lr)
    for _ in range(epochs):
        for rows in _batches(len(x), batch_size, generator):
            batch = x[rows]
            if transform is not None:
                with torch.no_grad():
                    batch = transform(batch)
            loss = F.cross_entropy(head(batch), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return head.eval()


@torch.no_grad()
def classifier_accuracy(
    head: nn.Linear, features: np.ndarray, labels: np.ndarray, *, batch_size: int = 128, seed: int = 0, transform: Transform = None
) -> float:
    """Top-1 accuracy (0-1) of ``head`` on ``features [n, d]``. With a ``transform`` the rows
    are batched in a seeded random order, as in training (a per-batch SVD depends on which rows
    share the batch); without one, this is :func:`reprise.core.accuracy.head_accuracy`."""
    if transform is None:
        return head_accuracy(head, features, labels, batch_size)
    x = torch.tensor(np.asarray(features), dtype=torch.float32)
    y = torch.tensor(np.asarray(labels), dtype=torch.int64)
    correct = 0
    for rows in _batches(len(x), batch_size, torch.Generator().manual_seed(seed)):
        correct += int((head(transform(x[rows])).argmax(1) == y[rows]).sum())
    return correct / len(x)


@dataclass(frozen=True)
class FrozenTransfer:
    accuracy: float             # top-1 (0-1) on the test table
    head: nn.Linear             # the retrained softmax classifier
    train_features: np.ndarray  # float32 [train images, d]
    test_features: np.ndarray   # float32 [test images, d]


def feature_extractor_transfer(
    backbone: nn.Module,
    spec: ImageSpec,
    train: ImageTable,
    test: ImageTable,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    device: torch.device,
    progress: bool = False,
) -> FrozenTransfer:
    """FE transfer: extract the penultimate features of ``train`` and ``test`` with the frozen
    backbone, retrain a softmax classifier on the training features, measure it on the test.

    The backbone is never updated: features come from eval mode (BatchNorm uses, and keeps, its
    running statistics) under ``torch.no_grad``; its train/eval flags are restored afterwards.
    """
    modes = {m: m.training for m in backbone.modules()}
    try:
        train_features = extract_features(backbone, spec, train, device, progress=progress, desc="FE features (train)")
        test_features = extract_features(backbone, spec, test, device, progress=progress, desc="FE features (test)")
    finally:
        for module, mode in modes.items():
            module.training = mode
    head = train_softmax_classifier(train_features, train.labels, train.num_classes, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    acc = classifier_accuracy(head, test_features, test.labels, batch_size=batch_size)
    return FrozenTransfer(acc, head, train_features, test_features)
