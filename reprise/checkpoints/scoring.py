"""Ranking checkpoints without training on the target (the inadequately-pretrained-checkpoints
paper §4.5; NLEEP was made for exactly this, Li et al., "Ranking Neural Checkpoints", CVPR 2021):
every score of a checkpoint on the target training split of a seed
(:func:`reprise.transferability.on_model.model_scores`), apart from the FE and FT runs so that a
new score never reruns a fine-tuning.

Domain Similarity reads the checkpoint's own pre-training images (``source``: the pool it was
pre-trained on, a far-source run's source; none for imported weights); RSA needs a network
trained on the target, which the study does not train, so it is left undefined here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from reprise.checkpoints.far_source import SOURCE_TABLE, finetune_seed
from reprise.checkpoints.records import CheckpointStudy
from reprise.checkpoints.settings import FarSourceSettings, StudySettings
from reprise.checkpoints.splits import seed_split
from reprise.checkpoints.study import study_checkpoint
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.images import ImageTable
from reprise.transferability.on_model import model_scores, source_class_means

CHECKPOINT_SCORES_UNDEFINED = ("rsa",)  # no target-trained probe network in this study


def checkpoint_scores(path: str | Path, settings: StudySettings, seeds, device: torch.device, *, source: ImageTable | None,
                      lgc_projection_dim: int, ds_min_count: int) -> pd.DataFrame:
    """Rows ``seed, score, value, seconds``: every score of the checkpoint at ``path`` on the
    training split of each seed of ``seeds`` (the one its FE and FT runs train on): LEEP and NCE
    on its source head (NaN without one, e.g. contrastive), Domain Similarity against the class
    means of ``source`` in its features (NaN without), LGC projected to ``lgc_projection_dim``;
    the seed seeds NLEEP's mixture and LGC's projection."""
    backbone, spec, ckpt = load_backbone(path)
    means = None if source is None else source_class_means(backbone, spec, source, device)
    rows = []
    for seed in seeds:
        train, _ = seed_split(settings, int(seed))
        found = model_scores(backbone, spec, train, device, source_head=ckpt.get("source_head"), source_means=means,
                             lgc_projection_dim=lgc_projection_dim, seed=int(seed), ds_min_count=ds_min_count)
        rows += [{"seed": int(seed), **row} for row in found if row["score"] not in CHECKPOINT_SCORES_UNDEFINED]
    return pd.DataFrame(rows)


def scored_study(pretrain_dir: str, epoch: int, settings: StudySettings, device: torch.device, *, jobs, mode: str, source: ImageTable | None,
                 lgc_projection_dim: int, ds_min_count: int) -> CheckpointStudy:
    """The whole study of the checkpoint kept at ``epoch`` under ``pretrain_dir``: FE, FT and the
    spectral parts (:func:`reprise.checkpoints.study.study_checkpoint`), then every score on
    each seed's training split (:func:`checkpoint_scores`) joined to the seed's row."""
    study = study_checkpoint(pretrain_dir, epoch, settings, device, jobs=jobs, mode=mode)
    scores = checkpoint_scores(kept_checkpoint(pretrain_dir, epoch), settings, settings.seeds, device, source=source,
                               lgc_projection_dim=lgc_projection_dim, ds_min_count=ds_min_count)
    study.seeds = with_scores(study.seeds, scores)
    return study


def with_scores(seeds: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The study's rows of one checkpoint (one a seed) with a column for every score of
    ``scores`` (:func:`checkpoint_scores`), after the accuracies."""
    values = scores.pivot(index="seed", columns="score", values="value")[list(dict.fromkeys(scores["score"]))].reset_index()
    accuracies = [column for column in seeds.columns if column not in ("train_images", "test_images")]
    merged = seeds[accuracies].reset_index(drop=True).merge(values, on="seed", how="left")
    return merged.join(seeds[["train_images", "test_images"]].reset_index(drop=True))


def far_source_scores(cfg: FarSourceSettings, study: StudySettings, run_dir, device: torch.device, *,
                      lgc_projection_dim: int, ds_min_count: int) -> pd.DataFrame:
    """Rows ``source, pretrain_seed, seed, epoch, score, value, seconds``: every score of every
    far-source run's checkpoint (``run_dir(source, pretrain_seed)``) on the target split of the
    run's fine-tuning seed (the one its FE and FT runs train on, ``study``:
    :func:`reprise.checkpoints.far_source.far_source_study`); Domain Similarity against the run's
    source images as pre-training saw them (the run's :data:`~reprise.checkpoints.far_source.SOURCE_TABLE`,
    noisy labels included)."""
    frames = []
    for name in cfg.sources:
        for pretrain_seed in cfg.pretrain_seeds:
            seed, folder = finetune_seed(cfg, pretrain_seed), run_dir(name, pretrain_seed)
            source = ImageTable.read(Path(folder) / SOURCE_TABLE)
            for epoch in cfg.checkpoints:
                path = kept_checkpoint(folder, epoch, fix="far_source.checkpoints")
                scores = checkpoint_scores(path, study, (seed,), device, source=source,
                                           lgc_projection_dim=lgc_projection_dim, ds_min_count=ds_min_count)
                frames.append(scores.assign(source=name, pretrain_seed=pretrain_seed, epoch=epoch))
            print(f"{name}, pre-training run {pretrain_seed}: {len(cfg.checkpoints)} checkpoints scored", flush=True)
    table = pd.concat(frames, ignore_index=True)
    return table[["source", "pretrain_seed", "seed", "epoch", "score", "value", "seconds"]]
