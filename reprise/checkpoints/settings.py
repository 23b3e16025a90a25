"""The ``checkpoints`` section of params.yaml, validated: which pre-training epochs are studied,
on which target, with which seeds, classifiers and fine-tuning (every problem a one-line
:class:`~reprise.core.errors.InputError`). No torch here: the report stage reads it too."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.errors import InputError
from reprise.core.params import for_mode

REAL_TARGET = "target"  # checkpoints.target: real mode's own target, from the real params


def check_threshold(threshold: float) -> float:
    """The share of the singular-value sum that F_m keeps, in (0, 1]."""
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise InputError(f"checkpoints.spectral_threshold must be in (0, 1], got {threshold!r}")
    return float(threshold)


@dataclass(frozen=True)
class StudySettings:
    """The ``checkpoints`` section of params.yaml that one checkpoint's study reads."""

    target: str                  # mnist | digits (embedded), or target: real mode's own target
    target_dirs: tuple[str, str] | None  # target: real.target_train_dir and real.target_test_dir
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


def settings_from_params(c: dict, mode: str = "embedded", real: dict | None = None) -> StudySettings:
    """Validate the ``checkpoints`` section for ``mode`` (values written ``{embedded, real}``
    take the one of ``mode``; ``real``: the ``real`` section, whose target ``checkpoints.target:
    target`` studies in real mode); every problem is a one-line :class:`InputError`."""
    seeds = c.get("seeds")
    if not isinstance(seeds, list) or not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise InputError(f"checkpoints.seeds must be a non-empty list of distinct non-negative integers, got {seeds!r}")
    classifier = dict(c.get("classifier") or {})
    for key in ("batch_size", "fe_epochs", "spectral_epochs"):
        _positive_int(classifier.get(key), f"classifier.{key}")
    finetune_cfg = {key: for_mode(value, mode) for key, value in (c.get("finetune") or {}).items()}
    for key in ("epochs", "batch_size"):
        _positive_int(finetune_cfg.get(key), f"finetune.{key}")
    for cfg, key in ((classifier, "classifier.lr"), (finetune_cfg, "finetune.lr")):
        value = cfg.get(key.split(".")[1])
        if not isinstance(value, (int, float)) or not value > 0:
            raise InputError(f"checkpoints.{key} must be positive, got {value!r}")
    test_per_class = c.get("test_per_class")
    target = c.get("target")
    if target == REAL_TARGET and (mode != "real" or real is None):
        raise InputError(f"checkpoints.target: {REAL_TARGET} is real mode's own target; set mode: real, or an embedded target (mnist, digits)")
    return StudySettings(
        target=target,
        target_dirs=(real["target_train_dir"], real["target_test_dir"]) if target == REAL_TARGET else None,
        labels_per_class=_positive_int(c.get("labels_per_class"), "labels_per_class"),
        test_per_class=None if test_per_class is None else _positive_int(test_per_class, "test_per_class"),
        seeds=tuple(seeds),
        classifier=classifier,
        finetune=finetune_cfg,
        spectral_threshold=check_threshold(c.get("spectral_threshold")),
        embedding_points=_positive_int(c.get("embedding_points"), "embedding_points"),
    )


