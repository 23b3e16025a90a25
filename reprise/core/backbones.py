"""Backbones: a small ResNet and a VGG-style network for the glyph world, torchvision ResNet-18/50
for real mode.

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

ARCHS = ("glyph_resnet", "glyph_vgg", "resnet18", "resnet50")


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
