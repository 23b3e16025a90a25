"""Pre-trained weights by the names people give them, resolved on this machine only.

A name stands where an architecture does (``real.arch``, a zoo member's ``arch``, ``reprise
rank``'s ``ARCH=FILE``), because it names the architecture too:

- ``ARCH.ENUM``: a torchvision weights enum, ``resnet50.IMAGENET1K_V2`` or ``resnet50.DEFAULT``
  (``torchvision.models.get_model_weights(ARCH)[ENUM]``). Its file is the one the local torch hub
  cache keeps, ``torch.hub.get_dir()/checkpoints/<basename of weights.url>``, where
  ``torchvision.models.get_model(ARCH, weights=ENUM)`` puts it.
- ``timm:NAME``: a timm model and its pretrained tag, ``timm:convnext_tiny.fb_in1k``
  (``timm:convnext_tiny``: timm's default tag). Its file is the one the local Hugging Face cache
  keeps for the tag's ``hf_hub_id``, where ``timm.create_model(NAME, pretrained=True)`` puts it.
  timm is an optional dependency (``pip install timm``).

Either may be given its file instead: a state dict of the model, as the cache holds. Nothing is
downloaded: a file missing from the cache is a one-line error saying how to fetch it once where
there is a network. Each name brings its own preprocessing as an
:class:`~reprise.core.images.ImageSpec`: torchvision's ``weights.transforms()`` (resize and crop
sizes, interpolation, mean and std) or timm's ``resolve_data_config`` (input size, ``crop_pct``:
resize to ``floor(size / crop_pct)``, interpolation, mean and std).

This module loads torch only when a name is resolved: :func:`is_named` serves settings that are
read without torch (the zoo's members).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reprise.core.errors import InputError

if TYPE_CHECKING:
    from reprise.core.images import ImageSpec

TIMM_PREFIX = "timm:"
GIVE_FILE = "real.weights, a zoo member's weights, or rank's NAME=FILE"  # where a named weights' file is given
_TORCHVISION_NAME = re.compile(r"(\w+)\.([A-Z][A-Z0-9_]*)")  # ARCH.ENUM: torchvision spells its weights enums in capitals


def is_named(arch: str) -> bool:
    """Whether ``arch`` names pre-trained weights (``ARCH.ENUM`` or ``timm:NAME``), not only an
    architecture."""
    return arch.startswith(TIMM_PREFIX) or _TORCHVISION_NAME.fullmatch(arch) is not None


@dataclass(frozen=True)
class NamedWeights:
    """Weights resolved from their name: ``arch``, what :func:`reprise.core.backbones.build_backbone`
    builds (a torchvision architecture, or ``timm:NAME``); ``spec``, their own preprocessing;
    ``cached``, their file in the local cache (None when it is not there); ``where``, where that
    file is looked for, and ``fetch``, the Python line that puts it there once."""

    name: str
    arch: str
    spec: ImageSpec
    cached: Path | None
    where: str
    fetch: str

    def file(self, given: str | Path | None = None) -> Path:
        """The weights file: ``given`` (a file the user names), or else the local cache's."""
        if given is not None:
            return Path(given)
        if self.cached is None:
            raise InputError(f"{self.name}: {self.where} is missing, and Reprise never downloads weights; "
                             f"fetch it once where there is a network ({self.fetch}) or give its file with the name ({GIVE_FILE})")
        return self.cached


def named_weights(name: str) -> NamedWeights:
    """The architecture, preprocessing and cached file of the weights ``name`` (module docstring);
    an unknown name is a one-line error."""
    if name.startswith(TIMM_PREFIX):
        return _timm_weights(name)
    match = _TORCHVISION_NAME.fullmatch(name)
    if match is None:
        raise InputError(f"{name!r} does not name weights: write ARCH.ENUM (torchvision, resnet50.IMAGENET1K_V2) or timm:NAME (timm:convnext_tiny.fb_in1k)")
    return _torchvision_weights(name, *match.groups())


