"""Pre-trained weights as people have them, imported into Reprise's checkpoint format, and a
fine-tuned model exported as people use it.

Import: a ``state_dict`` of any torchvision classification model (a ``.pth``/``.pt`` file read with
``weights_only=True``, or ``.safetensors``; nested under ``state_dict``/``model`` or not; with a
``module.`` prefix or any other ``key_prefix`` stripped, e.g. MoCo-v3's ``module.base_encoder.``),
whose classifier is kept as the source head that LEEP and NCE read when its shape is a linear
layer's, its images ImageNet-normalised at ``image_size`` by torchvision's reference recipe; the
same for weights named as people name them (``resnet50.IMAGENET1K_V2``, ``timm:convnext_tiny.fb_in1k``:
:mod:`reprise.core.named_weights`), from a file or the local cache, with their own preprocessing;
or an official MoCo-v2 checkpoint (ResNet-50 and its 128-d MLP projection head).
:func:`imported_checkpoint` is the one entry point of the pipeline: the ``pretrain`` stage in real
mode and the model zoo's imported members both go through it; ``reprise rank`` goes through
:func:`import_state_dict`.

Export: :func:`export_torchvision` writes a fine-tuned backbone and its target head as the plain
model's ``state_dict`` (``.pt`` and ``.safetensors``), which
``torchvision.models.get_model(arch, num_classes=K).load_state_dict`` (a timm model:
``timm.create_model(NAME, num_classes=K)``) reads without Reprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from reprise.core.artifacts import atomic_path, existing
from reprise.core.backbones import classifier_backbone
from reprise.core.checkpoints import backbone_checkpoint
from reprise.core.contrastive import ProjectionHead
from reprise.core.errors import InputError, first_line
from reprise.core.images import ImageSpec, imagenet_spec
from reprise.core.named_weights import TIMM_PREFIX, is_named, named_weights
from reprise.core.params import real_input

WEIGHT_FORMATS = ("torchvision", "moco_v2")


@dataclass(frozen=True)
class ImportedWeights:
    """A state dict imported: the backbone, its source head (the file's classifier as an
    ``nn.Linear`` state dict, or None), the architecture :func:`reprise.core.backbones.build_backbone`
    rebuilds, the images it wants and the file it came from."""

    backbone: nn.Module
    source_head: dict | None
    arch: str
    spec: ImageSpec
    path: Path


def imported_checkpoint(path: str | Path | None, weights_format: str, arch: str, image_size: int, key_prefix: str | None = None) -> dict:
    """The checkpoint dict (epoch 0) of a weights file: ``torchvision`` (a state dict of ``arch``,
    or of the weights ``arch`` names, as :func:`import_state_dict` reads it) or ``moco_v2`` (a
    ResNet-50 with ``projection_head``, its images ImageNet-normalised at ``image_size``)."""
    if weights_format == "moco_v2":
        if is_named(arch):
            raise InputError(f"{arch} names weights of their own, which are a state dict: use weights_format torchvision")
        backbone, head = import_moco_v2(path)
        projection = {"in_dim": head.in_dim, "hidden_dim": head.hidden_dim, "out_dim": head.out_dim}
        extra = {"projection_head": head.state_dict(), "projection": projection}
        return backbone_checkpoint(backbone, "resnet50", {}, imagenet_spec(image_size), epoch=0, imported_from=str(path), **extra)
    if weights_format != "torchvision":
        raise InputError(f"weights format must be one of {', '.join(WEIGHT_FORMATS)}, got {weights_format!r}")
    imported = import_state_dict(path, arch, image_size, key_prefix)
    extra = {} if imported.source_head is None else {"source_head": imported.source_head}
    return backbone_checkpoint(imported.backbone, imported.arch, {}, imported.spec, epoch=0, imported_from=str(imported.path), **extra)


def import_state_dict(path: str | Path | None, arch: str, image_size: int, key_prefix: str | None = None) -> ImportedWeights:
    """A state dict file imported (:func:`import_classifier_weights`): of a torchvision ``arch``,
    its images ImageNet-normalised at ``image_size`` by torchvision's reference recipe; or of the
    weights ``arch`` names (:mod:`reprise.core.named_weights`), read from ``path`` or, when it is
    None, from the local cache, with their own preprocessing."""
    if is_named(arch):
        named = named_weights(arch)
        path, arch, spec = named.file(path), named.arch, named.spec
    else:
        spec = imagenet_spec(image_size)
    backbone, head = import_classifier_weights(path, arch, key_prefix)
    return ImportedWeights(backbone, head, arch, spec, Path(path))


def real_weights(real) -> str | None:
    """Real mode's weights file, ``real.weights`` (checked by :func:`reprise.core.params.real_input`),
    or None where ``real.arch`` names weights and ``real.weights`` is left an empty placeholder
    (``real/weights.pt``): their file is then the local cache's."""
    placeholder = Path(real.weights).is_file() and Path(real.weights).stat().st_size == 0
    return None if is_named(real.arch) and placeholder else real_input(real, "weights")


def read_weights(path: str | Path) -> dict:
    """The dict in a weights file: ``.safetensors``, or a torch file loaded with
    ``weights_only=True`` (tensors, numbers, strings and containers only; no code runs)."""
    path = existing(path)
    if path.stat().st_size == 0:
        raise InputError(f"cannot load weights {path}: the file is empty (0 bytes); check the file or download it again")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(path)
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputError(f"cannot load weights {path} ({type(exc).__name__}: {first_line(exc)}); check the file") from exc


