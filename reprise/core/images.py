"""Image tables: the source pool and the target splits as an index plus the pixels.

An image table is a Parquet index with one row per image and the columns

- ``label`` (int): class id within the table (source class or target class),
- ``class_name`` (str), and ``concept`` (str, source pool only),
- either ``image`` (int, row into the uint8 array ``<name>.npy`` beside the index, embedded world)
  or ``path`` (str, an image file on disk, real mode).

:class:`ImageSpec` says how a backbone wants its input; :meth:`ImageTable.raw_batches` gives
uint8 batches at the spec's size (training augments them with :mod:`reprise.core.views`) and
:meth:`ImageTable.batches` normalised float batches for evaluation and features. ImageFolder
trees are indexed by :mod:`reprise.core.image_folder`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from reprise.core.artifacts import read_npy, read_parquet, write_npy, write_parquet
from reprise.core.errors import InputError


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


def imagenet_spec(size: int) -> ImageSpec:
    """ImageNet's normalisation at a side of ``size`` pixels (torchvision weights, real mode)."""
    return dataclasses.replace(IMAGENET_SPEC, size=int(size))


@dataclass
class ImageTable:
    """An index (see module docstring) and, for the embedded world, its pixel array."""

    index: pd.DataFrame
    pixels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.index)

    @property
    def labels(self) -> np.ndarray:
        return self.index["label"].to_numpy(np.int64)

    @property
    def num_classes(self) -> int:
        return int(self.index["label"].max()) + 1

    def subset(self, rows: np.ndarray) -> "ImageTable":
        return ImageTable(self.index.iloc[np.asarray(rows)].reset_index(drop=True), self.pixels)

    def write(self, prefix: str | Path) -> None:
        """Write ``<prefix>.parquet`` (and ``<prefix>.npy`` with the table's own images, in table
        order, when it holds pixels)."""
        index = self.index
        if self.pixels is not None:
            write_npy(np.asarray(self.pixels[index["image"].to_numpy()]), f"{prefix}.npy")
            index = index.assign(image=np.arange(len(index)))
        write_parquet(index, f"{prefix}.parquet")

    @classmethod
    def read(cls, prefix: str | Path) -> "ImageTable":
        index = read_parquet(f"{prefix}.parquet")
        pixels = read_npy(f"{prefix}.npy", mmap=True) if "image" in index.columns else None
        return cls(index, pixels)

    def load_uint8(self, rows: np.ndarray, size: int, channels: int) -> torch.Tensor:
        """Images of the given table rows as uint8 ``[len(rows), channels, size, size]``."""
        if self.pixels is not None:
            x = torch.from_numpy(np.asarray(self.pixels[self.index["image"].to_numpy()[rows]]))
            x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
            if x.shape[-1] != size:
                x = F.interpolate(x.float(), size=(size, size), mode="bilinear", align_corners=False).round().clamp(0, 255).byte()
            return _match_channels(x, channels)
        paths = self.index["path"].to_numpy()[rows]
        return torch.stack([_decode(p, size, channels) for p in paths])

    def raw_batches(
        self,
        spec: ImageSpec,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        num_workers: int = 0,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Yield ``(images uint8 [b, C, S, S], labels [b], table rows [b])`` at the spec's size.

        The order draws from ``generator`` only, so a seeded generator gives the same batches
        every run. Real-mode tables decode files in ``num_workers`` workers.
        """
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        chunks = [order[i : i + batch_size].numpy() for i in range(0, len(self), batch_size)]
        labels = torch.tensor(self.labels)
        for rows, raw in zip(chunks, self._load_chunks(chunks, spec, num_workers)):
            yield raw, labels[rows], torch.from_numpy(rows)

    def batches(
        self, spec: ImageSpec, batch_size: int, num_workers: int = 0
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Like :meth:`raw_batches` in table order, with the images normalised for the backbone."""
        for raw, labels, rows in self.raw_batches(spec, batch_size, num_workers=num_workers):
            yield normalise(raw.float().div_(255.0), spec), labels, rows

    def _load_chunks(self, chunks, spec: ImageSpec, num_workers: int) -> Iterator[torch.Tensor]:
        if self.pixels is not None or num_workers == 0:
            for rows in chunks:
                yield self.load_uint8(rows, spec.size, spec.channels)
            return
        loader = torch.utils.data.DataLoader(
            _ChunkDataset(self, chunks, spec), batch_size=None, num_workers=num_workers, pin_memory=torch.cuda.is_available()
        )
        yield from loader


def validation_split(train: ImageTable, fraction: float, seed: int) -> tuple[ImageTable, ImageTable]:
    """``(fit, validation)`` of a training table, to choose hyperparameters without the test set:
    per class, a seeded ``fraction`` of the images (rounded, at least one, and at least one left
    to fit on) is held out for validation."""
    if not 0 < fraction < 1:
        raise InputError(f"val_fraction must be in (0, 1), got {fraction!r}")
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(train.labels):
        rows = np.flatnonzero(train.labels == label)
        if len(rows) < 2:
            raise InputError(f"target class {label} has {len(rows)} training image: a validation split needs two a class")
        count = min(max(1, round(fraction * len(rows))), len(rows) - 1)
        held.append(rng.choice(rows, size=count, replace=False))
    is_val = np.zeros(len(train), dtype=bool)
    is_val[np.concatenate(held)] = True
    return train.subset(np.flatnonzero(~is_val)), train.subset(np.flatnonzero(is_val))


class _ChunkDataset(torch.utils.data.Dataset):
    def __init__(self, table: ImageTable, chunks, spec: ImageSpec) -> None:
        self.table, self.chunks, self.spec = table, chunks, spec

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.table.load_uint8(self.chunks[i], self.spec.size, self.spec.channels)


def normalise(x: torch.Tensor, spec: ImageSpec) -> torch.Tensor:
    mean = torch.tensor(spec.mean, dtype=x.dtype).view(1, -1, 1, 1)
    std = torch.tensor(spec.std, dtype=x.dtype).view(1, -1, 1, 1)
    return (x - mean) / std


def _match_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1).contiguous()
    if channels == 1:  # RGB to luminance
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (x.float() * weights).sum(1, keepdim=True).round().byte()
    raise InputError(f"cannot convert {x.shape[1]}-channel images to {channels} channels")


def _decode(path: str, size: int, channels: int) -> torch.Tensor:
    """Read one image file: shorter side resized to ``size``, centre crop, uint8 ``[C, size, size]``."""
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            w, h = img.size
            ratio = size / min(w, h)
            img = img.resize((max(size, round(w * ratio)), max(size, round(h * ratio))), Image.BILINEAR)
            w, h = img.size
            left, top = (w - size) // 2, (h - size) // 2
            arr = np.asarray(img.crop((left, top, left + size, top + size)))
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"cannot read image {path} ({type(exc).__name__}); remove or replace the file") from exc
    t = torch.from_numpy(arr.copy())
    return t.unsqueeze(0) if t.dim() == 2 else t.permute(2, 0, 1)