def _torchvision_weights(name: str, arch: str, enum: str) -> NamedWeights:
    import torch
    import torchvision

    if arch not in torchvision.models.list_models(module=torchvision.models):
        raise InputError(f"{name}: torchvision has no classification model {arch!r} (torchvision.models.list_models())")
    members = torchvision.models.get_model_weights(arch)
    if enum not in members.__members__:
        raise InputError(f"{name}: torchvision's {arch} weights are {', '.join(members.__members__)}, not {enum}")
    weights = members[enum]
    preset = weights.transforms()
    (crop,), (resize,) = preset.crop_size, preset.resize_size
    spec = _imagenet_like(name, crop, resize, preset.interpolation.value, preset.mean, preset.std)
    path = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    return NamedWeights(name, arch, spec, path if path.is_file() else None, f"the local torch hub cache's {path}",
                        f"torchvision.models.get_model({arch!r}, weights={weights.name!r})")


def import_timm(name: str):
    """The timm package, or a one-line error saying that ``name`` needs it."""
    try:
        import timm
    except ImportError:
        raise InputError(f"{name} needs timm, an optional dependency: pip install timm") from None
    return timm


def _timm_weights(name: str) -> NamedWeights:
    timm = import_timm(name)
    model = name.removeprefix(TIMM_PREFIX)
    try:
        cfg = timm.models.get_pretrained_cfg(model)
    except RuntimeError as exc:  # a known architecture, an unknown tag
        raise InputError(f"{name}: {exc} (timm.list_pretrained({model.partition('.')[0] + '*'!r}))") from None
    if cfg is None:
        raise InputError(f"{name}: timm has no pretrained model {model!r} (timm.list_pretrained())")
    data = timm.data.resolve_data_config({}, pretrained_cfg=cfg.to_dict())
    channels, height, width = data["input_size"]
    if height != width or channels != 3 or data["crop_mode"] != "center":
        raise InputError(f"{name}: timm's input {data['input_size']} with crop_mode {data['crop_mode']!r}; "
                         "Reprise reads square RGB images resized and cropped at the centre")
    spec = _imagenet_like(name, width, math.floor(width / data["crop_pct"]), data["interpolation"], data["mean"], data["std"])
    fetch = f"timm.create_model({model!r}, pretrained=True)"
    if not cfg.hf_hub_id:  # an old timm address outside Hugging Face: only a file the user names
        return NamedWeights(name, f"{TIMM_PREFIX}{model}", spec, None, f"a file of weights timm keeps outside Hugging Face ({cfg.url})", fetch)
    from huggingface_hub.constants import HF_HUB_CACHE

    repo, _, revision = cfg.hf_hub_id.partition("@")
    cached = _hugging_face_file(repo, revision or None, [cfg.hf_hub_filename] if cfg.hf_hub_filename else ["model.safetensors", "pytorch_model.bin"])
    return NamedWeights(name, f"{TIMM_PREFIX}{model}", spec, cached, f"the local Hugging Face cache's {repo} ({HF_HUB_CACHE})", fetch)


def _hugging_face_file(repo: str, revision: str | None, filenames: list[str]) -> Path | None:
    """The first of ``filenames`` of the model ``repo`` in the local Hugging Face cache, or None:
    the cache is read, never the network."""
    from huggingface_hub import try_to_load_from_cache

    for filename in filenames:
        found = try_to_load_from_cache(repo, filename, revision=revision)
        if isinstance(found, str):
            return Path(found)
    return None


def _imagenet_like(name: str, size: int, resize: int, interpolation: str, mean, std) -> ImageSpec:
    """The ``imagenet`` recipe of RGB photographs at the weights' own sizes, filter and
    normalisation."""
    from reprise.core.images import ImageSpec

    try:
        return ImageSpec(size=int(size), channels=3, mean=tuple(map(float, mean)), std=tuple(map(float, std)), flip=True, recipe="imagenet",
                         resize=int(resize), interpolation=interpolation)
    except InputError as exc:  # a filter Reprise does not know
        raise InputError(f"{name}: {exc}") from None