def import_moco_v2(path: str | Path) -> tuple[nn.Module, ProjectionHead]:
    """A ResNet-50 and its 2048-2048-128 MLP head from an official MoCo-v2 checkpoint
    (``moco_v2_800ep_pretrain.pth.tar``: ``state_dict`` keys ``module.encoder_q.*``, the head
    under ``module.encoder_q.fc.0``/``fc.2``); the momentum encoder and queue are dropped."""
    ckpt = read_weights(path)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    prefix = "module.encoder_q."
    if not isinstance(state, dict) or not any(k.startswith(prefix) for k in state):
        raise InputError(f"{path} is not a MoCo checkpoint (no '{prefix}*' keys in its state_dict); use real.weights_format: torchvision")
    query = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    head_state = {k[len("fc.") :]: v for k, v in query.items() if k.startswith("fc.")}
    if set(head_state) != {"0.weight", "0.bias", "2.weight", "2.bias"}:
        raise InputError(f"{path} has no MLP head fc.0/fc.2 (MoCo-v1?); MoCo-v2 checkpoints carry one")
    backbone, _ = _load_backbone_state(path, "resnet50", {k: v for k, v in query.items() if not k.startswith("fc.")})
    _check_finite(path, head_state)
    out_dim, hidden = head_state["2.weight"].shape
    head = ProjectionHead(head_state["0.weight"].shape[1], hidden, out_dim)
    head.load_state_dict(head_state)
    return backbone, head.eval()


def import_classifier_weights(path: str | Path, arch: str, key_prefix: str | None = None) -> tuple[nn.Module, dict | None]:
    """A torchvision ``arch`` (or timm ``timm:NAME``) backbone with the weights of a state dict
    file, and the file's classifier as an ``nn.Linear`` state dict (None when the file has none,
    or a head of another shape, such as a self-supervised projection MLP). Key mismatches are a
    one-line error."""
    state = _state_dict(path, key_prefix)
    _, head_name = classifier_backbone(arch)
    head_keys = {k for k in state if k.startswith(f"{head_name}.")}
    head = {k.removeprefix(f"{head_name}."): state[k] for k in head_keys}
    backbone, _ = _load_backbone_state(path, arch, {k: v for k, v in state.items() if k not in head_keys})
    if set(head) != {"weight", "bias"} or head["weight"].dim() != 2 or head["weight"].shape[1] != backbone.feature_dim:
        return backbone, None
    _check_finite(path, head)
    return backbone, head


def _state_dict(path: str | Path, key_prefix: str | None) -> dict:
    """The state dict in a weights file: plain or nested under ``state_dict``/``model``, with
    ``key_prefix`` (only the keys that carry it are kept) or else any ``module.`` prefix removed."""
    state = read_weights(path)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path} does not hold a state dict; save one with torch.save(model.state_dict(), path)")
    if key_prefix:
        kept = {k[len(key_prefix) :]: v for k, v in state.items() if k.startswith(key_prefix)}
        if not kept:
            raise InputError(f"{path} has no key starting with real.key_prefix {key_prefix!r} (e.g. {next(iter(state), '')!r})")
        return kept
    return {k.removeprefix("module."): v for k, v in state.items()}


def _load_backbone_state(path, arch: str, state: dict) -> tuple[nn.Module, str]:
    """A torchvision or timm backbone (classifier removed) with ``state``; a mismatch names the file."""
    model, head_name = classifier_backbone(arch)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshapen = sorted(k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or misshapen:
        sample = (misshapen or missing or unexpected)[:2]
        raise InputError(
            f"{path} does not match {arch if arch.startswith(TIMM_PREFIX) else 'torchvision ' + arch}: {len(missing)} missing, {len(unexpected)} unexpected and "
            f"{len(misshapen)} misshapen keys (e.g. {', '.join(sample)}); check real.arch and real.key_prefix"
        )
    _check_finite(path, state)
    model.load_state_dict(state)
    return model.eval(), head_name


def _check_finite(path, state: dict) -> None:
    for key, value in state.items():
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise InputError(f"{path} holds NaN or infinite values in {key}; the weights are damaged, re-download or re-export them")


def export_torchvision(backbone: nn.Module, head: nn.Linear, arch: str, out_prefix: str | Path) -> dict:
    """Write ``<out_prefix>.pt`` and ``<out_prefix>.safetensors``: the state dict of torchvision's
    (or timm's) ``arch`` with ``num_classes`` = the head's outputs, the head in the classifier's
    place. Returns that state dict."""
    _, head_name = classifier_backbone(arch)
    state = {k: v.detach().cpu().contiguous() for k, v in backbone.state_dict().items()}
    state.update({f"{head_name}.{k}": v.detach().cpu().contiguous() for k, v in head.state_dict().items()})
    with atomic_path(f"{out_prefix}.pt") as tmp, open(tmp, "wb") as f:
        torch.save(state, f)
    from safetensors.torch import save_file

    with atomic_path(f"{out_prefix}.safetensors") as tmp:
        save_file(state, str(tmp))
    return state
