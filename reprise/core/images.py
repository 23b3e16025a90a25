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

Two recipes: ``glyph`` (the embedded world: whole images, augmented in memory by the views) and
``imagenet``, for photographs: for evaluation and features the shorter side is resized to the
spec's ``resize`` and the centre ``size`` square kept; for training a random resized crop (scale
0.08-1, aspect 3/4-4/3) and a horizontal flip, drawn per image from seeds that the training
generator draws, so a run gives the same batches with any number of loader workers. Image files
are resampled with the spec's ``interpolation``; by default torchvision's reference recipe,
bilinear and ``resize`` = ``size / 0.875`` (256 → 224), while named weights bring their own
(:mod:`reprise.core.named_weights`). In-memory images are resized bilinearly with antialiasing.
Image files are decoded in a :class:`torch.utils.data.DataLoader` whose workers (persistent across
epochs, pinned memory on CUDA) are set by :func:`configure_loading`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from reprise.core.artifacts import read_npy, read_parquet, write_npy, write_parquet
from reprise.core.errors import InputError


RESAMPLING = {  # an interpolation's name, as torchvision and timm write it, to Pillow's filter (torchvision's own mapping)
    "nearest": Image.NEAREST, "nearest-exact": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "box": Image.BOX,
    "hamming": Image.HAMMING, "lanczos": Image.LANCZOS,
}


@dataclass(frozen=True)
class ImageSpec:
    """How a backbone wants its input: square side, channels, per-channel mean and std (0-1 scale),
    whether horizontal flips are a valid augmentation (not for characters), and how image files
    are resampled: the side their shorter side is resized to before the centre crop (None:
    ``size / 0.875``, torchvision's reference recipe) and the filter (a key of
    :data:`RESAMPLING`). A spec saved without the last two (older checkpoints) reads as the
    reference recipe."""

    size: int
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    flip: bool
    recipe: str = "glyph"  # glyph | imagenet (module docstring)
    resize: int | None = None
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        if self.interpolation not in RESAMPLING:
            raise InputError(f"image interpolation must be one of {', '.join(RESAMPLING)}, got {self.interpolation!r}")

    def to_dict(self) -> dict:
        """The spec as a checkpoint stores it: the resampling fields only where they differ from
        the reference recipe, so a checkpoint of the reference recipe (every embedded one) holds
        the keys :meth:`from_dict` has always read."""
        d = dataclasses.asdict(self)
        if self.resize is None:
            del d["resize"]
        if self.interpolation == "bilinear":
            del d["interpolation"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ImageSpec":
        resize = d.get("resize")
        return cls(int(d["size"]), int(d["channels"]), tuple(d["mean"]), tuple(d["std"]), bool(d["flip"]), d.get("recipe", "glyph"),
                   None if resize is None else int(resize), d.get("interpolation", "bilinear"))


GLYPH_SPEC = ImageSpec(size=32, channels=1, mean=(0.15,), std=(0.3,), flip=False)
IMAGENET_SPEC = ImageSpec(size=224, channels=3, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), flip=True, recipe="imagenet")
CENTRE_CROP_SHARE = 0.875  # torchvision's evaluation recipe: resize to 256, keep the centre 224
RESIZED_CROP_SCALE = (0.08, 1.0)
RESIZED_CROP_RATIO = (3 / 4, 4 / 3)


@dataclass(frozen=True)
class Loading:
    """How image files are decoded: ``num_workers`` DataLoader processes (0: in the calling
    process), each ``prefetch_factor`` batches ahead."""

    num_workers: int = 0
    prefetch_factor: int = 2


_LOADING = [Loading()]


def configure_loading(loader) -> Loading:
    """Set how every image-file table of this process is decoded, from the ``loader`` settings
    (:class:`reprise.core.sections.LoaderSettings`: ``num_workers``, ``prefetch_factor``).
    In-memory tables ignore it."""
    _LOADING[0] = Loading(loader.num_workers, loader.prefetch_factor)
    return _LOADING[0]


def imagenet_spec(size: int) -> ImageSpec:
    """ImageNet's normalisation at a side of ``size`` pixels (torchvision weights, real mode)."""
    return dataclasses.replace(IMAGENET_SPEC, size=int(size))


