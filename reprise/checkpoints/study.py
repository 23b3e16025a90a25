"""One checkpoint of a pre-training run, transferred to a target both ways: the checkpoint study of
the inadequately-pretrained-checkpoints paper (Deng et al.), §1 (toy experiment), §4.1-4.5.

For a kept pre-training checkpoint and every seed (each seed draws its own class-balanced
target split and seeds every training run):

- **FE** (§4.1): the frozen backbone's penultimate features, a softmax classifier retrained on
  them (:func:`reprise.checkpoints.softmax_classifier.feature_extractor_transfer`), test top-1;
- **FT** (§4.2): the whole backbone fine-tuned with a new head (:func:`reprise.core.finetune.finetune`
  with no source data), test top-1;
- **spectral components** (§4.4, Table 1, Fig. 5): softmax classifiers retrained on F_m and on
  F_r (:mod:`reprise.checkpoints.spectral`) of the pre-trained and of the fine-tuned features;
- for the first seed, the pre-trained and fine-tuned features of a class-balanced sample of test
  images, for the t-SNE embedding (§4.3, Fig. 4).

The transferability scores of a checkpoint (§4.5) are computed apart, on the same training split
(:mod:`reprise.checkpoints.scoring`). Artifacts: :class:`reprise.checkpoints.records.CheckpointStudy`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.checkpoints.records import CheckpointStudy
from reprise.checkpoints.settings import StudySettings
from reprise.checkpoints.splits import seed_split
from reprise.checkpoints.softmax_classifier import classifier_accuracy, feature_extractor_transfer, train_softmax_classifier
from reprise.checkpoints.spectral import main_rank, spectral_part
from reprise.core.accuracy import head_accuracy
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.features import extract_features
from reprise.core.jobs import job_count, run_jobs
from reprise.core.finetune import finetune
from reprise.core.sampling import sample_per_class

SPECTRAL_PARTS = ("F_m", "F_r")


def spectral_accuracies(
    train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray, test_labels: np.ndarray,
    num_classes: int, settings: StudySettings, seed: int,
) -> list[dict]:
    """Top-1 of a softmax classifier retrained on F_m and on F_r of every batch (§4.4), with the
    mean rank k of F_m over the training batches."""
    c = settings.classifier
    size = c.batch_size
    ks = [main_rank(torch.linalg.svdvals(torch.from_numpy(train_features[i : i + size])), settings.spectral_threshold) for i in range(0, len(train_features), size)]
    rows = []
    for part in SPECTRAL_PARTS:
        transform = spectral_part(part, settings.spectral_threshold)
        head = train_softmax_classifier(
            train_features, train_labels, num_classes, epochs=c.spectral_epochs, lr=c.lr, batch_size=size, seed=seed, transform=transform
        )
        acc = classifier_accuracy(head, test_features, test_labels, batch_size=size, seed=seed, transform=transform)
        rows.append({"part": part, "acc": acc, "k_mean": float(np.mean(ks)), "feature_dim": int(train_features.shape[1])})
    return rows


def study_checkpoint(pretrain_dir: str | Path, epoch: int, settings: StudySettings, device: torch.device, progress: bool = True,
                     jobs: int | str = 1, mode: str = "embedded") -> CheckpointStudy:
    """FE, FT, spectral components and transferability scores of the checkpoint kept at ``epoch``
    of the pre-training run in ``pretrain_dir``, for every seed (see the module docstring). A
    seed's FT run and the rest of its work are two runs, side by side on the processes that the
    ``jobs`` param gives for them in ``mode`` (:func:`reprise.core.jobs.job_count`), the long FT
    runs first."""
    path = kept_checkpoint(pretrain_dir, epoch, fix="add it to pretrain.keep_epochs or remove it from checkpoints.epochs")
    first, workers = settings.seeds[0], job_count(jobs, 2 * len(settings.seeds), device, mode)
    runs = [(study_ft, path, epoch, settings, seed, device, progress and workers == 1, seed == first) for seed in settings.seeds]
    runs += [(study_fe, path, epoch, settings, seed, device, False, seed == first) for seed in settings.seeds]
    done = run_jobs(study_part, runs, workers, desc=f"checkpoint epoch {epoch}")
    ft, fe = done[: len(settings.seeds)], done[len(settings.seeds) :]
    seed_rows = [{**f["row"], **t["row"]} for f, t in zip(fe, ft)]
    for row in seed_rows:
        print(f"checkpoint epoch {epoch} seed {row['seed']}: source {row['source_val_acc']:.4f} FE {row['fe_acc']:.4f} FT {row['ft_acc']:.4f}",
              flush=True)
    order = ["epoch", "seed", "source_val_acc", "fe_acc", "ft_acc", "train_images", "test_images"]
    log_frame = pd.concat([t["log"] for t in ft], ignore_index=True)
    log_frame = log_frame[["seed", *[column for column in log_frame.columns if column != "seed"]]]
    spectral = pd.DataFrame([r for part in (*fe, *ft) for r in part["spectral"]]).sort_values(["seed", "model"], key=_model_order, kind="stable")
    (rows, fe_features), ft_features = fe[0]["embedding"], ft[0]["embedding"][1]
    return CheckpointStudy(pd.DataFrame(seed_rows)[order], spectral.reset_index(drop=True), log_frame, rows, fe_features, ft_features)


def _model_order(column: pd.Series) -> pd.Series:
    return column.map({"pretrained": 0, "finetuned": 1}) if column.name == "model" else column


def study_part(part, *args):
    """Run ``part`` (:func:`study_fe` or :func:`study_ft`) with ``args``: the one function a job pool runs."""
    return part(*args)


def _embedded_rows(test, settings: StudySettings, seed: int) -> np.ndarray:
    return sample_per_class(test.labels, max(1, settings.embedding_points // test.num_classes), seed=seed)


def study_fe(path: Path, epoch: int, settings: StudySettings, seed: int, device: torch.device, progress: bool, embed: bool) -> dict:
    """The feature-extractor half of a seed: the FE classifier and the spectral classifiers on the
    pre-trained features."""
    backbone, spec, ckpt = load_backbone(path)
    train, test = seed_split(settings, seed)
    c = settings.classifier
    fe = feature_extractor_transfer(
        backbone, spec, train, test, epochs=c.fe_epochs, lr=c.lr, batch_size=c.batch_size, seed=seed, device=device
    )
    row = {"epoch": epoch, "seed": seed, "source_val_acc": float(ckpt.get("source_val_acc", float("nan"))), "fe_acc": fe.accuracy,
           "train_images": len(train), "test_images": len(test)}
    spectral = [{"epoch": epoch, "seed": seed, "model": "pretrained", **r}
                for r in spectral_accuracies(fe.train_features, train.labels, fe.test_features, test.labels, train.num_classes, settings, seed)]
    embedding = None
    if embed:
        rows = _embedded_rows(test, settings, seed)
        embedding = (pd.DataFrame({"test_row": rows, "label": test.labels[rows]}), fe.test_features[rows])
    return {"row": row, "spectral": spectral, "embedding": embedding}


def study_ft(path: Path, epoch: int, settings: StudySettings, seed: int, device: torch.device, progress: bool, embed: bool) -> dict:
    """The fine-tuning half of a seed: the FT run, its test top-1, its log and the spectral
    classifiers on the fine-tuned features."""
    backbone, spec, _ = load_backbone(path)
    train, test = seed_split(settings, seed)
    f = settings.finetune
    tuned, head, log = finetune(
        backbone, spec, train, None, epochs=f.epochs, batch_size=f.batch_size, lr=f.lr,
        momentum=f.momentum, weight_decay=f.weight_decay, lam=1.0, seed=seed, device=device,
        progress=progress, desc=f"FT epoch {epoch} seed {seed}",
    )
    ft_test = extract_features(tuned, spec, test, device, progress=False)
    ft_train = extract_features(tuned, spec, train, device, progress=False)
    spectral = [{"epoch": epoch, "seed": seed, "model": "finetuned", **r}
                for r in spectral_accuracies(ft_train, train.labels, ft_test, test.labels, train.num_classes, settings, seed)]
    embedding = (None, ft_test[_embedded_rows(test, settings, seed)]) if embed else None
    return {"row": {"ft_acc": head_accuracy(head, ft_test, test.labels)}, "spectral": spectral, "log": log.assign(seed=seed), "embedding": embedding}
