"""The testbed suite's section, ``testbed`` in ``suite/params.yaml``: its targets, seeds, methods,
the rate and λ grid, and each experiment's sweep (the pipeline's own knobs stay in params.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.schema import COUNT, INDEX, NON_NEGATIVE, POSITIVE, Bool, Choice, Int, ListOf, MapOf, Nullable, Real, Section
from reprise.core.settings import SectionSettings, key, nested

SUITE_PARAMS = "suite/params.yaml"
TARGET = Section({"labels_per_class": COUNT, "test_per_class": Nullable(COUNT), "elastic_alpha": NON_NEGATIVE})


@dataclass(frozen=True)
class TuningSettings(SectionSettings):
    """The rate and λ: the best mean validation top-1 over ``seeds`` seeds of the first
    pre-training run, one point per target (``shared``) or per method (the paper's protocol)."""

    section = "testbed.tuning"
    params_file = SUITE_PARAMS
    lrs: list[float] = key(ListOf(POSITIVE))
    lambdas: list[float] = key(ListOf(POSITIVE))
    val_fraction: float = key(Real(0, 1))
    seeds: int = key(COUNT)
    shared: bool = key(Bool())


@dataclass(frozen=True)
class LongTailSettings(SectionSettings):
    """Table 3: the largest class's images, and its ratio to the smallest."""

    section = "testbed.long_tail"
    params_file = SUITE_PARAMS
    largest: int = key(COUNT)
    ratio: float = key(Real(1, 1000, low_closed=True, high_closed=True))


@dataclass(frozen=True)
class ContrastiveSettings(SectionSettings):
    """Table 1b: the self-supervised backbone's pre-training epochs and its clusters."""

    section = "testbed.contrastive"
    params_file = SUITE_PARAMS
    epochs: int = key(COUNT)
    clusters: int = key(COUNT)


@dataclass(frozen=True)
class TestbedSettings(SectionSettings):
    """The testbed suite (docs/testbed.md)."""

    section = "testbed"
    params_file = SUITE_PARAMS
    targets: dict = key(MapOf(TARGET))  # name -> labels_per_class, test_per_class, elastic_alpha
    elastic_sigma: float = key(POSITIVE)
    pretrain_seeds: list[int] = key(ListOf(INDEX, distinct=True))  # the backbones' pre-training runs (the unit of replication)
    seeds: int = key(Int(2))        # Table 1's fine-tuning seeds a pre-training run
    sweep_seeds: int = key(Int(2))  # the sweeps' fine-tuning seeds a pre-training run
    workers: int = key(COUNT)
    methods: list[str] = key(ListOf(Choice("none", "random", "greedy", "uot", "label", "cotuning")))
    tuning: TuningSettings = nested(TuningSettings)
    k_multiples: list[float] = key(ListOf(POSITIVE))
    fractions: list[float] = key(ListOf(Real(0, 1, high_closed=True)))
    long_tail: LongTailSettings = nested(LongTailSettings)
    deciles: int = key(Int(2))
    clusters: list[int] = key(ListOf(COUNT))
    contrastive: ContrastiveSettings = nested(ContrastiveSettings)