@dataclass
class ImageTable:
    """An index (see module docstring) and, for the embedded world, its pixel array."""

    index: pd.DataFrame
    pixels: np.ndarray | None = None
    _loaders: dict = field(default_factory=dict, repr=False, compare=False)  # (spec, train): a DataLoader kept across epochs

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
        """Images of the given rows of an in-memory table as uint8 ``[len(rows), channels, size,
        size]``: whole images, resized bilinearly with antialiasing."""
        x = torch.from_numpy(np.asarray(self.pixels[self.index["image"].to_numpy()[rows]]))
        x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
        if x.shape[-1] != size:
            x = F.interpolate(x.float(), size=(size, size), mode="bilinear", align_corners=False, antialias=True).round().clamp(0, 255).byte()
        return _match_channels(x, channels)

    def plan(
        self,
        spec: ImageSpec,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        train: bool = False,
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """One pass over the table: the rows of each batch and, for the training crops of the
        ``imagenet`` recipe, a seed per image (else None). Every random draw of a pass is made
        here, from ``generator`` only, so a seeded generator gives the same batches every run,
        with any number of loader workers."""
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        chunks = [order[i : i + batch_size].numpy() for i in range(0, len(self), batch_size)]
        cropped = train and spec.recipe == "imagenet"
        return [(rows, torch.randint(2**62, (len(rows),), generator=generator).numpy() if cropped else None) for rows in chunks]

    def load(self, plan: list[tuple[np.ndarray, np.ndarray | None]], spec: ImageSpec) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Yield ``(images uint8 [b, C, S, S], labels [b], table rows [b])`` at the spec's size,
        one batch per entry of a :meth:`plan`."""
        labels = torch.tensor(self.labels)
        for (rows, _), raw in zip(plan, self._load_chunks(plan, spec)):
            yield raw, labels[rows], torch.from_numpy(rows)

    def raw_batches(
        self,
        spec: ImageSpec,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        train: bool = False,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """:meth:`load` of a :meth:`plan` drawn when the first batch is asked for."""
        yield from self.load(self.plan(spec, batch_size, shuffle, generator, train), spec)

    def batches(self, spec: ImageSpec, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Like :meth:`raw_batches` in table order, with the images normalised for the backbone."""
        for raw, labels, rows in self.raw_batches(spec, batch_size):
            yield normalise(raw.float().div_(255.0), spec), labels, rows

    def _load_chunks(self, plan, spec: ImageSpec) -> Iterator[torch.Tensor]:
        cropped = bool(plan) and plan[0][1] is not None
        loading = _LOADING[0]
        if self.pixels is not None or loading.num_workers == 0:
            for rows, seeds in plan:
                if self.pixels is None:
                    yield torch.stack([decode_for(path, spec, seed) for path, seed in zip(self.index["path"].to_numpy()[rows], _seeds_or_none(seeds, rows))])
                elif cropped:
                    yield random_resized_crops(self.load_uint8(rows, max(spec.size, self._side()), spec.channels), spec, seeds)
                else:
                    yield self.load_uint8(rows, spec.size, spec.channels)
            return
        key = (spec, cropped, loading)
        if key not in self._loaders:
            cuda = torch.cuda.is_available()
            self._loaders[key] = torch.utils.data.DataLoader(
                _FileImages(self.index["path"].to_numpy(), spec), batch_sampler=_Chunks(), num_workers=loading.num_workers,
                prefetch_factor=loading.prefetch_factor, persistent_workers=True, pin_memory=cuda, collate_fn=_stack_or_error,
            )
        loader = self._loaders[key]
        loader.batch_sampler.chunks = [list(zip(rows, _seeds_or_none(seeds, rows))) for rows, seeds in plan]
        for batch in loader:
            if isinstance(batch, str):  # raised here, in the main process: a worker's exception would carry its traceback
                raise InputError(batch)
            yield batch

    def _side(self) -> int:
        return int(self.pixels.shape[-1] if self.pixels.ndim == 3 else self.pixels.shape[-2])


def _seeds_or_none(seeds: np.ndarray | None, rows: np.ndarray) -> list:
    """A plan entry's crop seeds, or None for every row (the evaluation crop)."""
    return [None] * len(rows) if seeds is None else list(seeds)


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


class _Chunks:
    """The batch sampler of an image-file loader: the chunks of ``(row, seed)`` that the next
    epoch reads, set by :meth:`ImageTable.raw_batches` in the main process before each pass."""

    def __init__(self) -> None:
        self.chunks: list = []

    def __iter__(self):
        return iter(self.chunks)

    def __len__(self) -> int:
        return len(self.chunks)


class _FileImages(torch.utils.data.Dataset):
    """Image files decoded one ``(row, seed)`` at a time (seed None: the evaluation crop); a file
    that cannot be read gives its error message, raised by the main process."""

    def __init__(self, paths: np.ndarray, spec: ImageSpec) -> None:
        self.paths, self.spec = paths, spec

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, item: tuple[int, int | None]) -> torch.Tensor | str:
        row, seed = item
        try:
            return decode_for(self.paths[row], self.spec, seed)
        except InputError as exc:
            return str(exc)


def _stack_or_error(images: list[torch.Tensor | str]) -> torch.Tensor | str:
    """A worker's batch: the images stacked, or the first one's error message."""
    return next((image for image in images if isinstance(image, str)), None) or torch.stack(images)


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


