"""Pre-training of a backbone on the source pool, with or without its labels, keeping
checkpoints along the way.

The kept checkpoints are what the checkpoint study (the third paper) compares; the last one is
the backbone that selection and fine-tuning start from. Under torchrun it runs on several
processes, each on its share of every global batch (:mod:`reprise.core.distributed`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.accuracy import accuracy
from reprise.core.backbones import build_backbone
from reprise.core.checkpoints import backbone_checkpoint, checkpoint_path, write_checkpoint
from reprise.core.contrastive import ProjectionHead, nt_xent
from reprise.core.device import autocast, prepare_model, to_device
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.progress import progress_bar
from reprise.core.resume import Resumable, restore_training, training_state
from reprise.core.training import seed_all, sgd_nesterov, step_schedule
from reprise.core.views import contrastive_view, weak_view

MODES = ("supervised", "contrastive")


def pretrain(
    pool: ImageTable,
    pool_val: ImageTable | None,
    spec: ImageSpec,
    out_dir: str | Path,
    *,
    mode: str,
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
    projection_dim: int = 128,
    temperature: float = 0.2,
    progress: bool = True,
    desc: str | None = None,
    resume_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Pre-train a backbone on the pool.

    ``supervised``: a linear head and cross-entropy on the pool's class labels. ``contrastive``:
    a projection head (hidden width = feature width, ``projection_dim`` out) and the SimCLR loss
    of :mod:`reprise.core.contrastive` on two views of every image; the labels are never read.

    Writes ``epoch_NNN.pt`` (see :func:`reprise.core.checkpoints.backbone_checkpoint`, with the head under
    ``source_head`` or ``projection_head``) for every epoch in ``keep_epochs`` and for the last
    epoch, which is always kept, and returns the per-epoch log ``epoch, lr, train_loss,
    train_acc, val_acc``; the accuracies (``val_acc`` on ``pool_val`` at kept epochs) are
    measured for supervised training only (``val_acc`` when ``pool_val`` is given).

    With ``resume_dir``, the run saves its state there every epoch (and keeps its checkpoints
    there until the last epoch, since DVC clears ``out_dir`` before a rerun); a rerun of the same
    run continues from the last finished epoch (:mod:`reprise.core.resume`).

    On several processes (:func:`reprise.core.distributed.processes`) the log's losses and
    accuracies are over the global batches, and only rank 0 writes checkpoints, saves the state or
    draws progress. The contrastive loss takes its negatives from the process's share of the
    batch, not the whole batch.
    """
    if mode not in MODES:
        raise InputError(f"pretrain.mode must be one of {', '.join(MODES)}, got {mode!r}")
    if epochs < 1:
        raise InputError(f"pretrain.epochs must be at least 1, got {epochs}")
    bad = [e for e in keep_epochs if not 1 <= e <= epochs]
    if bad:
        raise InputError(f"pretrain.keep_epochs {bad} fall outside 1..{epochs} (pretrain.epochs)")
    group = processes()
    group.check_batches(batch_size, len(pool), "pretrain")
    device = group.place(device)
    generator = seed_all(seed)
    backbone = prepare_model(build_backbone(arch, arch_kwargs), device)
    if mode == "supervised":
        head = nn.Linear(backbone.feature_dim, pool.num_classes).to(device)
    else:
        head = ProjectionHead(backbone.feature_dim, backbone.feature_dim, projection_dim).to(device)
    params = list(backbone.parameters()) + list(head.parameters())
    optimizer = sgd_nesterov(params, lr, momentum, weight_decay)
    steps_per_epoch = -(-len(pool) // batch_size)
    schedule = step_schedule(optimizer, epochs * steps_per_epoch)
    settings = {"mode": mode, "arch": arch, "arch_kwargs": arch_kwargs, "epochs": epochs, "keep_epochs": list(keep_epochs), "batch_size": batch_size,
                "lr": lr, "momentum": momentum, "weight_decay": weight_decay, "seed": seed, "projection_dim": projection_dim,
                "temperature": temperature, "spec": spec, "processes": group.world_size}
    resumable = Resumable(resume_dir, settings, pool, pool_val)
    kept_dir = Path(out_dir) if resumable.folder is None else resumable.folder
    rows, start = [], 1
    bar = progress_bar(epochs * steps_per_epoch, desc or f"pretrain ({mode})", "step", progress and group.is_main)
    saved = group.broadcast(resumable.load() if group.is_main else None)
    modules = {"backbone": backbone, "head": head}
    if saved is not None:
        restore_training(saved, modules, optimizer, schedule, generator)
        rows, start = saved["log"], saved["epoch"] + 1
        bar.update(saved["epoch"] * steps_per_epoch)
        if group.is_main:
            bar.write(f"{desc or 'pretrain'}: resuming after epoch {saved['epoch']} of {epochs}")
    encode = group.parallel(backbone, head)  # the backbone's forward; on several processes, gradients averaged
    for epoch in range(start, epochs + 1):
        backbone.train()
        head.train()
        lr_now = optimizer.param_groups[0]["lr"]
        loss_sum = correct = seen = 0.0
        views_from = group.view_generator(generator, seed, epoch)
        plan = pool.plan(spec, batch_size, shuffle=True, generator=generator, train=True)
        for (batch, _), (raw, y, _) in zip(plan, pool.load(group.share(plan), spec)):  # a global batch, this process's share
            with autocast(device):
                if mode == "supervised":
                    y = y.to(device)
                    logits = head(encode(to_device(weak_view(raw, spec, views_from), device)))
                    loss = F.cross_entropy(logits.float(), y)
                    correct += float((logits.argmax(1) == y).sum())
                else:
                    views = torch.cat([contrastive_view(raw, spec, views_from), contrastive_view(raw, spec, views_from)])
                    z = head(encode(to_device(views, device)))
                    loss = nt_xent(z[: len(raw)], z[len(raw) :], temperature)
            optimizer.zero_grad(set_to_none=True)
            group.weigh(loss, len(raw), len(batch)).backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(raw)
            seen += len(raw)
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{loss_sum / seen:.3f}")
        loss_sum, correct, seen = group.sum({"loss": loss_sum, "correct": correct, "seen": seen}).values()
        kept = epoch in keep_epochs or epoch == epochs
        supervised = mode == "supervised"
        val_acc = accuracy(backbone, head, pool_val, spec, device) if kept and supervised and pool_val is not None else float("nan")
        train_acc = correct / seen if supervised else float("nan")
        rows.append({"epoch": epoch, "lr": lr_now, "train_loss": loss_sum / seen, "train_acc": train_acc, "val_acc": val_acc})
        if kept and group.is_main:
            extra = (
                {"source_head": head.state_dict(), "source_val_acc": val_acc}
                if supervised
                else {"projection_head": head.state_dict(), "projection": {"in_dim": head.in_dim, "hidden_dim": head.hidden_dim, "out_dim": head.out_dim}}
            )
            ckpt = backbone_checkpoint(backbone, arch, arch_kwargs, spec, epoch=epoch, pretrain_mode=mode, **extra)
            write_checkpoint(ckpt, checkpoint_path(kept_dir, epoch))
        if group.is_main:
            resumable.save(training_state(modules, optimizer, schedule, generator, rows, epoch))
    bar.close()
    if not group.is_main:
        return pd.DataFrame(rows)
    if resumable.folder is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        for kept in sorted(kept_dir.glob("epoch_*.pt")):
            os.replace(kept, Path(out_dir) / kept.name)
    resumable.finish()
    return pd.DataFrame(rows)

