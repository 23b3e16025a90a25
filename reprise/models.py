"""Backbones: a small ResNet for the glyph world, torchvision ResNet-18/50 for real mode.

Every backbone maps an image batch to its penultimate features ``[N, feature_dim]``; heads are
separate layers owned by whoever trains them. A backbone is saved as a checkpoint dict with the
keys ``arch``, ``arch_kwargs``, ``image`` (the :class:`ImageSpec` as a dict), ``backbone``
(state dict) and, as they apply, ``epoch``, ``source_head``, ``target_head`` and
``projection_head`` with its ``projection`` sizes (self-supervised backbones), so that every
stage can rebuild it with :func:`load_backbone` or :func:`load_feature_model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.artifacts import read_checkpoint
from reprise.contrastive import ProjectionHead
from reprise.errors import InputError

ARCHS = ("glyph_resnet", "glyph_vgg", "resnet18", "resnet50")
FEATURE_LAYERS = ("penultimate", "projection")


@dataclass(frozen=True)
class ImageSpec:
    """How a backbone wants its input: square side, channels, per-channel mean and std (0-1 scale),
    and whether horizontal flips are a valid augmentation (not for characters)."""

    size: int
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    flip: bool

    @classmethod
    def from_dict(cls, d: dict) -> "ImageSpec":
        return cls(int(d["size"]), int(d["channels"]), tuple(d["mean"]), tuple(d["std"]), bool(d["flip"]))


GLYPH_SPEC = ImageSpec(size=32, channels=1, mean=(0.15,), std=(0.3,), flip=False)
IMAGENET_SPEC = ImageSpec(size=224, channels=3, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), flip=True)


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class GlyphResNet(nn.Module):
    """A ResNet for 32×32 grayscale glyphs: a stride-2 stem, one basic block per stage (each stage
    after the first halves the resolution), global average pooling. About 0.34 M parameters with
    the default widths; trains at a few thousand images a second on two CPU cores."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128), in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        stages, c_in = [], widths[0]
        for i, width in enumerate(widths):
            stages.append(BasicBlock(c_in, width, 1 if i == 0 else 2))
            c_in = width
        self.stages = nn.Sequential(*stages)
        self.feature_dim = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1).flatten(1)

    def main_path_last_conv(self) -> nn.Conv2d:
        """The last block's second conv (the last Conv2d defined is its shortcut)."""
        return self.stages[-1].conv2


class GlyphVGG(nn.Module):
    """A plain convolutional network for 32×32 glyphs, the zoo's second architecture: per stage
    two 3×3 conv + BN + ReLU and a 2×2 max-pool, no residual connections, global average pooling."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128), in_channels: int = 1) -> None:
        super().__init__()
        layers, c_in = [], in_channels
        for width in widths:
            for _ in range(2):
                layers += [nn.Conv2d(c_in, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
                c_in = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.feature_dim = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)


def last_conv(model: nn.Module) -> nn.Conv2d:
    """The layer LGC differentiates: the last conv of the main path (the model's own choice when
    it names one, else its last ``Conv2d`` in definition order, e.g. torchvision's conv3 of
    layer4's last bottleneck)."""
    if hasattr(model, "main_path_last_conv"):
        return model.main_path_last_conv()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise InputError(f"{type(model).__name__} has no Conv2d layer for LGC")
    return convs[-1]


def torchvision_resnet(arch: str) -> nn.Module:
    """An untrained torchvision ResNet-18/50 whose ``fc`` is removed (outputs 512/2048 features)."""
    import torchvision  # here, not at the top: importing it costs ~3 s in every stage process

    model = getattr(torchvision.models, arch)(weights=None)
    model.feature_dim = model.fc.in_features
    model.fc = nn.Identity()
    return model


def build_backbone(arch: str, arch_kwargs: dict | None = None) -> nn.Module:
    if arch not in ARCHS:
        raise InputError(f"unknown backbone arch {arch!r}; choose one of {', '.join(ARCHS)}")
    if arch in ("glyph_resnet", "glyph_vgg"):
        kwargs = dict(arch_kwargs or {})
        if "widths" in kwargs:
            kwargs["widths"] = tuple(kwargs["widths"])
        return (GlyphResNet if arch == "glyph_resnet" else GlyphVGG)(**kwargs)
    return torchvision_resnet(arch)


def backbone_checkpoint(model: nn.Module, arch: str, arch_kwargs: dict, spec: ImageSpec, **extra) -> dict:
    """The checkpoint dict that :func:`load_backbone` reads."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"arch": arch, "arch_kwargs": arch_kwargs, "image": asdict(spec), "backbone": state, **extra}


def load_backbone(path: str | Path) -> tuple[nn.Module, ImageSpec, dict]:
    """Rebuild a backbone from a checkpoint written by :func:`backbone_checkpoint`.

    Returns the model (eval mode, CPU), its :class:`ImageSpec` and the whole checkpoint dict.
    """
    ckpt = read_checkpoint(path)
    missing = {"arch", "image", "backbone"} - set(ckpt)
    if missing:
        raise InputError(f"{path} is not a Reprise backbone checkpoint (no {', '.join(sorted(missing))}); run the pretrain stage")
    model = build_backbone(ckpt["arch"], ckpt.get("arch_kwargs"))
    model.load_state_dict(ckpt["backbone"])
    return model.eval(), ImageSpec.from_dict(ckpt["image"]), ckpt


def load_feature_model(path: str | Path, layer: str) -> tuple[nn.Module, ImageSpec, dict]:
    """The network whose output is the feature used for selection: the backbone (``penultimate``)
    or the backbone followed by its projection head (``projection``, e.g. MoCo-v2's 128-d output).
    The returned model has a ``feature_dim`` attribute."""
    if layer not in FEATURE_LAYERS:
        raise InputError(f"extract.layer must be one of {', '.join(FEATURE_LAYERS)}, got {layer!r}")
    backbone, spec, ckpt = load_backbone(path)
    if layer == "penultimate":
        return backbone, spec, ckpt
    if "projection_head" not in ckpt:
        raise InputError(f"{path} has no projection head (a supervised backbone); set extract.layer: penultimate")
    head = ProjectionHead(**ckpt["projection"])
    head.load_state_dict(ckpt["projection_head"])
    model = nn.Sequential(backbone, head).eval()
    model.feature_dim = head.out_dim
    return model, spec, ckpt


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
