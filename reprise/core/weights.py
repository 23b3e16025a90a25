"""Pre-trained weights as people have them, imported into Reprise's checkpoint format: a
torchvision ResNet-18/50 ``state_dict`` file (its ``fc`` kept as the source head that LEEP and NCE
read) or an official MoCo-v2 checkpoint (ResNet-50 and its 128-d MLP projection head).

:func:`imported_checkpoint` is the one entry point: the ``pretrain`` stage in real mode and the
model zoo's weight-file members both go through it.
"""

from __future__ import annotations

from pathlib import Path

import torch.nn as nn

from reprise.core.backbones import torchvision_resnet
from reprise.core.checkpoints import backbone_checkpoint, read_checkpoint
from reprise.core.contrastive import ProjectionHead
from reprise.core.errors import InputError
from reprise.core.images import imagenet_spec

WEIGHT_FORMATS = ("torchvision", "moco_v2")


def imported_checkpoint(path: str | Path, weights_format: str, arch: str, image_size: int) -> dict:
    """The checkpoint dict (epoch 0) of a weights file: ``torchvision`` (a ResNet ``state_dict``
    of ``arch``; its ``fc``, when present, becomes ``source_head``) or ``moco_v2`` (a ResNet-50
    with ``projection_head``). The images are ImageNet-normalised at ``image_size``."""
    spec = imagenet_spec(image_size)
    if weights_format == "moco_v2":
        backbone, head = import_moco_v2(path)
        projection = {"in_dim": head.in_dim, "hidden_dim": head.hidden_dim, "out_dim": head.out_dim}
        extra, arch = {"projection_head": head.state_dict(), "projection": projection}, "resnet50"
    elif weights_format == "torchvision":
        backbone, source_head = import_torchvision_weights(path, arch), torchvision_source_head(path)
        extra = {} if source_head is None else {"source_head": source_head}
    else:
        raise InputError(f"weights format must be one of {', '.join(WEIGHT_FORMATS)}, got {weights_format!r}")
    return backbone_checkpoint(backbone, arch, {}, spec, epoch=0, imported_from=str(path), **extra)


def import_moco_v2(path: str | Path) -> tuple[nn.Module, ProjectionHead]:
    """A ResNet-50 and its 2048-2048-128 MLP head from an official MoCo-v2 checkpoint
    (``moco_v2_800ep_pretrain.pth.tar``: ``state_dict`` keys ``module.encoder_q.*``, the head
    under ``module.encoder_q.fc.0``/``fc.2``); the momentum encoder and queue are dropped."""
    ckpt = read_checkpoint(path)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    prefix = "module.encoder_q."
    if not isinstance(state, dict) or not any(k.startswith(prefix) for k in state):
        raise InputError(f"{path} is not a MoCo checkpoint (no '{prefix}*' keys in its state_dict); use real.weights_format: torchvision")
    query = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    head_state = {k[len("fc.") :]: v for k, v in query.items() if k.startswith("fc.")}
    if set(head_state) != {"0.weight", "0.bias", "2.weight", "2.bias"}:
        raise InputError(f"{path} has no MLP head fc.0/fc.2 (MoCo-v1?); MoCo-v2 checkpoints carry one")
    backbone = _load_resnet_state(path, "resnet50", {k: v for k, v in query.items() if not k.startswith("fc.")})
    out_dim, hidden = head_state["2.weight"].shape
    head = ProjectionHead(head_state["0.weight"].shape[1], hidden, out_dim)
    head.load_state_dict(head_state)
    return backbone, head.eval()


def import_torchvision_weights(path: str | Path, arch: str) -> nn.Module:
    """A torchvision ResNet-18/50 with the weights of a ``state_dict`` file (``fc`` is dropped).

    Accepts a plain state dict or one nested under ``state_dict``/``model``, with or without a
    ``module.`` prefix (DataParallel). Key mismatches are a one-line error naming the file.
    """
    if arch not in ("resnet18", "resnet50"):
        raise InputError(f"real mode supports resnet18 and resnet50 weights, got arch {arch!r}")
    state = _torchvision_state(path)
    return _load_resnet_state(path, arch, {k: v for k, v in state.items() if not k.startswith("fc.")})


def torchvision_source_head(path: str | Path) -> dict | None:
    """The ``fc`` layer of a torchvision state dict file (its pre-training classifier, which LEEP
    and NCE read), as the state dict of an ``nn.Linear``; None when the file has none."""
    head = {k.removeprefix("fc."): v for k, v in _torchvision_state(path).items() if k.startswith("fc.")}
    return head if set(head) == {"weight", "bias"} else None


def _torchvision_state(path: str | Path) -> dict:
    """The state dict in a weights file: plain or nested under ``state_dict``/``model``, with any
    ``module.`` (DataParallel) prefix removed."""
    state = read_checkpoint(path)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict):
        raise InputError(f"{path} does not hold a state dict; save one with torch.save(model.state_dict(), path)")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _load_resnet_state(path, arch: str, state: dict) -> nn.Module:
    """A torchvision ResNet (``fc`` removed) with ``state``; a mismatch names the file."""
    model = torchvision_resnet(arch)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshapen = sorted(k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or misshapen:
        sample = (misshapen or missing or unexpected)[:2]
        raise InputError(
            f"{path} does not match torchvision {arch}: {len(missing)} missing, {len(unexpected)} unexpected and "
            f"{len(misshapen)} misshapen keys (e.g. {', '.join(sample)}); check real.arch"
        )
    model.load_state_dict(state)
    return model.eval()
