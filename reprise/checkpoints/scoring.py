"""Ranking checkpoints without training on the target (the inadequately-pretrained-checkpoints
paper §4.5; NLEEP was made for exactly this, Li et al., "Ranking Neural Checkpoints", CVPR 2021):
every score that a checkpoint's features on the target training split give
(:func:`reprise.transferability.on_features.scores_on_features`), apart from the FE and FT runs so
that a new score never reruns a fine-tuning."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.checkpoints.far_source import finetune_seed
from reprise.checkpoints.settings import FarSourceSettings, StudySettings
from reprise.checkpoints.splits import seed_split
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.features import extract_features
from reprise.transferability.on_features import scores_on_features


def checkpoint_scores(path: str | Path, settings: StudySettings, seed: int, device: torch.device) -> list[dict]:
    """Rows ``score, value, seconds`` of the checkpoint at ``path`` on the training split of
    ``seed`` (the one its FE and FT runs train on): LEEP and NCE on its source head (NaN without
    one, e.g. contrastive), NLEEP's mixture seeded with ``seed``."""
    backbone, spec, ckpt = load_backbone(path)
    train, _ = seed_split(settings, seed)
    features = extract_features(backbone, spec, train, device, progress=False).astype(np.float64)
    return scores_on_features(features, train.labels, ckpt.get("source_head"), seed)


def with_scores(seeds: pd.DataFrame, path: str | Path, settings: StudySettings, device: torch.device) -> pd.DataFrame:
    """The study's rows of one checkpoint (one a seed) with a column for every score of the
    checkpoint at ``path`` on that seed's split, after the accuracies."""
    values = pd.DataFrame([{"seed": seed, **{row["score"]: row["value"] for row in checkpoint_scores(path, settings, int(seed), device)}}
                           for seed in seeds["seed"]])
    accuracies = [column for column in seeds.columns if column not in ("train_images", "test_images")]
    merged = seeds[accuracies].reset_index(drop=True).merge(values, on="seed", how="left")
    return merged.join(seeds[["train_images", "test_images"]].reset_index(drop=True))


def far_source_scores(cfg: FarSourceSettings, study: StudySettings, run_dir, device: torch.device) -> pd.DataFrame:
    """Rows ``source, pretrain_seed, seed, epoch, score, value, seconds``: every score of every
    far-source run's checkpoint (``run_dir(source, pretrain_seed)``) on the target split of the
    run's fine-tuning seed (the one its FE and FT runs train on, ``study``:
    :func:`reprise.checkpoints.far_source.far_source_study`)."""
    rows = []
    for name in cfg.sources:
        for pretrain_seed in cfg.pretrain_seeds:
            seed = finetune_seed(cfg, pretrain_seed)
            for epoch in cfg.checkpoints:
                path = kept_checkpoint(run_dir(name, pretrain_seed), epoch, fix="far_source.checkpoints")
                rows += [{"source": name, "pretrain_seed": pretrain_seed, "seed": seed, "epoch": epoch, **row}
                         for row in checkpoint_scores(path, replace(study, seeds=(seed,)), seed, device)]
            print(f"{name}, pre-training run {pretrain_seed}: {len(cfg.checkpoints)} checkpoints scored", flush=True)
    return pd.DataFrame(rows)
