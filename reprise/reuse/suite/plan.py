"""The runs of each of the testbed suite's experiments, and the key that names a run.

A run is one fine-tuning, named by ``experiment, target, setting, method, pretrain_seed, seed``
(:data:`RUN_KEY`): ``pretrain_seed`` names the pre-training run whose backbone it fine-tunes, and
every pre-training run has its own fine-tuning seeds (:func:`finetune_seeds`). The methods of one
(target, setting, pretrain_seed, seed) share the backbone, target split and renderings, so that
their differences are paired. The experiments are listed in :mod:`reprise.reuse.suite`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from reprise.core.errors import InputError
from reprise.reuse.suite.settings import TestbedSettings
from reprise.world.handwriting import HANDWRITING

EXPERIMENTS = ("tuning", "table1", "k", "low_data", "long_tail", "deciles", "clusters", "table1b")
RUN_KEY = ("experiment", "target", "setting", "method", "pretrain_seed", "seed")
COLUMNS = (*RUN_KEY, "top1")  # the first columns of every experiment's rows
CLUSTER_METHOD = " (clusters)"  # suffix of a method that reuses k-means clusters (table1b)
CLUSTER_EXPERIMENTS = ("clusters", "table1b")  # the experiments whose runs reuse k-means clusters


def run_key(values: Mapping) -> tuple:
    """The key of a run, from a :class:`Run`'s fields (``vars(run)``) or from its row."""
    return tuple(values[c] for c in RUN_KEY)


@dataclass(frozen=True)
class Run:
    """One fine-tuning of an experiment. ``knobs``: how it departs from plain Table 1 reuse
    (``k``, ``counts`` of the training set, ``decile``, ``clusters``, ``backbone``)."""

    experiment: str
    target: str
    setting: str
    method: str
    pretrain_seed: int
    seed: int
    lr: float
    lam: float
    knobs: dict = field(default_factory=dict, hash=False)


def related_classes(target: str, pool_concepts: list[str]) -> int:
    """The pool's classes of the target's concept (the classes label-based selection reuses)."""
    concept = "digit" if target in HANDWRITING else target  # handwriting's concept in the pool
    related = sum(c == concept for c in pool_concepts)
    if not related:
        raise InputError(f"testbed target {target}: the pool has no class of its concept {concept!r}; add it to world.concepts")
    return related


def finetune_seeds(cfg: TestbedSettings, pretrain_seed: int, count: int) -> range:
    """The ``count`` fine-tuning seeds of the pre-training run ``pretrain_seed``: the i-th run of
    ``cfg.pretrain_seeds`` takes seeds i·count .. i·count + count − 1, so no two runs share a
    target split."""
    first = cfg.pretrain_seeds.index(pretrain_seed) * count
    return range(first, first + count)


def plan(experiment: str, cfg: TestbedSettings, pool_concepts: list[str], tuned: pd.DataFrame | None = None) -> list[Run]:
    """Every run of ``experiment`` under the ``testbed`` settings ``cfg`` on a pool whose classes
    have the concepts ``pool_concepts``, by pre-training run (so that an interrupted experiment has
    whole runs done); all but ``tuning`` take each method's rate and λ from ``tuned`` (the
    ``tuning`` experiment's :func:`reprise.reuse.suite.tuning.chosen`). ``tuning`` runs on the
    first pre-training run's backbone only: the rate and λ are the recipe's, chosen once."""
    if experiment not in EXPERIMENTS:
        raise InputError(f"unknown testbed experiment {experiment!r}; use one of {', '.join(EXPERIMENTS)}")
    runs = []
    for pretrain_seed in cfg.pretrain_seeds[:1] if experiment == "tuning" else cfg.pretrain_seeds:
        for target in cfg.targets:
            runs.extend(_target_runs(experiment, cfg, pool_concepts, tuned, pretrain_seed, target))
    return runs


def _target_runs(experiment: str, cfg: TestbedSettings, pool_concepts: list[str], tuned: pd.DataFrame | None, pretrain_seed: int,
                 target: str) -> list[Run]:
    runs, related = [], related_classes(target, pool_concepts)

    def add(setting, method, seeds, tuned_as=None, **knobs):
        lr, lam = _hyper(tuned, target, tuned_as or method)
        runs.extend(Run(experiment, target, setting, method, pretrain_seed, s, lr, lam, knobs) for s in seeds)

    seeds, sweep = finetune_seeds(cfg, pretrain_seed, cfg.seeds), finetune_seeds(cfg, pretrain_seed, cfg.sweep_seeds)
    if experiment == "tuning":
        t = cfg.tuning
        for method in cfg.methods:
            for lr in t.lrs:
                for lam in (t.lambdas if method != "none" else [0.0]):
                    setting = f"lr={lr:g} lambda={lam:g}"
                    runs.extend(Run(experiment, target, setting, method, pretrain_seed, s, lr, lam, {"k": related})
                                for s in finetune_seeds(cfg, pretrain_seed, t.seeds))
    elif experiment == "table1":
        for method in cfg.methods:
            add(f"K={related}", method, seeds, k=related)
    elif experiment == "k":
        for multiple in cfg.k_multiples:
            k = max(1, round(multiple * related))
            for method in ("uot", "random"):
                add(f"K={k} ({multiple:g}x)", method, sweep, k=k)
    elif experiment == "low_data":
        for fraction in cfg.fractions:
            for method in ("none", "uot"):
                add(f"{round(100 * fraction)}%", method, sweep, k=related, fraction=fraction)
    elif experiment == "long_tail":
        for profile in ("balanced", "long tail"):
            for method in ("none", "uot"):
                add(profile, method, sweep, k=related, profile=profile)
    elif experiment == "deciles":
        add("deciles", "none", sweep)
        for d in range(1, cfg.deciles + 1):
            add("deciles", f"decile {d}", sweep, tuned_as="uot", decile=d)
    elif experiment == "clusters":
        for n in cfg.clusters:
            k = max(1, round(n * related / len(pool_concepts)))
            for method in ("uot", "random"):
                add(f"{n} clusters, K={k}", method, sweep, k=k, clusters=n)
    else:  # table1b
        n = cfg.contrastive.clusters
        k_clusters = max(1, round(n * related / len(pool_concepts)))
        for method in ("none", "random", "uot", "label"):
            add("self-supervised", method, sweep, k=related, backbone="contrastive")
        for method in ("random", "uot"):
            add("self-supervised", method + CLUSTER_METHOD, sweep, tuned_as=method, k=k_clusters, clusters=n, backbone="contrastive")
    return runs


def _hyper(tuned: pd.DataFrame | None, target: str, method: str) -> tuple[float, float]:
    if tuned is None:
        return float("nan"), float("nan")
    row = tuned[(tuned["target"] == target) & (tuned["method"] == method)]
    if len(row) != 1:
        raise InputError(f"the tuning results have no chosen rate for {method} on {target}; run the testbed's tuning stage")
    return float(row["lr"].iloc[0]), float(row["lambda"].iloc[0])
