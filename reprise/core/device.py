"""Where training and extraction run: CUDA when present (with bf16 autocast and channels-last),
otherwise the CPU in float32."""

from __future__ import annotations

import contextlib

import torch

from reprise.core.errors import InputError


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else the CPU; ``cpu``/``cuda``/``cuda:1`` force one.
    Any other name, or CUDA where there is none, is a one-line :class:`InputError`."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise InputError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {name!r} asked for but CUDA is not available; use auto or cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise InputError(f"device {name!r} asked for but this machine has {torch.cuda.device_count()} CUDA devices; use cuda or auto")
    return device


def autocast(device: torch.device):
    """Mixed precision (bf16) on CUDA; a no-op on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move a model to the device, channels-last: on the CPU too, where oneDNN's convolutions
    train the glyph networks 1.2 to 1.4 times faster so (measured on the 2-core machine: glyph
    ResNet, batch 128 on 2 threads, 22 → 32 steps/s; batch 32 on one thread, 53 → 63)."""
    return model.to(device).to(memory_format=torch.channels_last)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move an image batch to the device, channels-last (pinned and non-blocking on CUDA)."""
    if device.type == "cuda":
        x = x.pin_memory().to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x
