"""Random views of image batches for training: the weak view (the training augmentation of
pre-training and fine-tuning, and eq. 7's pseudo-labelled view), the strong view of eq. 7 and
the contrastive views of SimCLR.

All take a uint8 batch ``[N, C, S, S]`` and return normalised float images for the backbone's
:class:`~reprise.core.images.ImageSpec`. Randomness comes from ``generator`` (and, for
RandAugment, torch's global generator, which the training loops seed).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from reprise.core.images import ImageSpec, normalise


def random_affine(
    x: torch.Tensor,
    generator: torch.Generator | None,
    flip: bool,
    max_rotate_deg: float = 10.0,
    scale: tuple[float, float] = (0.9, 1.1),
    max_shift: float = 0.1,
) -> torch.Tensor:
    """Random rotation, scale and shift (fractions of the side) per image, on a whole batch."""
    n = x.shape[0]
    u = torch.rand(n, 5, generator=generator)
    angle = (u[:, 0] * 2 - 1) * math.radians(max_rotate_deg)
    s = scale[0] + u[:, 1] * (scale[1] - scale[0])
    shift = (u[:, 2:4] * 2 - 1) * max_shift * 2  # affine_grid coordinates span [-1, 1]
    sign = torch.where(u[:, 4] < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos * sign, -sin, shift[:, 0]], 1), torch.stack([sin * sign, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@functools.cache
def _rand_augment():
    from torchvision.transforms import v2  # here, not at the top: importing torchvision costs ~3 s

    return v2.RandAugment(num_ops=2, magnitude=9)


def weak_view(raw: torch.Tensor, spec: ImageSpec, generator: torch.Generator) -> torch.Tensor:
    """Glyphs: flip (where the spec allows it) and a small random shift, rotation and scale.
    Photographs (the ``imagenet`` recipe): the batch as read for training, whose random resized
    crop and flip were drawn when it was decoded (:meth:`ImageTable.raw_batches`)."""
    if spec.recipe == "imagenet":
        return normalise(raw.float() / 255.0, spec)
    return normalise(random_affine(raw.float() / 255.0, generator, flip=spec.flip), spec)


def strong_view(raw: torch.Tensor, spec: ImageSpec, generator: torch.Generator) -> torch.Tensor:
    """The weak view's geometry plus RandAugment (two random operations at magnitude 9, as in
    FixMatch, whose weak-strong scheme eq. 7 follows), drawn per image; for photographs,
    RandAugment on the decoded training crop."""
    augmented = torch.stack([_rand_augment()(image) for image in raw])
    if spec.recipe == "imagenet":  # the crop and flip were drawn when the batch was decoded
        return normalise(augmented.float() / 255.0, spec)
    return normalise(random_affine(augmented.float() / 255.0, generator, flip=spec.flip), spec)


def contrastive_view(raw: torch.Tensor, spec: ImageSpec, generator: torch.Generator) -> torch.Tensor:
    """A SimCLR view of glyphs or photos: a strong random affine, stroke width change (dilation or
    erosion), contrast jitter and a cut-out square, each drawn per image."""
    x = random_affine(raw.float() / 255.0, generator, flip=spec.flip, max_rotate_deg=15.0, scale=(0.75, 1.15), max_shift=0.12)
    n = x.shape[0]
    u = torch.rand(n, 5, generator=generator)
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    pick = u[:, 0].view(n, 1, 1, 1)
    x = torch.where(pick < 0.3, dilated, torch.where(pick < 0.5, eroded, x))
    x = (x * (0.6 + 0.8 * u[:, 1]).view(n, 1, 1, 1)).clamp(0.0, 1.0)
    side = spec.size // 4
    rows = (u[:, 2] * (spec.size - side)).long()
    cols = (u[:, 3] * (spec.size - side)).long()
    grid = torch.arange(spec.size)
    inside = ((grid.view(1, -1, 1) >= rows.view(n, 1, 1)) & (grid.view(1, -1, 1) < (rows + side).view(n, 1, 1))) & (
        (grid.view(1, 1, -1) >= cols.view(n, 1, 1)) & (grid.view(1, 1, -1) < (cols + side).view(n, 1, 1))
    )
    cut = inside & (u[:, 4] < 0.5).view(n, 1, 1)
    x = x.masked_fill(cut.unsqueeze(1), 0.0)
    return normalise(x, spec)
