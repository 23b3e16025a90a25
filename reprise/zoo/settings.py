"""The model-selection study's section of ``params.yaml`` (the linearized model-selection paper):
the zoo's members, its multi-domain expert, its targets, the fine-tuning ground truth, the RSA
probe and the scores' knobs."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.errors import InputError
from reprise.core.schema import ARCHS, COUNT, INDEX, NON_NEGATIVE, POSITIVE, SHARE, ByMode, Either, ListOf, MapOf, Section, Table, Text
from reprise.core.settings import SectionSettings, key, nested
from reprise.world.settings import CONCEPTS

SUITE_PARAMS = "suite/params.yaml"  # the paper-regime zoo's section lives with the suite's

MEMBER = Either(  # embedded: pool concepts and an architecture, or a domain of the multi-domain expert; real: a weights file, or named weights
    Section({"concepts": CONCEPTS, "arch": ARCHS}), Section({"multidomain": Text()}), Section({"weights": Text(), "arch": Text()}),
    Section({"weights": Text(), "arch": Text(), "key_prefix": Text()}), Section({"arch": Text()}))


@dataclass(frozen=True)
class MultidomainSettings(SectionSettings):
    """The multi-domain expert: shared convolutions and a BatchNorm set a domain ({}: none)."""

    section = "zoo.multidomain"
    domains: dict = key(MapOf(CONCEPTS, empty=True))
    epochs: int = key(COUNT)


@dataclass(frozen=True)
class GroundTruthSettings(SectionSettings):
    """The ground truth (paper §4.2): each member fine-tuned at every rate, the best on validation."""

    section = "zoo.finetune"
    lrs: list[float] = key(ListOf(POSITIVE))
    epochs: int = key(ByMode(COUNT))
    milestones: list[float] = key(ListOf(SHARE, empty=True))
    weight_decay: float = key(NON_NEGATIVE)
    val_fraction: float = key(SHARE)


@dataclass(frozen=True)
class ProbeSettings(SectionSettings):
    """RSA's network trained from scratch on the target (paper App. C)."""

    section = "zoo.probe"
    arch: str = key(ByMode(ARCHS))
    lr: float = key(ByMode(POSITIVE))
    epochs: int = key(ByMode(COUNT))


@dataclass(frozen=True)
class ZooSettings(SectionSettings):
    """Model selection: which zoo member to fine-tune on each target."""

    section = "zoo"
    members: dict = key(MapOf(MEMBER))  # what each entry means: reprise.zoo.members.parse_member
    default: str = key(Text())
    images_per_class: int = key(COUNT)
    pretrain_epochs: int = key(COUNT)
    multidomain: MultidomainSettings = nested(MultidomainSettings)
    targets: list = key(ListOf(Either(Text(), Table())))  # names, or {name, train_dir, test_dir}: reprise.zoo.targets.parse_targets
    full_per_class: int = key(COUNT)
    few_per_class: int = key(COUNT)
    test_per_class: int = key(COUNT)
    score_per_class: int = key(COUNT)
    seeds: list[int] = key(ListOf(INDEX, distinct=True))
    finetune: GroundTruthSettings = nested(GroundTruthSettings)
    probe: ProbeSettings = nested(ProbeSettings)
    lgc_projection_dim: int = key(COUNT)
    ds_min_count: int = key(COUNT)
    split_seed: int = key(INDEX)

    def __post_init__(self) -> None:
        if self.default not in self.members:
            raise InputError(f"params.yaml: zoo.default {self.default!r} is not a zoo member ({', '.join(self.members)})")


@dataclass(frozen=True)
class PaperZooSettings(SectionSettings):
    """The zoo in the paper's regime (suite/dvc.yaml; docs/zoo.md): the pipeline's members, targets
    and scores (``zoo.*``), every member pre-trained once a seed of ``pretrain_seeds`` on
    ``images_per_class`` pool images a class for ``pretrain_epochs`` (the multi-domain expert
    ``multidomain_epochs``), the ground truth at every rate of ``lrs``, ``epochs`` long (the
    paper's 30; the rest of ``zoo.finetune``), in the regimes ``shots`` (name → training images a
    class) and ``full`` (``full_per_class`` a class). The fine-tuning seed of a pre-training run
    is its place in ``pretrain_seeds``. The default run's zoo (``zoo.*``) is a demonstration,
    smaller in each of these."""

    section = "zoo_paper"
    params_file = SUITE_PARAMS
    pretrain_seeds: list[int] = key(ListOf(INDEX, distinct=True))
    images_per_class: int = key(COUNT)
    pretrain_epochs: int = key(COUNT)
    multidomain_epochs: int = key(COUNT)
    shots: dict = key(MapOf(COUNT))
    full_per_class: int = key(COUNT)
    lrs: list[float] = key(ListOf(POSITIVE))
    epochs: int = key(COUNT)



def paper_run_seed(stage: str, argument: str, pretrain_seeds: list[int]) -> int:
    """The pre-training seed a paper-zoo ``stage`` (``python -m stages.<stage> PRETRAIN_SEED``) was
    given; an InputError unless it is one of ``zoo_paper.pretrain_seeds``."""
    if argument not in map(str, pretrain_seeds):
        raise InputError(f"usage: python -m stages.{stage} PRETRAIN_SEED, one of zoo_paper.pretrain_seeds {pretrain_seeds}; got {argument!r}")
    return int(argument)
