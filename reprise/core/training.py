"""Pieces shared by pre-training and fine-tuning: seeding, and SGD with the paper's step schedule."""

from __future__ import annotations

import random

import numpy as np
import torch

from reprise.core import optimizers
from reprise.core.errors import InputError


def seed_all(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for data order and augmentation."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def sgd_nesterov(params, lr: float, momentum: float, weight_decay: float) -> optimizers.SGD:
    """SGD with Nesterov momentum, as the paper fine-tunes (§4.1)."""
    for name, value in (("lr", lr), ("momentum", momentum)):
        if not value > 0:
            raise InputError(f"{name} must be positive, got {value}")
    return optimizers.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)


def step_schedule(optimizer: optimizers.SGD, total_steps: int, milestones=(0.6, 0.8)) -> optimizers.StepSchedule:
    """Learning rate divided by 10 at each of ``milestones``, fractions of training: by default
    60% and 80% (the UOT paper's 60th and 80th of 100 epochs); stepped once per optimisation step."""
    if not all(0 < m < 1 for m in milestones):
        raise InputError(f"learning-rate milestones must be fractions of training in (0, 1), got {list(milestones)}")
    steps = sorted({max(1, int(total_steps * m)) for m in milestones})
    return optimizers.StepSchedule(optimizer, steps, gamma=0.1)
