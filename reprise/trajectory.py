"""One checkpoint of a pre-training run, transferred to a target both ways: the checkpoint study of
the inadequately-pretrained-checkpoints paper (Deng et al.), §1 (toy experiment), §4.1-4.5.

For a kept pre-training checkpoint and every seed (each seed draws its own class-balanced
target split and seeds every training run):

- **FE** (§4.1): the frozen backbone's penultimate features, a softmax classifier retrained on
  them (:func:`reprise.softmax_classifier.feature_extractor_transfer`), test top-1;
- **FT** (§4.2): the whole backbone fine-tuned with a new head (:func:`reprise.finetune.finetune`
  with no source data), test top-1;
- **spectral components** (§4.4, Table 1, Fig. 5): softmax classifiers retrained on F_m and on
  F_r (:mod:`reprise.spectral`) of the pre-trained and of the fine-tuned features;
- **transferability scores** (§4.5): LogME on the target training features, LEEP and NCE on the
  checkpoint's source head (:mod:`reprise.transferability`), to correlate with FT later;
- for the first seed, the pre-trained and fine-tuned features of a class-balanced sample of test
  images, for the t-SNE embedding (§4.3, Fig. 4).

Artifacts of one checkpoint, under ``data/checkpoints/epoch_<N>/`` (N not zero-padded, as
``dvc.yaml``'s ``epoch_${item}``):

- ``seeds.parquet``: one row per seed: ``epoch, seed, source_val_acc, fe_acc, ft_acc, logme,
  leep, nce, train_images, test_images`` (accuracies 0-1; LEEP/NCE NaN without a source head);
- ``spectral.parquet``: ``epoch, seed, model`` (``pretrained`` | ``finetuned``), ``part``
  (``F_m`` | ``F_r``), ``acc``, ``k_mean`` (mean rank of F_m over the training batches),
  ``feature_dim``;
- ``finetune_log.csv``: the fine-tuning log of every seed (``seed`` + the columns of
  :func:`reprise.finetune.finetune`'s log);
- ``embedding.parquet`` (``test_row, label``) with ``embedding_pretrained.npy`` and
  ``embedding_finetuned.npy``: float32 ``[points, d]`` features of those test images.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from reprise import layout
from reprise.artifacts import read_npy, read_parquet, write_csv, write_npy, write_parquet
from reprise.errors import InputError
from reprise.features import extract_features
from reprise.finetune import finetune
from reprise.models import load_backbone
from reprise.pretrain import checkpoint_path
from reprise.softmax_classifier import classifier_accuracy, feature_extractor_transfer, train_softmax_classifier
from reprise.spectral import check_threshold, main_rank, spectral_part
from reprise.transferability import leep, logme, nce, sample_per_class
from reprise.world import embedded_target

SPECTRAL_PARTS = ("F_m", "F_r")


def study_dir(epoch: int, root: str | Path = layout.CHECKPOINT_STUDY_DIR) -> Path:
    return Path(root) / f"epoch_{int(epoch)}"


@dataclass(frozen=True)
class StudySettings:
    """The ``checkpoints`` section of params.yaml that one checkpoint's study reads."""

    target: str                  # embedded target: mnist | digits
    labels_per_class: int        # labelled training images a class (the paper's toy: 100)
    test_per_class: int | None   # test images a class (None: all the rest)
    seeds: tuple[int, ...]       # one target split and one set of training runs each
    classifier: dict             # lr, batch_size, fe_epochs, spectral_epochs (Adam)
    finetune: dict               # epochs, batch_size, lr, momentum, weight_decay (SGD, Nesterov)
    spectral_threshold: float    # share of the singular-value sum kept by F_m (paper: 0.8)
    embedding_points: int        # test images kept for the t-SNE embedding (first seed)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"checkpoints.{name} must be a positive integer, got {value!r}")
    return value


def check_epochs(epochs) -> list[int]:
    """``checkpoints.epochs``: a non-empty list of distinct non-negative pre-training epochs."""
    if not isinstance(epochs, list) or not epochs:
        raise InputError(f"checkpoints.epochs must be a non-empty list of pre-training epochs, got {epochs!r}")
    if any(isinstance(e, bool) or not isinstance(e, int) or e < 0 for e in epochs) or len(set(epochs)) != len(epochs):
        raise InputError(f"checkpoints.epochs must hold distinct non-negative integers, got {epochs}")
    return sorted(epochs)


def settings_from_params(c: dict) -> StudySettings:
    """Validate the ``checkpoints`` section; every problem is a one-line :class:`InputError`."""
    seeds = c.get("seeds")
    if not isinstance(seeds, list) or not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise InputError(f"checkpoints.seeds must be a non-empty list of distinct non-negative integers, got {seeds!r}")
    classifier = dict(c.get("classifier") or {})
    for key in ("batch_size", "fe_epochs", "spectral_epochs"):
        _positive_int(classifier.get(key), f"classifier.{key}")
    finetune_cfg = dict(c.get("finetune") or {})
    for key in ("epochs", "batch_size"):
        _positive_int(finetune_cfg.get(key), f"finetune.{key}")
    for cfg, key in ((classifier, "classifier.lr"), (finetune_cfg, "finetune.lr")):
        value = cfg.get(key.split(".")[1])
        if not isinstance(value, (int, float)) or not value > 0:
            raise InputError(f"checkpoints.{key} must be positive, got {value!r}")
    test_per_class = c.get("test_per_class")
    return StudySettings(
        target=c.get("target"),
        labels_per_class=_positive_int(c.get("labels_per_class"), "labels_per_class"),
        test_per_class=None if test_per_class is None else _positive_int(test_per_class, "test_per_class"),
        seeds=tuple(seeds),
        classifier=classifier,
        finetune=finetune_cfg,
        spectral_threshold=check_threshold(c.get("spectral_threshold")),
        embedding_points=_positive_int(c.get("embedding_points"), "embedding_points"),
    )


