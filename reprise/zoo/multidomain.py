"""A multi-domain expert with one BatchNorm set per domain (the linearized model-selection paper,
§4.1 and Table 2): one backbone trained on every domain of the pool at once, its convolutions
shared and its BatchNorm layers (statistics and affine parameters) one set per domain, each step
a batch of every domain (balanced sampling) through that domain's BatchNorm set and its own
classifier. Each domain's BatchNorm set, with the shared convolutions, is one member of the zoo:
an ordinary glyph ResNet checkpoint whose ``source_head`` is its domain's classifier.
"""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.backbones import GlyphResNet
from reprise.core.checkpoints import backbone_checkpoint
from reprise.core.device import autocast, prepare_model, to_device
from reprise.core.errors import InputError
from reprise.core.finetune import EndlessBatches
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.progress import progress_bar
from reprise.core.training import seed_all, sgd_nesterov, step_schedule
from reprise.core.views import weak_view


class DomainBatchNorm2d(nn.Module):
    """One ``BatchNorm2d`` a domain. ``sizes`` says how the next batches are made: the images of
    every domain in turn, ``sizes[d]`` of domain ``d``, each part normalised by its domain's
    BatchNorm; so the shared convolutions see one batch of every domain at once, and the result is
    that of one forward pass a domain. Set by :func:`set_domain_sizes` before a forward pass."""

    def __init__(self, num_features: int, domains: int) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.BatchNorm2d(num_features) for _ in range(domains))
        self.sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([norm(part) for norm, part in zip(self.norms, x.split(self.sizes)) if len(part)])


def with_domain_norms(model: nn.Module, domains: int) -> nn.Module:
    """``model`` with every ``BatchNorm2d`` replaced, in place, by a :class:`DomainBatchNorm2d`."""
    for name, child in list(model.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            setattr(model, name, DomainBatchNorm2d(child.num_features, domains))
        else:
            with_domain_norms(child, domains)
    return model


def set_domain_sizes(model: nn.Module, sizes: list[int]) -> None:
    """Batches of ``model`` hold ``sizes[d]`` images of domain ``d``, in domain order."""
    for module in model.modules():
        if isinstance(module, DomainBatchNorm2d):
            module.sizes = list(sizes)


def domain_state(model: nn.Module, domain: int) -> dict:
    """The state dict of the single-domain network: the shared weights and ``domain``'s BatchNorm
    set, under the keys of the network without domain norms (``x.norms.<d>.y`` → ``x.y``)."""
    state = {}
    for key, value in model.state_dict().items():
        parts = key.split(".")
        if "norms" in parts:
            i = parts.index("norms")
            if int(parts[i + 1]) != domain:
                continue
            key = ".".join(parts[:i] + parts[i + 2 :])
        state[key] = value.detach().cpu()
    return state


def pretrain_multidomain(
    domains: dict[str, ImageTable], spec: ImageSpec, *, widths: list[int], epochs: int, batch_size: int, lr: float, momentum: float,
    weight_decay: float, seed: int, device: torch.device, progress: bool = True,
) -> tuple[dict[str, dict], pd.DataFrame]:
    """Train one glyph ResNet with a BatchNorm set and a classifier per domain of ``domains``
    (name → that domain's pool images, labels 0..K_d-1). A step draws ``batch_size //
    len(domains)`` images of every domain (reshuffled at each pass) and sums the domains'
    cross-entropies; an epoch is as many steps as the largest domain needs. Returns one
    checkpoint dict per domain (the single-domain network, ``source_head`` its classifier) and
    the per-epoch log ``epoch, lr, train_loss`` and ``train_acc_<domain>``. No domains: no expert
    (real mode's zoo is made of weight files), no checkpoint and an empty log."""
    if not domains:
        return {}, pd.DataFrame(columns=["epoch", "lr", "train_loss"])
    if len(domains) < 2:
        raise InputError(f"zoo.multidomain.domains needs at least two domains, got {list(domains)}")
    per_domain = batch_size // len(domains)
    if per_domain < 1:
        raise InputError(f"pretrain.batch_size {batch_size} is smaller than the {len(domains)} domains; raise it")
    if epochs < 1:
        raise InputError(f"zoo.multidomain.epochs must be at least 1, got {epochs}")
    generator = seed_all(seed)
    backbone = prepare_model(with_domain_norms(GlyphResNet(tuple(widths)), len(domains)), device)
    heads = nn.ModuleList(nn.Linear(backbone.feature_dim, table.num_classes) for table in domains.values()).to(device)
    optimizer = sgd_nesterov(list(backbone.parameters()) + list(heads.parameters()), lr, momentum, weight_decay)
    steps_per_epoch = max(-(-len(table) // per_domain) for table in domains.values())
    schedule = step_schedule(optimizer, epochs * steps_per_epoch)
    batches = [EndlessBatches(table, spec, per_domain, generator) for table in domains.values()]
    names = list(domains)
    rows = []
    bar = progress_bar(epochs * steps_per_epoch, "zoo multi-domain", "step", progress)
    for epoch in range(1, epochs + 1):
        backbone.train()
        heads.train()
        lr_now = optimizer.param_groups[0]["lr"]
        loss_sum, correct, seen = 0.0, [0.0] * len(names), 0
        for _ in range(steps_per_epoch):
            views, labels = [], []
            for stream in batches:
                raw, y = next(stream)
                views.append(weak_view(raw, spec, generator))
                labels.append(y.to(device))
            sizes = [len(y) for y in labels]
            set_domain_sizes(backbone, sizes)
            with autocast(device):
                features = backbone(to_device(torch.cat(views), device)).float()
            loss = torch.zeros((), device=device)
            for d, (part, head, y) in enumerate(zip(features.split(sizes), heads, labels)):
                logits = head(part)
                loss = loss + F.cross_entropy(logits, y)
                correct[d] += float((logits.argmax(1) == y).sum())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item()
            seen += per_domain
            bar.update()
        rows.append({"epoch": epoch, "lr": lr_now, "train_loss": loss_sum / steps_per_epoch,
                     **{f"train_acc_{name}": correct[d] / seen for d, name in enumerate(names)}})
    bar.close()
    checkpoints = {
        name: backbone_checkpoint(_single_domain(backbone, d, widths), "glyph_resnet", {"widths": list(widths)}, spec, epoch=epochs,
                                  pretrain_mode="multidomain", domain=name, source_head={k: v.detach().cpu() for k, v in heads[d].state_dict().items()})
        for d, name in enumerate(names)
    }
    return checkpoints, pd.DataFrame(rows)


def _single_domain(model: nn.Module, domain: int, widths: list[int]) -> GlyphResNet:
    single = GlyphResNet(tuple(widths))
    single.load_state_dict(domain_state(model, domain))
    return single
