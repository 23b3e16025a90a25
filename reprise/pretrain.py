"""Supervised pre-training of a backbone on the source pool, keeping checkpoints along the way.

The kept checkpoints are what the checkpoint study (the third paper) compares; the last one is
the backbone that selection and fine-tuning start from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.artifacts import write_checkpoint
from reprise.device import autocast, prepare_model, to_device
from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import ImageSpec, backbone_checkpoint, build_backbone
from reprise.progress import progress_bar
from reprise.training import accuracy, seed_all, sgd_nesterov, step_schedule


def checkpoint_path(out_dir: str | Path, epoch: int) -> Path:
    return Path(out_dir) / f"epoch_{epoch:03d}.pt"


def pretrain_supervised(
    pool: ImageTable,
    pool_val: ImageTable,
    spec: ImageSpec,
    out_dir: str | Path,
    *,
    arch: str,
    arch_kwargs: dict,
    epochs: int,
    keep_epochs: list[int],
    batch_size: int,
    lr: float,
    momentum: float,
    weight_decay: float,
    seed: int,
    device: torch.device,
    progress: bool = True,
) -> pd.DataFrame:
    """Train backbone + linear head with cross-entropy on the pool's class labels.

    Writes ``epoch_NNN.pt`` (see :func:`reprise.models.backbone_checkpoint`, with the source head
    under ``source_head``) for every epoch in ``keep_epochs`` and for the last epoch, which is
    always kept, and returns the per-epoch log:
    ``epoch, lr, train_loss, train_acc, val_acc`` (``val_acc`` on ``pool_val`` at kept epochs).
    """
    if epochs < 1:
        raise InputError(f"pretrain.epochs must be at least 1, got {epochs}")
    bad = [e for e in keep_epochs if not 1 <= e <= epochs]
    if bad:
        raise InputError(f"pretrain.keep_epochs {bad} fall outside 1..{epochs} (pretrain.epochs)")
    generator = seed_all(seed)
    backbone = prepare_model(build_backbone(arch, arch_kwargs), device)
    head = nn.Linear(backbone.feature_dim, pool.num_classes).to(device)
    params = list(backbone.parameters()) + list(head.parameters())
    optimizer = sgd_nesterov(params, lr, momentum, weight_decay)
    steps_per_epoch = -(-len(pool) // batch_size)
    schedule = step_schedule(optimizer, epochs * steps_per_epoch)
    rows = []
    bar = progress_bar(epochs * steps_per_epoch, "pretrain", "step", progress)
    for epoch in range(1, epochs + 1):
        backbone.train()
        head.train()
        lr_now = optimizer.param_groups[0]["lr"]
        loss_sum = correct = seen = 0.0
        for x, y, _ in pool.batches(spec, batch_size, shuffle=True, augment=True, generator=generator):
            x, y = to_device(x, device), y.to(device)
            with autocast(device):
                logits = head(backbone(x))
                loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(y)
            correct += float((logits.argmax(1) == y).sum())
            seen += len(y)
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{loss_sum / seen:.3f}")
        kept = epoch in keep_epochs or epoch == epochs
        val_acc = accuracy(backbone, head, pool_val, spec, device) if kept else float("nan")
        rows.append({"epoch": epoch, "lr": lr_now, "train_loss": loss_sum / seen, "train_acc": correct / seen, "val_acc": val_acc})
        if kept:
            ckpt = backbone_checkpoint(backbone, arch, arch_kwargs, spec, epoch=epoch, source_head=head.state_dict(), source_val_acc=val_acc)
            write_checkpoint(ckpt, checkpoint_path(out_dir, epoch))
    bar.close()
    return pd.DataFrame(rows)


def resolve_checkpoint(out_dir: str | Path, which: str | int) -> Path:
    """The checkpoint file for ``which``: ``"last"`` (highest kept epoch) or an epoch number."""
    kept = sorted(Path(out_dir).glob("epoch_*.pt"))
    if not kept:
        raise InputError(f"no checkpoints in {out_dir}; run the pretrain stage first")
    if which == "last":
        return kept[-1]
    path = checkpoint_path(out_dir, int(which))
    if not path.exists():
        epochs = [int(p.stem.split("_")[1]) for p in kept]
        raise InputError(f"no checkpoint for epoch {which} in {out_dir}; kept epochs are {epochs} (pretrain.keep_epochs)")
    return path
