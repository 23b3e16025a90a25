"""Ranking models for a target without the pipeline (``reprise rank``): each model's features on a
sample of the target's training images (at most 25 a class, as the linearized model-selection
paper does), every transferability score that needs nothing else, and each score's ranking.

A model is named as people have it:

- ``PATH``: a Reprise checkpoint (what ``dvc repro`` pre-trains, e.g. ``data/pretrain/epoch_016.pt``),
  or else a ``state_dict`` file (``.pt``, ``.pth``, ``.safetensors``) of ``arch``;
- ``ARCH=PATH``: a ``state_dict`` of ``ARCH`` (``resnet50=moco.safetensors``), where ``ARCH`` may
  name weights (``resnet50.IMAGENET1K_V2=r50.pth``, ``timm:convnext_tiny.fb_in1k=model.safetensors``);
- named weights, ``ARCH.ENUM`` (``resnet50.IMAGENET1K_V2``) or ``timm:NAME``, from the local cache
  (:mod:`reprise.core.named_weights`; never downloaded here), and ``torchvision:ARCH``, the same as
  ``ARCH.DEFAULT``.

Named weights see images as their own preprocessing makes them; other imported weights see
ImageNet-normalised images at ``image_size``, as in real mode. Domain Similarity (the model's own
pre-training data) and RSA (a network trained on the target) need more than a model and a
folder: the zoo pipeline computes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from reprise.core.checkpoints import load_backbone
from reprise.core.errors import InputError
from reprise.core.image_folder import index_image_folder
from reprise.core.images import ImageSpec, ImageTable
from reprise.core.named_weights import is_named
from reprise.core.sampling import sample_per_class
from reprise.core.score_names import FEATURE_SCORES
from reprise.core.weights import import_state_dict
from reprise.transferability.on_model import model_scores

RANKABLE = (*FEATURE_SCORES, "lgc")  # what a model and an image folder give
NEEDS_MORE = {"domain_similarity": "the model's own pre-training data", "rsa": "a network trained on the target"}


def parse_scores(text: str) -> list[str]:
    """``all`` or a comma-separated list of scores of :data:`RANKABLE`, in that order."""
    if text.strip() == "all":
        return list(RANKABLE)
    asked = [name.strip() for name in text.split(",") if name.strip()]
    for name in asked:
        if name in NEEDS_MORE:
            raise InputError(f"--scores: {name} needs {NEEDS_MORE[name]}, which rank does not have; the zoo pipeline computes it (docs/zoo.md)")
        if name not in RANKABLE:
            raise InputError(f"--scores: unknown score {name!r}; choose all or some of {', '.join(RANKABLE)}")
    if not asked:
        raise InputError("--scores: name at least one score, or all")
    return [name for name in RANKABLE if name in asked]


def load_model(name: str, arch: str, image_size: int) -> tuple[torch.nn.Module, ImageSpec, dict | None]:
    """The backbone, its image spec and its source head (None without one) of a model named as
    in the module docstring."""
    if name.startswith("torchvision:"):
        name = f"{name.removeprefix('torchvision:')}.DEFAULT"
    path: str | Path | None = Path(name)
    if "=" in name:
        arch, _, path = name.partition("=")
        if not Path(path).is_file():
            raise InputError(f"model {name}: no such file: {path}")
    elif is_named(name) and not path.is_file():
        arch, path = name, None
    elif not path.is_file():
        raise InputError(f"model {name}: no such file; name a checkpoint or weights file, ARCH=FILE, or weights as ARCH.ENUM or timm:NAME")
    else:
        try:
            backbone, spec, ckpt = load_backbone(path)
            return backbone, spec, ckpt.get("source_head")
        except InputError as not_reprise:
            if path.suffix not in (".pt", ".pth", ".safetensors"):
                raise not_reprise
    imported = import_state_dict(path, arch, image_size)
    return imported.backbone, imported.spec, imported.source_head


def target_sample(train_dir: str, per_class: int, seed: int, workers: int | None = None) -> ImageTable:
    """At most ``per_class`` images a class of the image folder ``train_dir`` (one sub-folder a
    class), drawn with ``seed``."""
    if not Path(train_dir).is_dir():
        raise InputError(f"--train {train_dir}: no such folder; give an image folder with one sub-folder of images a class")
    table = ImageTable(index_image_folder(train_dir, workers=workers, progress=False))
    if table.num_classes < 2:
        raise InputError(f"--train {train_dir}: {table.num_classes} class folder(s); ranking needs a target with at least two classes")
    return table.subset(sample_per_class(table.labels, per_class, seed))


def rank_models(models: list[str], sample: ImageTable, scores: list[str], *, arch: str = "resnet50", image_size: int = 224, seed: int = 0,
                lgc_projection_dim: int = 10_000, device: torch.device | str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Rows ``model, score, value, seconds, rank`` (1: the model the score ranks first; ties share
    the better rank): every score of ``scores`` of every model on ``sample``. A feature score's
    seconds include the forward pass."""
    if len(set(models)) != len(models):
        raise InputError(f"--models: a model is named twice ({', '.join(sorted({m for m in models if models.count(m) > 1}))})")
    device = torch.device(device)
    rows = []
    for name in models:
        backbone, spec, head = load_model(name, arch, image_size)
        found = model_scores(backbone, spec, sample, device, source_head=head, with_lgc="lgc" in scores, lgc_projection_dim=lgc_projection_dim,
                             seed=seed, progress=progress)
        rows += [{"model": name, **row} for row in found if row["score"] in scores]
    table = pd.DataFrame(rows)
    table["rank"] = table.groupby("score")["value"].rank(ascending=False, method="min")
    table["rank"] = table["rank"].astype("Int64")
    order = {name: i for i, name in enumerate(scores)}
    return table.sort_values(["score", "rank"], key=lambda c: c.map(order) if c.name == "score" else c, kind="stable").reset_index(drop=True)


def ranking_text(table: pd.DataFrame) -> str:
    """The table a person reads: model × score values, then each score's ranking, best first."""
    wide = table.pivot(index="model", columns="score", values="value")
    wide = wide[list(dict.fromkeys(table["score"]))]
    lines = [wide.to_string(float_format=lambda v: f"{v:.4g}"), ""]
    for score, part in table.groupby("score", sort=False):
        ranked = part.dropna(subset=["value"]).sort_values("rank")
        lines.append(f"{score}: {' > '.join(ranked['model'])}" if len(ranked) else f"{score}: undefined (no source head)")
    return "\n".join(lines)
