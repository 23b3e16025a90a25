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
- **transferability scores** (§4.5): LogME on the target training features, LEEP and NCE on the
  checkpoint's source head (:mod:`reprise.transferability`), to correlate with FT later;
- for the first seed, the pre-trained and fine-tuned features of a class-balanced sample of test
  images, for the t-SNE embedding (§4.3, Fig. 4).

Artifacts: :class:`reprise.checkpoints.records.CheckpointStudy`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise.checkpoints.records import CheckpointStudy
from reprise.checkpoints.settings import StudySettings
from reprise.checkpoints.softmax_classifier import classifier_accuracy, feature_extractor_transfer, train_softmax_classifier
from reprise.checkpoints.spectral import main_rank, spectral_part
from reprise.core.accuracy import head_accuracy
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.features import extract_features
from reprise.core.jobs import run_jobs
from reprise.core.finetune import finetune
from reprise.transferability import leep, logme, nce, sample_per_class, source_head_softmax
from reprise.world.targets import folder_target, handwriting_target

SPECTRAL_PARTS = ("F_m", "F_r")


def transferability(features: np.ndarray, labels: np.ndarray, ckpt: dict) -> dict[str, float]:
    """§4.5's scores of a checkpoint on the target training set: LogME on the penultimate
    features ``[n, d]``; LEEP on the softmax of the checkpoint's source head ``[n, Z]`` and NCE
    on its argmax ``[n]`` (NaN when the checkpoint has no source head, e.g. contrastive)."""
    scores = {"logme": logme(features, labels), "leep": float("nan"), "nce": float("nan")}
    head = ckpt.get("source_head")
    if head is not None:
        probs = source_head_softmax(features, head)
        scores["leep"] = leep(probs, labels)
        scores["nce"] = nce(probs.argmax(1), labels)
    return scores


def spectral_accuracies(
    train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray, test_labels: np.ndarray,
    num_classes: int, settings: StudySettings, seed: int,
) -> list[dict]:
    """Top-1 of a softmax classifier retrained on F_m and on F_r of every batch (§4.4), with the
    mean rank k of F_m over the training batches."""
    c = settings.classifier
    size = int(c["batch_size"])
    ks = [main_rank(torch.linalg.svdvals(torch.from_numpy(train_features[i : i + size])), settings.spectral_threshold) for i in range(0, len(train_features), size)]
    rows = []
    for part in SPECTRAL_PARTS:
        transform = spectral_part(part, settings.spectral_threshold)
        head = train_softmax_classifier(
            train_features, train_labels, num_classes, epochs=int(c["spectral_epochs"]), lr=float(c["lr"]), batch_size=size, seed=seed, transform=transform
        )
        acc = classifier_accuracy(head, test_features, test_labels, batch_size=size, seed=seed, transform=transform)
        rows.append({"part": part, "acc": acc, "k_mean": float(np.mean(ks)), "feature_dim": int(train_features.shape[1])})
    return rows


def study_checkpoint(pretrain_dir: str | Path, epoch: int, settings: StudySettings, device: torch.device, progress: bool = True,
                     jobs: int = 1) -> CheckpointStudy:
    """FE, FT, spectral components and transferability scores of the checkpoint kept at ``epoch``
    of the pre-training run in ``pretrain_dir``, for every seed (see the module docstring); the
    seeds run on ``jobs`` processes at once (:mod:`reprise.core.jobs`)."""
    path = kept_checkpoint(pretrain_dir, epoch, fix="add it to pretrain.keep_epochs or remove it from checkpoints.epochs")
    runs = [(path, epoch, settings, seed, device, progress and jobs <= 1, seed == settings.seeds[0]) for seed in settings.seeds]
    results = run_jobs(study_seed, runs, jobs, desc=f"checkpoint epoch {epoch}")
    log_frame = pd.concat([log for _, _, log, _ in results], ignore_index=True)
    log_frame = log_frame[["seed", *[column for column in log_frame.columns if column != "seed"]]]
    return CheckpointStudy(pd.DataFrame([row for row, _, _, _ in results]), pd.DataFrame([r for _, rows, _, _ in results for r in rows]),
                           log_frame, *results[0][3])


def study_seed(path: Path, epoch: int, settings: StudySettings, seed: int, device: torch.device, progress: bool, embed: bool):
    """One seed of :func:`study_checkpoint`: its own target split, FE classifier, scores, FT run
    and spectral classifiers. Returns the seed's row, its spectral rows, its FT log and, when
    ``embed``, the test images embedded by t-SNE (rows, FE features, FT features), else None."""
    backbone, spec, ckpt = load_backbone(path)
    source_acc = float(ckpt.get("source_val_acc", float("nan")))
    c, f = settings.classifier, settings.finetune
    if not settings.target_dirs:
        splits = handwriting_target(settings.target, settings.labels_per_class, settings.test_per_class, seed)
        train, test = splits.train, splits.test
    else:  # the real target: a seeded share of its training images, its whole test set
        real = folder_target(*settings.target_dirs, None)
        train, test = real.train.subset(sample_per_class(real.train.labels, settings.labels_per_class, seed)), real.test
    fe = feature_extractor_transfer(
        backbone, spec, train, test, epochs=int(c["fe_epochs"]), lr=float(c["lr"]), batch_size=int(c["batch_size"]), seed=seed, device=device
    )
    scores = transferability(fe.train_features, train.labels, ckpt)
    tuned, head, log = finetune(
        copy.deepcopy(backbone), spec, train, None, epochs=int(f["epochs"]), batch_size=int(f["batch_size"]), lr=float(f["lr"]),
        momentum=float(f.get("momentum", 0.9)), weight_decay=float(f.get("weight_decay", 0.0)), lam=1.0, seed=seed, device=device,
        progress=progress, desc=f"FT epoch {epoch} seed {seed}",
    )
    ft_test = extract_features(tuned, spec, test, device, progress=False)
    ft_train = extract_features(tuned, spec, train, device, progress=False)
    ft_acc = head_accuracy(head, ft_test, test.labels)
    row = {"epoch": epoch, "seed": seed, "source_val_acc": source_acc, "fe_acc": fe.accuracy, "ft_acc": ft_acc, **scores,
           "train_images": len(train), "test_images": len(test)}
    spectral_rows = []
    for model, (tr, te) in (("pretrained", (fe.train_features, fe.test_features)), ("finetuned", (ft_train, ft_test))):
        for spectral in spectral_accuracies(tr, train.labels, te, test.labels, train.num_classes, settings, seed):
            spectral_rows.append({"epoch": epoch, "seed": seed, "model": model, **spectral})
    embedding = None
    if embed:
        rows = sample_per_class(test.labels, max(1, settings.embedding_points // test.num_classes), seed=seed)
        embedding = (pd.DataFrame({"test_row": rows, "label": test.labels[rows]}), fe.test_features[rows], ft_test[rows])
    print(f"checkpoint epoch {epoch} seed {seed}: source {source_acc:.4f} FE {fe.accuracy:.4f} FT {ft_acc:.4f} "
          + " ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)
    return row, spectral_rows, log.assign(seed=seed), embedding
