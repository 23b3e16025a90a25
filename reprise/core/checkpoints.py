"""Backbone checkpoints: the one file format every stage writes and reads, and which checkpoint of
a run to take.

A checkpoint is a dict saved with ``torch.save`` with the keys ``arch``, ``arch_kwargs``,
``image`` (the :class:`~reprise.core.images.ImageSpec` as a dict), ``backbone`` (state dict) and,
as they apply: ``epoch``, ``pretrain_mode``, ``source_head`` (the pre-training classifier, an
``nn.Linear`` state dict, which LEEP and NCE read) with ``source_val_acc``, ``projection_head``
with its ``projection`` sizes (self-supervised backbones), ``target_head`` (a fine-tuned model)
and ``imported_from`` (real mode). A run keeps its checkpoints as ``<dir>/epoch_NNN.pt``.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from reprise.core.artifacts import atomic_path, existing
from reprise.core.backbones import build_backbone
from reprise.core.contrastive import ProjectionHead
from reprise.core.errors import InputError
from reprise.core.images import ImageSpec

FEATURE_LAYERS = ("penultimate", "projection")


def backbone_checkpoint(model: nn.Module, arch: str, arch_kwargs: dict, spec: ImageSpec, **extra) -> dict:
    """The checkpoint dict that :func:`load_backbone` reads."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"arch": arch, "arch_kwargs": arch_kwargs, "image": spec.to_dict(), "backbone": state, **extra}


def write_checkpoint(obj: dict, path: str | Path) -> None:
    """``torch.save`` into an open file: saved to a path, the archive would record the temporary
    file's name, and the same weights would not be the same bytes."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)


def read_checkpoint(path: str | Path, map_location="cpu") -> dict:
    try:
        return torch.load(existing(path), map_location=map_location, weights_only=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot load checkpoint {path} ({type(exc).__name__}: {exc}); check the file") from exc


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


def linear_head(state: dict) -> nn.Linear:
    """An ``nn.Linear`` with a head's state dict (``weight`` [K, d], ``bias`` [K])."""
    head = nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    head.load_state_dict(state)
    return head


def checkpoint_path(run_dir: str | Path, epoch: int) -> Path:
    return Path(run_dir) / f"epoch_{int(epoch):03d}.pt"


def kept_checkpoint(run_dir: str | Path, which: str | int, fix: str = "pretrain.keep_epochs") -> Path:
    """The checkpoint file of a run for ``which``: ``"last"`` (the highest kept epoch) or an
    epoch number. An epoch the run did not keep is a one-line :class:`InputError` naming the
    kept epochs and ``fix``, the params that can change that."""
    kept = sorted(int(p.stem.split("_")[1]) for p in Path(run_dir).glob("epoch_*.pt"))
    if not kept:
        raise InputError(f"no checkpoints in {run_dir}; run the stage that writes them first (dvc repro)")
    epoch = kept[-1] if which == "last" else int(which)
    if epoch not in kept:
        raise InputError(f"no checkpoint for epoch {epoch} in {run_dir}; kept epochs are {kept} ({fix})")
    return checkpoint_path(run_dir, epoch)
