"""The sections of ``params.yaml`` that every study shares: the device, side-by-side runs, real
mode's inputs, pre-training, image loading, torchrun processes and fine-tuning (each study declares
its own in its ``settings`` module)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reprise.core.schema import ARCHS, COUNT, INDEX, MOMENTUM, NON_NEGATIVE, PATH, POSITIVE, Choice, Either, ListOf, Nullable, Text
from reprise.core.settings import Scalar, SectionSettings, key

def auto_workers(value: int | str) -> int:
    """DataLoader workers: ``auto`` is the CPUs, at most 8 (0: decode in the stage's process)."""
    return min(8, os.cpu_count() or 1) if value == "auto" else value


DEVICE = Scalar("device", Text())  # reprise.core.device.pick_device judges it: auto, cpu, cuda or cuda:N where CUDA is present
JOBS = Scalar("jobs", Either(Choice("auto"), COUNT))  # reprise.core.jobs: a stage's independent runs side by side


@dataclass(frozen=True)
class RealSettings(SectionSettings):
    """Real mode's inputs: ImageFolder trees and a weights file (docs/real-mode.md)."""

    section = "real"
    source_dir: str = key(Text())
    source_concepts: str | None = key(PATH)
    target_train_dir: str = key(Text())
    target_test_dir: str = key(Text())
    target_concept: str | None = key(PATH)
    weights: str = key(Text())
    weights_format: str = key(Choice("torchvision", "moco_v2"))
    arch: str = key(Text())
    key_prefix: str | None = key(Nullable(Text()))
    image_size: int = key(COUNT)
    index_workers: int | None = key(Nullable(COUNT))
    bad_images: str = key(Choice("fail", "skip"))
    max_image_pixels: int = key(COUNT)


@dataclass(frozen=True)
class PretrainSettings(SectionSettings):
    """Pre-training of the embedded world's backbones (supervised or contrastive)."""

    section = "pretrain"
    mode: str = key(Choice("supervised", "contrastive"))
    arch: str = key(ARCHS)
    widths: list[int] = key(ListOf(COUNT))
    epochs: int = key(COUNT)
    keep_epochs: list[int] = key(ListOf(COUNT, empty=True))
    batch_size: int = key(COUNT)
    lr: float = key(POSITIVE)
    momentum: float = key(MOMENTUM)
    weight_decay: float = key(NON_NEGATIVE)
    seed: int = key(INDEX)
    projection_dim: int = key(COUNT)
    temperature: float = key(POSITIVE)


@dataclass(frozen=True)
class LoaderSettings(SectionSettings):
    """Decoding image files (real mode): DataLoader workers, and batches each decodes ahead."""

    section = "loader"
    num_workers: int = key(Either(Choice("auto"), INDEX), convert=auto_workers)
    prefetch_factor: int = key(COUNT)


@dataclass(frozen=True)
class DistributedSettings(SectionSettings):
    """Training and extraction on several torchrun processes of this machine."""

    section = "distributed"
    processes: int = key(COUNT)


@dataclass(frozen=True)
class FinetuneSettings(SectionSettings):
    """Fine-tuning on the target (eq. 6 and 7 of the UOT paper; its batch and SGD also serve the zoo)."""

    section = "finetune"
    epochs: int = key(COUNT)
    batch_size: int = key(COUNT)
    lr: float = key(POSITIVE)
    momentum: float = key(MOMENTUM)
    weight_decay: float = key(NON_NEGATIVE)
    lambda_: float = key(NON_NEGATIVE, name="lambda")  # weight of the source loss
    seed: int = key(INDEX)
    eval_every: int = key(COUNT)
