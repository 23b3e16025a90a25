"""The declared shape of ``params.yaml``: every key, its type, and its range or allowed values.

:func:`check_params` stops at the first key that is unknown (naming the closest valid one), missing,
of the wrong type or out of range, with a one-line :class:`~reprise.core.errors.InputError`.
:func:`reprise.core.stage.run_stage` calls it before every stage, so that a misspelt key, or one
added with ``dvc exp run -S +uot.tau=0.5``, stops the pipeline instead of being ignored.

What a value means is checked where it is used: which glyph concepts exist (``world.concepts``,
``zoo.multidomain.domains``), which domain a zoo member names, the keys of a real zoo target,
whether an epoch was kept. The allowed values below belong to modules that load torch, which
this module, read by the report stages, does not; ``tests/core/test_schema.py`` checks that they
agree.
"""

from __future__ import annotations

import difflib
import math

from reprise.core.errors import InputError
from reprise.core.params import MODES


class Rule:
    """One value's rule: :meth:`check` raises :class:`InputError` naming ``key`` and ``where``."""

    description = ""

    def check(self, value, key: str, where: str) -> None:
        if not self.accepts(value):
            raise InputError(f"{where}: {key} must be {self.description}, got {value!r}{_hint(value)}")

    def accepts(self, value) -> bool:
        raise NotImplementedError