def random_resized_box(width: int, height: int, generator: torch.Generator) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of a random resized crop, drawn as torchvision's
    ``RandomResizedCrop.get_params`` draws it from the same generator state, so the same box: area
    share and log aspect uniform (in float32), ten tries, then the centre crop at the nearest
    allowed aspect (the whole width of a tall image, the whole height of a wide one)."""
    area = width * height
    log_ratio = torch.log(torch.tensor(RESIZED_CROP_RATIO))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(*RESIZED_CROP_SCALE, generator=generator).item()
        ratio = torch.exp(torch.empty(1).uniform_(float(log_ratio[0]), float(log_ratio[1]), generator=generator)).item()
        w, h = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, size=(1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, size=(1,), generator=generator))
            return left, top, left + w, top + h
    ratio = width / height
    if ratio < min(RESIZED_CROP_RATIO):
        w, h = width, round(width / min(RESIZED_CROP_RATIO))
    elif ratio > max(RESIZED_CROP_RATIO):
        w, h = round(height * max(RESIZED_CROP_RATIO)), height
    else:
        w, h = width, height
    left, top = (width - w) // 2, (height - h) // 2
    return left, top, left + w, top + h


def random_resized_crops(raw: torch.Tensor, spec: ImageSpec, seeds: np.ndarray) -> torch.Tensor:
    """The training recipe of photographs on in-memory images: a random resized crop and flip
    per image, each drawn from its seed, resized to the spec's side."""
    out = []
    for image, seed in zip(raw, seeds):
        generator = torch.Generator().manual_seed(int(seed))
        left, top, right, bottom = random_resized_box(image.shape[-1], image.shape[-2], generator)
        crop = F.interpolate(image[None, :, top:bottom, left:right].float(), size=(spec.size, spec.size), mode="bilinear", align_corners=False,
                             antialias=True)
        if spec.flip and bool(torch.rand(1, generator=generator) < 0.5):
            crop = crop.flip(-1)
        out.append(crop[0].round().clamp(0, 255).byte())
    return torch.stack(out)


def open_image(path: str) -> Image.Image:
    """Open an image file with Pillow (lazily: the header only). Pillow's own size guard is off:
    the limit is ``real.max_image_pixels``, checked for every file when its folder is indexed
    (:mod:`reprise.core.image_folder`), so decoding never refuses an indexed image."""
    return Image.open(path)


Image.MAX_IMAGE_PIXELS = None  # see open_image


def decode_image(path: str, size: int, channels: int, seed: int | None = None, flip: bool = False, *, resize: int | None = None,
                 interpolation: str = "bilinear") -> torch.Tensor:
    """Read one image file as uint8 ``[C, size, size]``, upright (its EXIF orientation applied, as
    a phone photo is shown): with no ``seed``, the evaluation crop (shorter side to ``resize``,
    by default ``size / 0.875``, centre square); with one, a random resized crop and (when
    ``flip``) a horizontal flip drawn from it. Resampled with Pillow's filter of
    ``interpolation`` (:data:`RESAMPLING`), which antialiases when it shrinks. 16-bit images are
    scaled to 8 bits, not clipped."""
    resampling = RESAMPLING[interpolation]
    try:
        with open_image(path) as img:
            img = _to_8_bit(ImageOps.exif_transpose(img)).convert("L" if channels == 1 else "RGB")
            w, h = img.size
            if seed is None:
                side = max(size, resize or round(size / CENTRE_CROP_SHARE))
                ratio = side / min(w, h)
                img = img.resize((max(side, round(w * ratio)), max(side, round(h * ratio))), resampling)
                w, h = img.size
                left, top = (w - size) // 2, (h - size) // 2
                img = img.crop((left, top, left + size, top + size))
            else:
                generator = torch.Generator().manual_seed(int(seed))
                img = img.resize((size, size), resampling, box=random_resized_box(w, h, generator))
                if flip and bool(torch.rand(1, generator=generator) < 0.5):
                    img = img.transpose(Image.FLIP_LEFT_RIGHT)
            arr = np.asarray(img)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(f"cannot read image {path} ({type(exc).__name__}: {exc}); remove or replace the file") from exc
    t = torch.from_numpy(arr.copy())
    return t.unsqueeze(0) if t.dim() == 2 else t.permute(2, 0, 1)


def decode_for(path: str, spec: ImageSpec, seed: int | None = None) -> torch.Tensor:
    """:func:`decode_image` as ``spec`` wants the image: its side, channels, flip, resize and filter."""
    return decode_image(path, spec.size, spec.channels, seed, spec.flip, resize=spec.resize, interpolation=spec.interpolation)


def _to_8_bit(img: Image.Image) -> Image.Image:
    """A 16- or 32-bit integer grey image scaled to 8 bits (Pillow's own conversion clips every
    value above 255, which turns a 16-bit scan white)."""
    if img.mode not in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        return img
    arr = np.asarray(img).astype(np.float64)
    scale = 257.0 if img.mode.startswith("I;16") or arr.max() > 255 else 1.0
    return Image.fromarray((arr / scale).round().clip(0, 255).astype(np.uint8), mode="L")
