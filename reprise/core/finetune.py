"""Joint fine-tuning on the target and the selected source images: eq. 6 and 7 of the UOT paper.

Eq. 6 (labelled source): one backbone carries two heads, a target head (K_f classes) and a
source head (one class per selected source class), and every step minimises

    CE(target head, target batch) + λ · CE(source head, source batch).

Eq. 7 (unlabelled source, e.g. k-means clusters): one head; the source term is the soft
pseudo-label loss of :mod:`reprise.core.pseudolabel` between a weak and a strong view of every
source image. Either way the target batch and the source batch have the same size (paper §3.3,
§4.1), and with no source images this is plain fine-tuning, the baseline.

Co-Tuning (a baseline, :mod:`reprise.reuse.cotuning`) reuses no source image: the pre-trained
source head stays on the backbone and its softmax on each target image is trained towards the
relationship row p(y_s | y_t) of the image's label, with weight λ.

SGD with Nesterov momentum; the learning rate is divided by 10 at 60% and 80% of the steps by
default. The loop reads top to bottom on purpose. Under torchrun it runs on several processes,
each on its share of every global batch of ``batch_size`` images (:mod:`reprise.core.distributed`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.accuracy import accuracy
from reprise.core.checkpoints import linear_head
from reprise.core.device import autocast, prepare_model, to_device
from reprise.core.distributed import Processes, processes
from reprise.core.errors import InputError
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.progress import progress_bar
from reprise.core.pseudolabel import pseudo_label_loss
from reprise.core.resume import Resumable, restore_training, training_state
from reprise.core.training import seed_all, sgd_nesterov, step_schedule
from reprise.core.views import strong_view, weak_view


class EndlessBatches:
    """Batches of exactly ``batch_size`` uint8 images of a table with their labels, forever: the
    table is reshuffled at every pass and a batch may straddle two passes. Its state (what is
    left of the pass and the images carried over) goes into a resumable run's state.

    On several ``processes``, every process plans the same passes and reads its share of the
    stream, the images at its rank modulo their number: its batches of ``batch_size / N`` images
    are its shares of the global batches of ``batch_size``."""

    def __init__(self, table: ImageTable, spec: ImageSpec, batch_size: int, generator: torch.Generator,
                 processes: Processes = Processes()) -> None:
        self.table, self.spec, self.generator, self.processes = table, spec, generator, processes
        self.planned_batch, self.batch_size = batch_size, batch_size // processes.world_size
        self.planned = 0  # images of the stream planned before the current pass, where its share starts
        self.pending: list = []  # the current pass's batches not read yet (ImageTable.plan), this process's share
        self.images, self.labels = torch.empty(0, dtype=torch.uint8), torch.empty(0, dtype=torch.int64)
        self._reading = None

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        while len(self.labels) < self.batch_size:
            if not self.pending:
                plan = self.table.plan(self.spec, self.planned_batch, shuffle=True, generator=self.generator, train=True)
                self.pending = self.processes.share(plan, self.planned)
                self.planned += len(self.table)
                self._reading = None
            if self._reading is None:
                self._reading = self.table.load(list(self.pending), self.spec)
            raw, y, _ = next(self._reading)
            self.pending.pop(0)
            self.images, self.labels = torch.cat([self.images, raw]), torch.cat([self.labels, y])
        out = self.images[: self.batch_size], self.labels[: self.batch_size]
        self.images, self.labels = self.images[self.batch_size :], self.labels[self.batch_size :]
        return out

    def state_dict(self) -> dict:
        pending = [(torch.from_numpy(rows), None if seeds is None else torch.from_numpy(seeds)) for rows, seeds in self.pending]
        return {"pending": pending, "images": self.images.clone(), "labels": self.labels.clone(), "planned": self.planned}

    def load_state_dict(self, state: dict) -> None:
        self.pending = [(rows.numpy(), None if seeds is None else seeds.numpy()) for rows, seeds in state["pending"]]
        self.images, self.labels, self.planned, self._reading = state["images"], state["labels"], state["planned"], None


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
    source_labels: bool = True,
    test: ImageTable | None = None,
    eval_every: int = 0,
    relationship: np.ndarray | None = None,
    source_head_state: dict | None = None,
    milestones=(0.6, 0.8),
    progress: bool = True,
    desc: str = "finetune",
    resume_dir: str | Path | None = None,
    on_epoch: Callable[[dict], None] | None = None,
) -> tuple[nn.Module, nn.Linear, pd.DataFrame]:
    """Fine-tune ``backbone`` on ``target`` (labels 0..K_f-1), reusing ``source`` when given:
    by eq. 6 with its labels 0..K_g-1 (e.g. the manifest's ``source_label``) when
    ``source_labels``, else by eq. 7 without reading them. With ``relationship`` ``[K_f, Z]``
    instead, Co-Tuning: the source head starts from ``source_head_state`` (the pre-trained
    ``nn.Linear``) and its soft cross-entropy against ``relationship[y]`` is the source term.

    The learning rate is divided by 10 at each of ``milestones`` (fractions of training). With
    ``resume_dir``, the run saves its state there every epoch and a rerun of the same run
    continues from the last finished epoch (:mod:`reprise.core.resume`). ``on_epoch`` is called
    with every epoch's log row (e.g. :class:`reprise.core.live.EpochLog`). On several processes
    (:func:`reprise.core.distributed.processes`) every process returns the same log, its losses
    and accuracies over the global batches, and only rank 0 saves the state or draws progress.
    Returns the backbone, the target head and a per-epoch log with columns ``epoch, lr,
    target_loss, source_loss, train_acc, test_acc`` (``test_acc`` every ``eval_every`` epochs
    and at the last one, when ``test`` is given; it is never used to pick a model).
    """
    if epochs < 1 or batch_size < 1:
        raise InputError(f"finetune.epochs and finetune.batch_size must be positive, got {epochs} and {batch_size}")
    if lam < 0:
        raise InputError(f"finetune.lambda must be non-negative, got {lam}")
    reuse = source is not None and len(source) > 0
    if reuse and relationship is not None:
        raise InputError("Co-Tuning reuses the source classifier, not source images: pass a relationship or source images, not both")
    group = processes()
    group.check_batches(batch_size, len(target), "finetune")
    device = group.place(device)
    generator = seed_all(seed)
    backbone = prepare_model(backbone, device)
    target_head = nn.Linear(backbone.feature_dim, target.num_classes).to(device)
    params = list(backbone.parameters()) + list(target_head.parameters())
    if reuse:
        source_batches = EndlessBatches(source, spec, batch_size, generator, group)
    if reuse and source_labels:
        source_head = nn.Linear(backbone.feature_dim, source.num_classes).to(device)
        params += list(source_head.parameters())
    if relationship is not None:
        source_head = linear_head(source_head_state).to(device)
        soft_targets = torch.as_tensor(relationship, dtype=torch.float32, device=device)
        params += list(source_head.parameters())
    optimizer = sgd_nesterov(params, lr, momentum, weight_decay)
    steps_per_epoch = -(-len(target) // batch_size)
    schedule = step_schedule(optimizer, epochs * steps_per_epoch, milestones)
    modules = {"backbone": backbone, "target_head": target_head}
    if (reuse and source_labels) or relationship is not None:
        modules["source_head"] = source_head
    settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "momentum": momentum, "weight_decay": weight_decay, "lam": lam,
                "seed": seed, "source_labels": source_labels, "eval_every": eval_every, "milestones": list(milestones), "spec": spec,
                "processes": group.world_size}
    resumable = Resumable(resume_dir, settings, backbone.state_dict(), target, source, test, relationship, source_head_state)

    log, start = [], 1
    bar = progress_bar(epochs * steps_per_epoch, desc, "step", progress and group.is_main)
    saved = group.broadcast(resumable.load() if group.is_main else None)
    if saved is not None:
        restore_training(saved, modules, optimizer, schedule, generator)
        if reuse:
            source_batches.load_state_dict(saved["source_batches"][group.rank])
        log, start = saved["log"], saved["epoch"] + 1
        if on_epoch:  # the resumed run's series starts from its first epoch
            for row in log:
                on_epoch(row)
        bar.update(saved["epoch"] * steps_per_epoch)
        if group.is_main:
            bar.write(f"{desc}: resuming after epoch {saved['epoch']} of {epochs}")
    heads = [module for name, module in modules.items() if name != "backbone"]
    encode = group.parallel(backbone, *heads)  # the backbone's forward; on several processes, gradients averaged
    for epoch in range(start, epochs + 1):
        backbone.train()
        target_head.train()
        lr_now = optimizer.param_groups[0]["lr"]
        sums = {"target_loss": 0.0, "source_loss": 0.0, "correct": 0.0, "seen": 0}
        views_from = group.view_generator(generator, seed, epoch)
        plan = target.plan(spec, batch_size, shuffle=True, generator=generator, train=True)
        for (batch, _), (raw_t, y_t, _) in zip(plan, target.load(group.share(plan), spec)):  # a global batch, this process's share
            n, y_t = len(y_t), y_t.to(device)
            views = [weak_view(raw_t, spec, views_from)]
            if reuse:
                raw_s, y_s = next(source_batches)
                raw_s = raw_s[:n]  # equal batch sizes
                views.append(weak_view(raw_s, spec, views_from))
                if not source_labels:
                    views.append(strong_view(raw_s, spec, views_from))
            with autocast(device):
                features = encode(to_device(torch.cat(views), device)).float()
            logits_t = target_head(features[:n])
            if relationship is not None:  # Co-Tuning
                source_loss = -(soft_targets[y_t] * F.log_softmax(source_head(features[:n]), dim=1)).sum(1).mean()
            elif not reuse:
                source_loss = torch.zeros((), device=device)
            elif source_labels:  # eq. 6
                source_loss = F.cross_entropy(source_head(features[n:]), y_s[:n].to(device))
            else:  # eq. 7
                source_loss = pseudo_label_loss(target_head(features[2 * n :]), target_head(features[n : 2 * n]))
            target_loss = F.cross_entropy(logits_t, y_t)
            loss = group.weigh(target_loss + lam * source_loss, n, len(batch))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            sums["target_loss"] += target_loss.item() * len(y_t)
            sums["source_loss"] += source_loss.item() * len(y_t)
            sums["correct"] += float((logits_t.argmax(1) == y_t).sum())
            sums["seen"] += len(y_t)
            bar.update()
        sums = group.sum(sums)
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
        if on_epoch:
            on_epoch(log[-1])
        extra = {"source_batches": group.gather(source_batches.state_dict())} if reuse else {}  # every process's stream
        if group.is_main:
            resumable.save(training_state(modules, optimizer, schedule, generator, log, epoch, **extra))
    bar.close()
    if group.is_main:
        resumable.finish()
    return backbone, target_head, pd.DataFrame(log)