class Int(Rule):
    """An integer of at least ``minimum`` (YAML's booleans are not integers)."""

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.description = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer of at least {minimum}")

    def accepts(self, value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum


class Real(Rule):
    """A finite number in an interval: ``low``/``high`` bounds, each open unless marked closed."""

    def __init__(self, low: float | None = None, high: float | None = None, low_closed: bool = False, high_closed: bool = False) -> None:
        self.low, self.high, self.low_closed, self.high_closed = low, high, low_closed, high_closed
        if high is None:
            self.description = {(0, False): "a positive number", (0, True): "a non-negative number"}[(low, low_closed)]
        else:
            self.description = f"a number in {'[' if low_closed else '('}{low}, {high}{']' if high_closed else ')'}"

    def accepts(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        above = self.low is None or value > self.low or (self.low_closed and value == self.low)
        below = self.high is None or value < self.high or (self.high_closed and value == self.high)
        return above and below


class Choice(Rule):
    def __init__(self, *values) -> None:
        self.values = values
        self.description = f"one of {', '.join(map(str, values))}"

    def accepts(self, value) -> bool:
        return isinstance(value, (str, int)) and not isinstance(value, bool) and value in self.values


class Text(Rule):
    description = "a string"

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value != ""


class Table(Rule):
    """A mapping whose entries the module that reads it checks."""

    description = "a mapping"

    def accepts(self, value) -> bool:
        return isinstance(value, dict)


class Either(Rule):
    """The first of ``rules`` that accepts the value (lists and mappings are checked inside)."""

    def __init__(self, *rules: Rule) -> None:
        self.rules = rules
        self.description = " or ".join(rule.description for rule in rules)

    def check(self, value, key: str, where: str) -> None:
        for rule in self.rules:
            if rule.accepts(value):
                rule.check(value, key, where)
                return
        super().check(value, key, where)

    def accepts(self, value) -> bool:
        return any(rule.accepts(value) for rule in self.rules)


class Null(Rule):
    description = "null"

    def accepts(self, value) -> bool:
        return value is None


def Nullable(rule: Rule) -> Either:  # noqa: N802  (a rule, named like the others)
    """``rule``, or null."""
    return Either(Null(), rule)


class ListOf(Rule):
    """A list whose every item follows ``item`` (non-empty unless ``empty``)."""

    def __init__(self, item: Rule, empty: bool = False) -> None:
        self.item, self.empty = item, empty
        self.description = f"a {'' if empty else 'non-empty '}list, each item {item.description}"

    def accepts(self, value) -> bool:
        return isinstance(value, list) and (self.empty or len(value) > 0)

    def check(self, value, key: str, where: str) -> None:
        super().check(value, key, where)
        for i, item in enumerate(value):
            self.item.check(item, f"{key}[{i}]", where)


class MapOf(Rule):
    """A mapping of free names to values that follow ``value`` (non-empty unless ``empty``)."""

    def __init__(self, value: Rule, empty: bool = False) -> None:
        self.value, self.empty = value, empty
        self.description = f"a {'' if empty else 'non-empty '}mapping of names to {value.description}"

    def accepts(self, value) -> bool:
        return isinstance(value, dict) and (self.empty or len(value) > 0) and all(isinstance(k, str) and k for k in value)

    def check(self, value, key: str, where: str) -> None:
        super().check(value, key, where)
        for name, entry in value.items():
            self.value.check(entry, f"{key}.{name}", where)


class ByMode(Either):
    """A value for both modes, or ``{embedded: X, real: Y}`` (see :func:`reprise.core.params.for_mode`)."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule, Section({mode: rule for mode in MODES}))


class Section(Rule):
    """A mapping with exactly the declared keys."""

    def __init__(self, keys: dict[str, Rule]) -> None:
        self.keys = keys
        self.description = f"a mapping of {', '.join(keys)}"

    def accepts(self, value) -> bool:
        return isinstance(value, dict) and set(value) == set(self.keys)

    def check(self, value, key: str, where: str) -> None:
        prefix = f"{key}." if key else ""
        if not isinstance(value, dict):
            super().check(value, key or "the file", where)
        for name in value:
            if name not in self.keys:
                close = _closest(str(name), list(self.keys))
                fix = f"did you mean {' or '.join(prefix + c for c in close)}?" if close else f"{key or 'the file'} holds {', '.join(self.keys)}"
                raise InputError(f"{where}: unknown key {prefix}{name}; {fix}")
        for name, rule in self.keys.items():
            if name not in value:
                raise InputError(f"{where}: {prefix}{name} is missing; add it (the repository's params.yaml has every key)")
            rule.check(value[name], f"{prefix}{name}", where)


def _closest(name: str, keys: list[str]) -> list[str]:
    """The valid keys closest to ``name`` (difflib's ratio, at least 0.6), all of them on a tie,
    in declared order."""
    close = difflib.get_close_matches(name, keys, n=len(keys))
    best = difflib.SequenceMatcher(None, name, close[0]).ratio() if close else None
    return [k for k in keys if k in close and difflib.SequenceMatcher(None, name, k).ratio() == best]


def _hint(value) -> str:
    """YAML reads ``1e-9`` (no dot) as text: say so when a number was meant."""
    try:
        float(value)
    except (TypeError, ValueError):
        return ""
    return " (YAML reads a number like 1e-9 as text: write 1.0e-9)" if isinstance(value, str) else ""


POSITIVE, NON_NEGATIVE = Real(0), Real(0, low_closed=True)
COUNT, INDEX = Int(1), Int(0)  # a positive count; a seed or another non-negative integer
SHARE = Real(0, 1)  # a fraction strictly between 0 and 1
MOMENTUM = SHARE  # SGD with Nesterov momentum needs it above 0
PATH = Nullable(Text())
COSTS = Choice("cos", "l2")
ARCHS = Choice("glyph_resnet", "glyph_vgg", "resnet18", "resnet50")
HANDWRITING = Choice("mnist", "digits")
CONCEPTS = Either(Choice("all"), ListOf(Text()))
MEMBER = Either(  # embedded: pool concepts and an architecture, or a domain of the multi-domain expert; real: a weights file
    Section({"concepts": CONCEPTS, "arch": ARCHS}), Section({"multidomain": Text()}), Section({"weights": Text(), "arch": Text()}),
    Section({"weights": Text(), "arch": Text(), "key_prefix": Text()}))

PARAMS = Section({
    "mode": Choice(*MODES),
    "world": Section({"concepts": CONCEPTS, "images_per_class": COUNT, "val_per_class": COUNT, "seed": INDEX}),
    "target": Section({"name": HANDWRITING, "labels_per_class": COUNT, "test_per_class": Nullable(COUNT), "seed": INDEX}),
    "real": Section({
        "source_dir": Text(), "source_concepts": PATH, "target_train_dir": Text(), "target_test_dir": Text(), "target_concept": PATH,
        "weights": Text(), "weights_format": Choice("torchvision", "moco_v2"), "arch": Text(), "key_prefix": Nullable(Text()),
        "image_size": COUNT, "index_workers": Nullable(COUNT), "bad_images": Choice("fail", "skip"),
    }),
    "pretrain": Section({
        "mode": Choice("supervised", "contrastive"), "arch": ARCHS, "widths": ListOf(COUNT), "epochs": COUNT,
        "keep_epochs": ListOf(COUNT, empty=True), "batch_size": COUNT, "lr": POSITIVE, "momentum": MOMENTUM, "weight_decay": NON_NEGATIVE,
        "seed": INDEX, "projection_dim": COUNT, "temperature": POSITIVE,
    }),
    "device": Text(),
    "jobs": Either(Choice("auto"), COUNT),  # reprise.core.jobs: independent runs of a stage side by side  # pick_device judges it: auto, cpu, cuda or cuda:N where CUDA is present
    "extract": Section({"checkpoint": Either(Choice("last"), INDEX), "layer": Choice("penultimate", "projection"), "batch_size": COUNT}),
    "loader": Section({"num_workers": Either(Choice("auto"), INDEX), "prefetch_factor": COUNT}),
    "distributed": Section({"processes": COUNT}),  # reprise.core.distributed: torchrun on this machine
    "cluster": Section({"k": Int(2), "iterations": COUNT, "seed": INDEX}),
    "uot": Section({
        "eps": POSITIVE, "tau1": POSITIVE, "tau2": POSITIVE, "eps_c": POSITIVE, "cost": COSTS, "source_weight": POSITIVE,
        "block_rows": Nullable(COUNT), "memory_budget": Either(Choice("auto"), NON_NEGATIVE), "tol": POSITIVE, "max_iter": COUNT,
    }),
    "select": Section({
        "method": Choice("uot", "greedy", "random", "label", "none", "cotuning"), "unit": Choice("class", "cluster", "image"), "k": COUNT,
        "seed": INDEX, "greedy_cost": COSTS,
    }),
    "finetune": Section({
        "epochs": COUNT, "batch_size": COUNT, "lr": POSITIVE, "momentum": MOMENTUM, "weight_decay": NON_NEGATIVE, "lambda": NON_NEGATIVE,
        "seed": INDEX, "eval_every": COUNT,
    }),
    "zoo": Section({
        "members": MapOf(MEMBER),  # what each entry means: reprise.zoo.members.parse_member
        "default": Text(),
        "images_per_class": COUNT,
        "pretrain_epochs": COUNT,
        "multidomain": Section({"domains": MapOf(CONCEPTS, empty=True), "epochs": COUNT}),  # {}: no multi-domain expert
        "targets": ListOf(Either(Text(), Table())),  # names, or {name, train_dir, test_dir}: reprise.zoo.targets.parse_targets
        "full_per_class": COUNT,
        "few_per_class": COUNT,
        "test_per_class": COUNT,
        "score_per_class": COUNT,
        "seeds": ListOf(INDEX),
        "finetune": Section({"lrs": ListOf(POSITIVE), "epochs": ByMode(COUNT), "milestones": ListOf(SHARE, empty=True),
                             "weight_decay": NON_NEGATIVE, "val_fraction": SHARE}),
        "probe": Section({"arch": ByMode(ARCHS), "lr": ByMode(POSITIVE), "epochs": ByMode(COUNT)}),
        "lgc_projection_dim": COUNT,
        "ds_min_count": COUNT,
        "split_seed": INDEX,
    }),
    "checkpoints": Section({
        "epochs": ListOf(INDEX),
        "target": Choice("mnist", "digits", "target"),  # target: real mode's own (reprise.checkpoints.settings)
        "labels_per_class": COUNT,
        "test_per_class": Nullable(COUNT),
        "seeds": ListOf(INDEX),
        "classifier": Section({"lr": POSITIVE, "batch_size": COUNT, "fe_epochs": COUNT, "spectral_epochs": COUNT}),
        "finetune": Section({"epochs": ByMode(COUNT), "batch_size": COUNT, "lr": POSITIVE, "momentum": MOMENTUM, "weight_decay": NON_NEGATIVE}),
        "spectral_threshold": Real(0, 1, high_closed=True),
        "embedding_points": COUNT,
        "tsne_perplexity": POSITIVE,
    }),
})


def check_params(params: dict, where: str = "params.yaml") -> None:
    """Raise a one-line :class:`InputError` for the first key of ``params`` that :data:`PARAMS`
    does not declare, or that is missing, mistyped or out of range."""
    PARAMS.check(params, "", where)
