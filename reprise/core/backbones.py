"""Backbones: a small ResNet and a VGG-style network for the glyph world, any torchvision
classification model by name (``resnet18``, ``resnet50``, ``convnext_tiny``, ``vit_b_16``, ...) and,
with timm installed, any timm model as ``timm:NAME`` (``timm:convnext_tiny.fb_in1k``) for real mode.

Every backbone maps an image batch to its penultimate features ``[N, feature_dim]`` and carries
a ``feature_dim`` attribute; heads are separate layers owned by whoever trains them. Checkpoints
that rebuild a backbone: :mod:`reprise.core.checkpoints`; imported weights:
:mod:`reprise.core.weights`.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.errors import InputError
from reprise.core.named_weights import TIMM_PREFIX, import_timm

ARCHS = ("glyph_resnet", "glyph_vgg", "resnet18", "resnet50")  # what pre-training builds; real mode imports any torchvision model
GLYPH_ARCHS = ("glyph_resnet", "glyph_vgg")


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


def torchvision_backbone(arch: str) -> tuple[nn.Module, str]:
    """An untrained torchvision classification model (``torchvision.models.get_model``) whose
    classifier, its last ``nn.Linear``, is replaced by the identity, and that classifier's module
    name (``fc`` for ResNets, ``classifier.6`` for VGG, ``heads.head`` for ViT): the backbone
    outputs the classifier's input, ``feature_dim`` wide."""
    import torchvision  # here, not at the top: importing it costs ~3 s in every stage process

    try:
        model = torchvision.models.get_model(arch, weights=None)
    except ValueError:
        raise InputError(f"unknown architecture {arch!r}: not a torchvision classification model (torchvision.models.list_models()), "
                         "nor named weights (resnet50.IMAGENET1K_V2, timm:convnext_tiny.fb_in1k)") from None
    linears = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise InputError(f"torchvision {arch} has no linear classifier to take features before")
    head = linears[-1]
    parent, _, leaf = head.rpartition(".")
    owner = model.get_submodule(parent) if parent else model
    model.feature_dim = getattr(owner, leaf).in_features
    setattr(owner, leaf, nn.Identity())
    return model, head


def timm_backbone(arch: str) -> tuple[nn.Module, str]:
    """An untrained timm model (``arch`` is ``timm:NAME``, built by ``timm.create_model(NAME)``)
    whose classifier is reset to none, so that it outputs the classifier's input (timm's pre-logits
    features), and that classifier's module name (``head.fc`` for ConvNeXt, ``head`` for ViT)."""
    timm = import_timm(arch)
    try:
        model = timm.create_model(arch.removeprefix(TIMM_PREFIX), pretrained=False)
    except RuntimeError as exc:
        raise InputError(f"{arch}: {exc} (timm.list_models())") from None
    classifier = model.get_classifier()
    head = next((name for name, module in model.named_modules() if module is classifier and name), None)
    if head is None:
        raise InputError(f"{arch} has no classifier module to take features before")
    feature_dim = classifier.in_features if isinstance(classifier, nn.Linear) else getattr(model, "head_hidden_size", model.num_features)
    model.reset_classifier(0)
    model.feature_dim = feature_dim
    return model, head


def classifier_backbone(arch: str) -> tuple[nn.Module, str]:
    """:func:`timm_backbone` of ``timm:NAME``, else :func:`torchvision_backbone`: an untrained
    backbone and its classifier's module name."""
    return timm_backbone(arch) if arch.startswith(TIMM_PREFIX) else torchvision_backbone(arch)


def build_backbone(arch: str, arch_kwargs: dict | None = None) -> nn.Module:
    """A glyph network (with ``arch_kwargs``), or a torchvision or timm model's backbone, by name."""
    if arch in GLYPH_ARCHS:
        kwargs = dict(arch_kwargs or {})
        if "widths" in kwargs:
            kwargs["widths"] = tuple(kwargs["widths"])
        return (GlyphResNet if arch == "glyph_resnet" else GlyphVGG)(**kwargs)
    return classifier_backbone(arch)[0]
