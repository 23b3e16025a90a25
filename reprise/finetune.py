"""Joint fine-tuning on the target and the selected source images: eq. 6 of the UOT paper.

With labelled source units, one backbone carries two heads, a target head (K_f classes) and a
source head (one class per selected source class), and every step minimises

    CE(target head, target batch) + λ · CE(source head, source batch)

over a target batch and a source batch of equal size (paper §3.3, §4.1). With no source images
this is plain fine-tuning, the baseline. SGD with Nesterov momentum; the learning rate is divided
by 10 at 60% and 80% of the steps. The loop reads top to bottom on purpose.
"""

from __future__ import annotations

from typing import Iterator

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.device import autocast, prepare_model, to_device
from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import ImageSpec
from reprise.progress import progress_bar
from reprise.training import accuracy, seed_all, sgd_nesterov, step_schedule


def endless_batches(table: ImageTable, spec: ImageSpec, batch_size: int, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled, augmented batches of a table, reshuffled at every pass, forever."""
    while True:
        for x, y, _ in table.batches(spec, batch_size, shuffle=True, augment=True, generator=generator):
            yield x, y


def finetune(
    backbone: nn.Module,
    spec: ImageSpec,
    target: ImageTable,
    source: ImageTable | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float,
    weight_decay: float,
    lam: float,
    seed: int,
    device: torch.device,
    test: ImageTable | None = None,
    eval_every: int = 0,
    progress: bool = True,
    desc: str = "finetune",
) -> tuple[nn.Module, nn.Linear, pd.DataFrame]:
    """Fine-tune ``backbone`` on ``target`` (labels 0..K_f-1), reusing ``source`` (labels
    0..K_g-1, e.g. the manifest's ``source_label``) when given.

    Returns the backbone, the target head and a per-epoch log with columns ``epoch, lr,
    target_loss, source_loss, train_acc, test_acc`` (``test_acc`` every ``eval_every`` epochs
    and at the last one, when ``test`` is given; it is never used to pick a model).
    """
    if epochs < 1 or batch_size < 1:
        raise InputError(f"finetune.epochs and finetune.batch_size must be positive, got {epochs} and {batch_size}")
    if lam < 0:
        raise InputError(f"finetune.lambda must be non-negative, got {lam}")
    reuse = source is not None and len(source) > 0
    generator = seed_all(seed)
    backbone = prepare_model(backbone, device)
    target_head = nn.Linear(backbone.feature_dim, target.num_classes).to(device)
    params = list(backbone.parameters()) + list(target_head.parameters())
    if reuse:
        source_head = nn.Linear(backbone.feature_dim, source.num_classes).to(device)
        params += list(source_head.parameters())
        source_batches = endless_batches(source, spec, batch_size, generator)
    optimizer = sgd_nesterov(params, lr, momentum, weight_decay)
    steps_per_epoch = -(-len(target) // batch_size)
    schedule = step_schedule(optimizer, epochs * steps_per_epoch)

    log = []
    bar = progress_bar(epochs * steps_per_epoch, desc, "step", progress)
    for epoch in range(1, epochs + 1):
        backbone.train()
        target_head.train()
        lr_now = optimizer.param_groups[0]["lr"]
        sums = {"target_loss": 0.0, "source_loss": 0.0, "correct": 0.0, "seen": 0}
        for x_t, y_t, _ in target.batches(spec, batch_size, shuffle=True, augment=True, generator=generator):
            x_t, y_t = to_device(x_t, device), y_t.to(device)
            if reuse:
                x_s, y_s = next(source_batches)
                x_s, y_s = to_device(x_s, device), y_s.to(device)
                with autocast(device):
                    features = backbone(torch.cat([x_t, x_s]))
                logits_t = target_head(features[: len(y_t)].float())
                source_loss = F.cross_entropy(source_head(features[len(y_t) :].float()), y_s)
            else:
                with autocast(device):
                    features = backbone(x_t)
                logits_t = target_head(features.float())
                source_loss = torch.zeros((), device=device)
            target_loss = F.cross_entropy(logits_t, y_t)
            loss = target_loss + lam * source_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            sums["target_loss"] += target_loss.item() * len(y_t)
            sums["source_loss"] += source_loss.item() * len(y_t)
            sums["correct"] += float((logits_t.argmax(1) == y_t).sum())
            sums["seen"] += len(y_t)
            bar.update()
        seen = sums["seen"]
        evaluate_now = test is not None and (epoch == epochs or (eval_every and epoch % eval_every == 0))
        log.append(
            {
                "epoch": epoch,
                "lr": lr_now,
                "target_loss": sums["target_loss"] / seen,
                "source_loss": sums["source_loss"] / seen,
                "train_acc": sums["correct"] / seen,
                "test_acc": accuracy(backbone, target_head, test, spec, device) if evaluate_now else float("nan"),
            }
        )
        bar.set_postfix(epoch=epoch, loss=f"{log[-1]['target_loss']:.3f}")
    bar.close()
    return backbone, target_head, pd.DataFrame(log)
