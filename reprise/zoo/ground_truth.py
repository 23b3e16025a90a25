"""The ground truth of model selection: every zoo member fine-tuned on every zoo target, regime
and seed, with its test top-1 and the seconds it took (the linearized model-selection paper,
§4.2; the cost of a score is measured against that time)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import torch

from reprise.core import layout
from reprise.core.accuracy import accuracy
from reprise.core.checkpoints import load_backbone
from reprise.core.finetune import finetune
from reprise.zoo.targets import REGIMES, read_regime, read_test


def finetune_member(
    member: str, checkpoint: str | Path, targets: list[str], seeds: list[int], *, epochs: int, batch_size: int, lr: float,
    momentum: float, weight_decay: float, device: torch.device,
) -> pd.DataFrame:
    """Fine-tune the member (its whole backbone and a new head) on every target and regime
    prepared by the zoo_targets stage, once per seed: columns ``member, target, regime, seed,
    top1`` (%) and ``seconds`` (the fine-tuning alone)."""
    rows = []
    for target in targets:
        folder = layout.zoo_target_dir(target)
        test = read_test(folder)
        for regime in REGIMES:
            train = read_regime(folder, regime).train
            for seed in seeds:
                backbone, spec, _ = load_backbone(checkpoint)
                started = time.perf_counter()
                backbone, head, _ = finetune(
                    backbone, spec, train, None, epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum,
                    weight_decay=weight_decay, lam=0.0, seed=seed, device=device, progress=False,
                )
                seconds = time.perf_counter() - started
                rows.append({"member": member, "target": target, "regime": regime, "seed": seed,
                             "top1": 100 * accuracy(backbone, head, test, spec, device), "seconds": seconds})
                print(rows[-1], flush=True)
    return pd.DataFrame(rows)
