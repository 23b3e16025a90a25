"""The checkpoint study where its paper places the effect (Deng et al. §1, §4.4): a source far
from the target and small enough to be memorised, pre-trained long, studied at log-spaced
checkpoints over several pre-training runs.

The paper's toy pre-trains on CIFAR-10 (natural images, far from MNIST) for 200 epochs: frozen
features are best early (epoch 5) and worse at the end, fine-tuning keeps improving, and along
pre-training the main spectral components F_m lose transferability while the rest F_r gain, which
it reads as the network fitting its source ever more deeply. The glyph pool's whole run does not
reach that regime (its source holds the digits, and 16 epochs leave its top-1 rising), so here

- a **source** is a few of the pool's concepts with nothing digit-like (:func:`source_table`),
  ``images_per_class`` images a class, optionally with a share of its labels replaced by another
  class (``label_noise``: the network can reach 100% training top-1 only by memorising them);
- every **pre-training run** (``pretrain_seeds``) pre-trains each source with the pipeline's
  recipe for ``epochs`` epochs, keeping ``checkpoints``;
- every **checkpoint** is studied as the checkpoint study does (FE, FT, F_m and F_r,
  :mod:`reprise.checkpoints.study`) on the study's target, with fine-tuning ``finetune_epochs``
  long and one fine-tuning seed a pre-training run (its own target split, :func:`finetune_seed`),
  and its source top-1 measured on its training images (the labels it was trained on, noisy or
  not) and on held-out images (true labels).

Rows (:data:`ROW`): ``source, pretrain_seed, seed, epoch`` and top-1 in percent.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.checkpoints.settings import FarSourceSettings, StudySettings, embedded_study
from reprise.checkpoints.study import study_fe, study_ft, study_part
from reprise.core.accuracy import accuracy
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.core.jobs import job_count, run_jobs

ROW = ("source", "pretrain_seed", "seed", "epoch", "source_train_top1", "source_val_top1", "fe_top1", "ft_top1", "fm_top1", "fr_top1",
       "ft_fm_top1", "ft_fr_top1")
SOURCE_TABLE = "source"  # <run dir>/source.{parquet,npy}: the training images with the labels pre-training saw


def source_table(pool: ImageTable, concepts: list[str], images_per_class: int, label_noise: float, seed: int) -> ImageTable:
    """The first ``images_per_class`` images of every pool class of ``concepts``, labels renumbered
    0..C−1 in pool order; with ``label_noise`` > 0 that share of the images (drawn with ``seed``)
    gets a label drawn uniformly from the other classes. ``true_label`` keeps the clean one."""
    index = pool.index
    unknown = sorted(set(concepts) - set(index["concept"]))
    if unknown:
        raise InputError(f"far_source: the pool has no class of the concept {', '.join(map(repr, unknown))}; "
                         f"its concepts are {', '.join(sorted(index['concept'].unique()))}")
    rows = index[index["concept"].isin(concepts)].groupby("label", sort=True).head(images_per_class)
    short = rows.groupby("label").size()
    if (short < images_per_class).any():
        raise InputError(f"far_source.images_per_class is {images_per_class} but the pool class {short.idxmin()} has {int(short.min())} "
                         "images; lower it or raise world.images_per_class")
    table = pool.subset(rows.index.to_numpy())
    labels = pd.factorize(table.index["label"], sort=True)[0]
    noisy = labels.copy()
    classes = int(labels.max()) + 1
    if label_noise > 0:
        if classes < 2:
            raise InputError("far_source: label noise needs at least two classes")
        rng = np.random.default_rng(seed)
        flipped = rng.random(len(labels)) < label_noise
        shift = rng.integers(1, classes, size=int(flipped.sum()))  # another class, uniformly
        noisy[flipped] = (labels[flipped] + shift) % classes
    return ImageTable(table.index.assign(label=noisy, true_label=labels), table.pixels)


def held_out(pool_val: ImageTable, source: ImageTable) -> ImageTable:
    """The held-out pool images of the source's classes, labelled as the source numbers them."""
    numbering = dict(zip(source.index["class_name"], source.index["true_label"]))
    rows = pool_val.index["class_name"].isin(numbering).to_numpy()
    table = pool_val.subset(np.flatnonzero(rows))
    return ImageTable(table.index.assign(label=table.index["class_name"].map(numbering).to_numpy()), table.pixels)


def far_source_study(c, finetune_epochs: int) -> StudySettings:
    """The checkpoint study's settings for the far-source runs (:func:`reprise.checkpoints.settings.embedded_study`),
    fine-tuning ``finetune_epochs`` long; the seeds are the runs' own (:func:`finetune_seed`) and
    nothing is embedded."""
    return embedded_study(c, seeds=(), finetune_epochs=finetune_epochs, embedding_points=0, experiment="far-source experiment")


def finetune_seed(cfg: FarSourceSettings, pretrain_seed: int) -> int:
    """The fine-tuning seed of a pre-training run: its place in ``pretrain_seeds``, so that every
    run has its own target split."""
    return cfg.pretrain_seeds.index(pretrain_seed)


def source_top1(path: Path, table: ImageTable, device: torch.device) -> float:
    """Top-1 (percent) of a kept checkpoint's backbone and source head on ``table``."""
    backbone, spec, ckpt = load_backbone(path)
    head = torch.nn.Linear(backbone.feature_dim, int(ckpt["source_head"]["weight"].shape[0]))
    head.load_state_dict(ckpt["source_head"])
    return 100 * accuracy(backbone.to(device), head, table, spec, device)


def study_epoch(cfg: FarSourceSettings, epoch: int, study: StudySettings, run_dir, device: torch.device, jobs, mode: str) -> pd.DataFrame:
    """The :data:`ROW` of every (source, pre-training run) at the checkpoint kept at ``epoch``
    (``study``: :func:`far_source_study`);
    ``run_dir(source, pretrain_seed)`` is the folder of that run's checkpoints and source table.
    The runs' FT and FE halves share ``jobs`` processes, the long FT runs first."""
    units = [(name, p, finetune_seed(cfg, p)) for name in cfg.sources for p in cfg.pretrain_seeds]
    paths = [kept_checkpoint(run_dir(name, p), epoch, fix="far_source.checkpoints") for name, p, _ in units]
    parts = [(half, path, epoch, replace(study, seeds=(seed,)), seed, device, False, False)
             for half in (study_ft, study_fe) for path, (_, _, seed) in zip(paths, units)]
    done = run_jobs(study_part, parts, job_count(jobs, len(parts), device, mode), desc=f"far-source checkpoint {epoch}")
    ft, fe = done[: len(units)], done[len(units) :]
    rows = []
    for (name, p, seed), path, f, t in zip(units, paths, fe, ft):
        spectral = {(r["model"], r["part"]): 100 * r["acc"] for r in (*f["spectral"], *t["spectral"])}
        source = ImageTable.read(Path(run_dir(name, p)) / SOURCE_TABLE)
        rows.append({"source": name, "pretrain_seed": p, "seed": seed, "epoch": epoch, "source_train_top1": source_top1(path, source, device),
                     "source_val_top1": 100 * f["row"]["source_val_acc"], "fe_top1": 100 * f["row"]["fe_acc"], "ft_top1": 100 * t["row"]["ft_acc"],
                     "fm_top1": spectral["pretrained", "F_m"], "fr_top1": spectral["pretrained", "F_r"],
                     "ft_fm_top1": spectral["finetuned", "F_m"], "ft_fr_top1": spectral["finetuned", "F_r"]})
    return pd.DataFrame(rows, columns=list(ROW))