@dataclass
class CheckpointStudy:
    seeds: pd.DataFrame          # seeds.parquet
    spectral: pd.DataFrame       # spectral.parquet
    finetune_log: pd.DataFrame   # finetune_log.csv
    embedding: pd.DataFrame      # test_row, label
    embedding_pretrained: np.ndarray
    embedding_finetuned: np.ndarray

    def write(self, out_dir: str | Path) -> None:
        out = Path(out_dir)
        write_parquet(self.seeds, out / "seeds.parquet")
        write_parquet(self.spectral, out / "spectral.parquet")
        write_csv(self.finetune_log, out / "finetune_log.csv")
        write_npy(self.embedding_pretrained, out / "embedding_pretrained.npy")
        write_npy(self.embedding_finetuned, out / "embedding_finetuned.npy")
        write_parquet(self.embedding, out / "embedding.parquet")

    @classmethod
    def read(cls, out_dir: str | Path) -> "CheckpointStudy":
        out = Path(out_dir)
        log_path = out / "finetune_log.csv"
        return cls(
            read_parquet(out / "seeds.parquet"),
            read_parquet(out / "spectral.parquet"),
            pd.read_csv(log_path) if log_path.exists() else pd.DataFrame(),
            read_parquet(out / "embedding.parquet"),
            read_npy(out / "embedding_pretrained.npy"),
            read_npy(out / "embedding_finetuned.npy"),
        )


def transferability(features: np.ndarray, labels: np.ndarray, ckpt: dict) -> dict[str, float]:
    """§4.5's scores of a checkpoint on the target training set: LogME on the penultimate
    features ``[n, d]``; LEEP on the softmax of the checkpoint's source head ``[n, Z]`` and NCE
    on its argmax ``[n]`` (NaN when the checkpoint has no source head, e.g. contrastive)."""
    scores = {"logme": logme(features, labels), "leep": float("nan"), "nce": float("nan")}
    head = ckpt.get("source_head")
    if head is not None:
        logits = torch.from_numpy(features).double() @ head["weight"].double().T + head["bias"].double()
        probs = torch.softmax(logits, dim=1).numpy()
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


def kept_checkpoint(pretrain_dir: str | Path, epoch: int) -> Path:
    """The checkpoint file of ``epoch``; an epoch that pre-training did not keep is a one-line
    :class:`InputError` naming the kept epochs and both params that can fix it."""
    kept = sorted(int(p.stem.split("_")[1]) for p in Path(pretrain_dir).glob("epoch_*.pt"))
    if not kept:
        raise InputError(f"no checkpoints in {pretrain_dir}; run the pretrain stage first")
    if epoch not in kept:
        raise InputError(f"checkpoints.epochs lists epoch {epoch}, which pre-training did not keep (kept in {pretrain_dir}: {kept}); "
                         "add it to pretrain.keep_epochs or remove it from checkpoints.epochs")
    return checkpoint_path(pretrain_dir, epoch)


def study_checkpoint(pretrain_dir: str | Path, epoch: int, settings: StudySettings, device: torch.device, progress: bool = True) -> CheckpointStudy:
    """FE, FT, spectral components and transferability scores of the checkpoint kept at ``epoch``
    of the pre-training run in ``pretrain_dir``, for every seed (see the module docstring)."""
    backbone, spec, ckpt = load_backbone(kept_checkpoint(pretrain_dir, epoch))
    source_acc = float(ckpt.get("source_val_acc", float("nan")))
    c, f = settings.classifier, settings.finetune
    seed_rows, spectral_rows, logs = [], [], []
    embedding = None
    for seed in settings.seeds:
        splits = embedded_target(settings.target, settings.labels_per_class, settings.test_per_class, seed)
        train, test = splits.train, splits.test
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
        with torch.no_grad():
            head_cpu = copy.deepcopy(head).cpu().eval()
            ft_acc = float((head_cpu(torch.from_numpy(ft_test)).argmax(1).numpy() == test.labels).mean())
        seed_rows.append({"epoch": epoch, "seed": seed, "source_val_acc": source_acc, "fe_acc": fe.accuracy, "ft_acc": ft_acc, **scores,
                          "train_images": len(train), "test_images": len(test)})
        for model, (tr, te) in (("pretrained", (fe.train_features, fe.test_features)), ("finetuned", (ft_train, ft_test))):
            for row in spectral_accuracies(tr, train.labels, te, test.labels, train.num_classes, settings, seed):
                spectral_rows.append({"epoch": epoch, "seed": seed, "model": model, **row})
        logs.append(log.assign(seed=seed))
        if embedding is None:
            rows = sample_per_class(test.labels, max(1, settings.embedding_points // test.num_classes), seed=seed)
            embedding = (pd.DataFrame({"test_row": rows, "label": test.labels[rows]}), fe.test_features[rows], ft_test[rows])
        print(f"checkpoint epoch {epoch} seed {seed}: source {source_acc:.4f} FE {fe.accuracy:.4f} FT {ft_acc:.4f} "
              + " ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)
    log_frame = pd.concat(logs, ignore_index=True)
    log_frame = log_frame[["seed", *[column for column in log_frame.columns if column != "seed"]]]
    return CheckpointStudy(pd.DataFrame(seed_rows), pd.DataFrame(spectral_rows), log_frame, *embedding)
