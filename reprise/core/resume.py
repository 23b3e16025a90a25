"""Resumable training: a long training loop saves its whole state at the end of every epoch, so a
stage killed mid-run and rerun (``dvc repro``) continues from the last finished epoch and ends
with the same weights as an uninterrupted run (bit-identical on the CPU).

The state lives in a folder of its own under ``data/resume/`` (no stage's output: DVC removes a
stage's outputs before it reruns) and is keyed by a digest of everything the run depends on
(its settings, the starting weights, the images' index and pixels, and the format of the saved
state): a state saved under another key is never resumed, and a finished run removes its folder. What a state holds: the models,
optimiser and schedule, the epoch log, every random generator (the loop's own, torch's, NumPy's
and Python's) and the loop's data streams at the epoch boundary.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from reprise.core.artifacts import atomic_path
from reprise.core.images import ImageTable

STATE_FILE = "state.pt"
STATE_FORMAT = 2  # part of every key: 2, the optimisers of reprise.core.optimizers (1: torch.optim's state dicts, never resumed now)


def run_key(settings: dict, *parts) -> str:
    """A digest of a run's settings (JSON) and its inputs: state dicts, image tables, arrays."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()[:20]


def _update(digest, part) -> None:
    if part is None:
        digest.update(b"none")
    elif isinstance(part, ImageTable):
        digest.update(part.index.to_json().encode())
        if part.pixels is not None:
            digest.update(np.ascontiguousarray(part.pixels).tobytes())
    elif isinstance(part, dict):
        for key in sorted(part):
            digest.update(str(key).encode())
            _update(digest, part[key])
    elif isinstance(part, torch.Tensor):
        digest.update(part.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if part.numel() else b"")
    elif isinstance(part, np.ndarray):
        digest.update(np.ascontiguousarray(part).tobytes())
    else:
        digest.update(repr(part).encode())


class Resumable:
    """The saved state of one run in ``folder``, keyed by :func:`run_key` of ``settings`` and
    ``inputs`` (folder None: the run is not resumable, and every method does nothing)."""

    def __init__(self, folder: str | Path | None, settings: dict, *inputs) -> None:
        self.folder = None if folder is None else Path(folder)
        self.key = None if folder is None else run_key({**settings, "state_format": STATE_FORMAT}, *inputs)

    def load(self) -> dict | None:
        """The last saved state of this run, or None: nothing saved, or saved by another run,
        whose folder (its state and any file it kept there) is then cleared for this one."""
        if self.folder is None:
            return None
        path = self.folder / STATE_FILE
        state = torch.load(path, map_location="cpu", weights_only=True) if path.exists() else None
        if state is None or state.get("key") != self.key:
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        return state

    def save(self, state: dict) -> None:
        """Save a state atomically (a kill while saving leaves the previous one)."""
        if self.folder is None:
            return
        with atomic_path(self.folder / STATE_FILE) as tmp, open(tmp, "wb") as f:
            torch.save({**state, "key": self.key}, f)

    def finish(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def training_state(modules: dict, optimizer, schedule, generator: torch.Generator, log: list[dict], epoch: int, **extra) -> dict:
    """What a training loop saves after ``epoch``: its ``modules`` (name to ``nn.Module``),
    optimiser, schedule, random generators and log, and any ``extra`` state."""
    return {"modules": {name: module.state_dict() for name, module in modules.items()}, "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(), "random": random_state(generator), "log": log, "epoch": epoch, **extra}


def restore_training(state: dict, modules: dict, optimizer, schedule, generator: torch.Generator) -> None:
    """Put a :func:`training_state` back into the loop's objects."""
    for name, module in modules.items():
        module.load_state_dict(state["modules"][name])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    restore_random_state(state["random"], generator)


def random_state(generator: torch.Generator) -> dict:
    """Every random generator a training loop draws from, as tensors and numbers."""
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "generator": generator.get_state(),
        "torch": torch.get_rng_state(),
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "python": _tuples_to_lists(random.getstate()),
    }


def restore_random_state(state: dict, generator: torch.Generator) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch"])
    name, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    random.setstate(_lists_to_tuples(state["python"]))


def _tuples_to_lists(value):
    return [_tuples_to_lists(v) for v in value] if isinstance(value, (tuple, list)) else value


def _lists_to_tuples(value):
    return tuple(_lists_to_tuples(v) for v in value) if isinstance(value, list) else value
