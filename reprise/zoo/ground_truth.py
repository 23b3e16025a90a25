"""The ground truth of model selection: every zoo member fine-tuned on every zoo target, regime
and seed (the linearized model-selection paper, §4.2).

The paper fine-tunes each model at three learning rates (0.01, 0.005, 0.001; 30 epochs, SGD with
Nesterov momentum, weight decay 1e-4, rate / 10 at epochs 15 and 25) and keeps the best; the
schedule's milestones are given as shares of the run, so a shorter run keeps its shape. Here
the best is chosen on a validation split held out of the target's training images (a share of
each class, at least one image), never on the test set: each rate fine-tunes on the rest, the
rate with the highest validation top-1 is chosen (ties: the first in the list), and that run's
test top-1 is the member's accuracy. Every run is timed (on the threads it had: one of the
cores when runs go side by side), so that a score's cost can be set against fine-tuning. Under
torchrun every run is fine-tuned and evaluated on all the processes
(:mod:`reprise.core.distributed`), rank 0 printing.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.zoo.layout import ZOO_TARGETS, zoo_target_dir
from reprise.core.accuracy import accuracy
from reprise.core.checkpoints import load_backbone
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.finetune import finetune
from reprise.core.images import validation_split
from reprise.core.jobs import job_count, run_jobs
from reprise.zoo.targets import read_regime, read_test, regime_names


def choose_rates(runs: pd.DataFrame) -> np.ndarray:
    """For every run, whether its rate is the one chosen for its (member, target, regime, seed):
    the highest ``val_top1``, ties to the run listed first (the rates in ``zoo.finetune.lrs`` order)."""
    chosen = runs.groupby(["member", "target", "regime", "seed"], sort=False)["val_top1"].idxmax()
    return runs.index.isin(chosen)


def finetune_member(
    member: str, checkpoint: str | Path, targets: list[str], seeds: list[int], *, lrs: list[float], epochs: int,
    milestones: list[float], batch_size: int, momentum: float, weight_decay: float, val_fraction: float, split_seed: int,
    device: torch.device, jobs: int | str = 1, mode: str = "embedded", targets_root: str = ZOO_TARGETS,
) -> pd.DataFrame:
    """Fine-tune the member (its whole backbone and a new head) at every rate of ``lrs``, on every
    target and regime prepared under ``targets_root`` (the zoo_targets stage's by default), once per seed, side by side on the
    processes that the ``jobs`` param gives for them in ``mode`` (:func:`reprise.core.jobs.job_count`): columns ``member, target, regime, epochs, seed, lr,
    val_top1, top1`` (test, %), ``seconds`` (the fine-tuning) and ``chosen``."""
    if not lrs or any(not lr > 0 for lr in lrs):
        raise InputError(f"zoo.finetune.lrs must be a non-empty list of positive rates, got {lrs!r}")
    settings = {"epochs": epochs, "milestones": milestones, "batch_size": batch_size, "momentum": momentum, "weight_decay": weight_decay,
                "val_fraction": val_fraction, "split_seed": split_seed, "device": device, "targets_root": targets_root}
    folders = {target: zoo_target_dir(target, targets_root) for target in targets}
    runs = [(member, checkpoint, target, regime, seed, lr, settings)
            for target in targets for regime in regime_names(folders[target]) for seed in seeds for lr in lrs]
    runs = pd.DataFrame(run_jobs(finetune_run, runs, job_count(jobs, len(runs), device, mode), desc=f"zoo {member}"))
    return runs.assign(chosen=choose_rates(runs))


def finetune_run(member: str, checkpoint: str | Path, target: str, regime: str, seed: int, lr: float, settings: dict) -> dict:
    """One run of :func:`finetune_member`: its row."""
    folder = zoo_target_dir(target, settings["targets_root"])
    fit, val = validation_split(read_regime(folder, regime).train, settings["val_fraction"], settings["split_seed"])
    device = settings["device"]
    backbone, spec, _ = load_backbone(checkpoint)
    started = time.perf_counter()
    backbone, head, _ = finetune(
        backbone, spec, fit, None, epochs=settings["epochs"], batch_size=settings["batch_size"], lr=lr, momentum=settings["momentum"],
        weight_decay=settings["weight_decay"], lam=0.0, seed=seed, device=device, milestones=settings["milestones"], progress=False,
    )
    seconds = time.perf_counter() - started
    row = {"member": member, "target": target, "regime": regime, "epochs": settings["epochs"], "seed": seed, "lr": lr,
           "val_top1": 100 * accuracy(backbone, head, val, spec, device),
           "top1": 100 * accuracy(backbone, head, read_test(folder), spec, device), "seconds": seconds}
    if processes().is_main:
        print(row, flush=True)
    return row
