"""The checkpoint study's section of ``params.yaml`` (the third paper): which pre-training epochs
are studied, on which target, with which seeds, classifiers and fine-tuning. No torch here: the
report stage reads it too."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.errors import InputError
from reprise.core.schema import COUNT, INDEX, MOMENTUM, NON_NEGATIVE, POSITIVE, ByMode, Choice, ListOf, MapOf, Nullable, Real, Section, Text
from reprise.core.settings import SectionSettings, key, nested

REAL_TARGET = "target"  # checkpoints.target: real mode's own target, from the real params
SUITE_PARAMS = "suite/params.yaml"  # the near- and far-source experiments' sections live with the suite's
SOURCE = Section({"concepts": ListOf(Text(), distinct=True), "label_noise": Real(0, 1, low_closed=True)})  # concepts: the pool's judge


def check_threshold(threshold: float) -> float:
    """The share of the singular-value sum that F_m keeps, in (0, 1]."""
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise InputError(f"checkpoints.spectral_threshold must be in (0, 1], got {threshold!r}")
    return float(threshold)


@dataclass(frozen=True)
class ClassifierSettings(SectionSettings):
    """The softmax classifier on frozen features, FE and spectral (paper §4.4: Adam, lr 0.01, batch 128);
    ``batch_size`` is also the batch b of the batched SVD F = U Σ Vᵀ."""

    section = "checkpoints.classifier"
    lr: float = key(POSITIVE)
    batch_size: int = key(COUNT)
    fe_epochs: int = key(COUNT)
    spectral_epochs: int = key(COUNT)


@dataclass(frozen=True)
class StudyFinetuneSettings(SectionSettings):
    """FT: the whole backbone and a new head (SGD, Nesterov, lr / 10 at 60% and 80%)."""

    section = "checkpoints.finetune"
    epochs: int = key(ByMode(COUNT))
    batch_size: int = key(COUNT)
    lr: float = key(POSITIVE)
    momentum: float = key(MOMENTUM)
    weight_decay: float = key(NON_NEGATIVE)


@dataclass(frozen=True)
class CheckpointSettings(SectionSettings):
    """The checkpoint study: FE against FT along the pre-training run."""

    section = "checkpoints"
    epochs: list[int] = key(ListOf(INDEX, distinct=True), convert=sorted)
    target: str = key(Choice("mnist", "digits", REAL_TARGET))  # target: real mode's own
    labels_per_class: int = key(COUNT)
    test_per_class: int | None = key(Nullable(COUNT))
    seeds: list[int] = key(ListOf(INDEX, distinct=True))
    classifier: ClassifierSettings = nested(ClassifierSettings)
    finetune: StudyFinetuneSettings = nested(StudyFinetuneSettings)
    spectral_threshold: float = key(Real(0, 1, high_closed=True))
    embedding_points: int = key(COUNT)
    tsne_perplexity: float = key(POSITIVE)
    lgc_projection_dim: int = key(COUNT)  # LGC's projection of a checkpoint's gradients (as zoo.lgc_projection_dim)
    ds_min_count: int = key(COUNT)        # Domain Similarity leaves out source classes with fewer images (App. C: 5)


@dataclass(frozen=True)
class StudySettings:
    """What one checkpoint's study reads: the ``checkpoints`` section, and for real mode's own
    target (``checkpoints.target: target``) its two folders."""

    target: str                  # mnist | digits (embedded), or target: real mode's own target
    target_dirs: tuple[str, str] | None  # target: real.target_train_dir and real.target_test_dir
    labels_per_class: int        # labelled training images a class (the paper's toy: 100)
    test_per_class: int | None   # test images a class (None: all the rest)
    seeds: tuple[int, ...]       # one target split and one set of training runs each
    classifier: ClassifierSettings
    finetune: StudyFinetuneSettings
    spectral_threshold: float    # share of the singular-value sum kept by F_m (paper: 0.8)
    embedding_points: int        # test images kept for the t-SNE embedding (first seed)


def study_settings(c, mode: str, real=None) -> StudySettings:
    """The study's settings from the ``checkpoints`` section ``c`` (a :class:`CheckpointSettings`)
    for ``mode``; ``real``: the ``real`` section, whose target ``checkpoints.target: target``
    studies in real mode."""
    if c.target == REAL_TARGET and (mode != "real" or real is None):
        raise InputError(f"checkpoints.target: {REAL_TARGET} is real mode's own target; set mode: real, or an embedded target (mnist, digits)")
    return StudySettings(
        target=c.target, target_dirs=(real.target_train_dir, real.target_test_dir) if c.target == REAL_TARGET else None,
        labels_per_class=c.labels_per_class, test_per_class=c.test_per_class, seeds=tuple(c.seeds), classifier=c.classifier,
        finetune=c.finetune, spectral_threshold=c.spectral_threshold, embedding_points=c.embedding_points,
    )


@dataclass(frozen=True)
class NearSourceSettings(SectionSettings):
    """The checkpoint study at its full embedded size (suite/dvc.yaml): the default run's own
    pre-training run (the whole pool, a near source: it holds the target's concept) studied at
    ``epochs`` with ``seeds``, fine-tuning ``finetune_epochs`` long; everything else as the
    ``checkpoints`` section. The default run's study is the same, smaller."""

    section = "near_source"
    params_file = SUITE_PARAMS
    epochs: list[int] = key(ListOf(INDEX, distinct=True), convert=sorted)
    seeds: list[int] = key(ListOf(INDEX, distinct=True))
    finetune_epochs: int = key(COUNT)


def embedded_study(c, *, seeds, finetune_epochs: int, embedding_points: int, experiment: str) -> StudySettings:
    """A suite experiment's study settings: the embedded ``checkpoints`` section ``c`` (its target,
    classifiers, fine-tuning recipe and spectral threshold) with the experiment's ``seeds``,
    fine-tuning length and t-SNE points (0: none)."""
    if c.target == REAL_TARGET:
        raise InputError(f"the {experiment} runs on an embedded target; set checkpoints.target to mnist or digits")
    f = c.finetune
    finetune = StudyFinetuneSettings(epochs=finetune_epochs, batch_size=f.batch_size, lr=f.lr, momentum=f.momentum, weight_decay=f.weight_decay)
    return StudySettings(target=c.target, target_dirs=None, labels_per_class=c.labels_per_class, test_per_class=c.test_per_class,
                         seeds=tuple(seeds), classifier=c.classifier, finetune=finetune, spectral_threshold=c.spectral_threshold,
                         embedding_points=embedding_points)


@dataclass(frozen=True)
class FarSourceSettings(SectionSettings):
    """The checkpoint study where its paper places the effect (suite/dvc.yaml): a source far from
    the target and small enough to memorise, pre-trained long, studied at log-spaced checkpoints
    over several pre-training runs. ``sources``: name -> pool concepts and the share of labels
    replaced by another class (memorising through noise)."""

    section = "far_source"
    params_file = SUITE_PARAMS
    sources: dict = key(MapOf(SOURCE))
    images_per_class: int = key(COUNT)
    epochs: int = key(COUNT)
    checkpoints: list[int] = key(ListOf(COUNT, distinct=True), convert=sorted)
    pretrain_seeds: list[int] = key(ListOf(INDEX, distinct=True))
    finetune_epochs: int = key(COUNT)
