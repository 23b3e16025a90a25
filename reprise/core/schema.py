"""The rules a params value follows: its type, and its range or allowed values.

A :class:`Section` stops at the first key that is unknown (naming the closest valid one), missing,
of the wrong type or out of range, with a one-line :class:`~reprise.core.errors.InputError`. Each
section of ``params.yaml`` declares its keys' rules in its settings class
(:mod:`reprise.core.settings`); :mod:`reprise.settings` checks the whole file.

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
    """A list whose every item follows ``item`` (non-empty unless ``empty``; no item twice where
    ``distinct``)."""

    def __init__(self, item: Rule, empty: bool = False, distinct: bool = False) -> None:
        self.item, self.empty, self.distinct = item, empty, distinct
        self.description = f"a {'' if empty else 'non-empty '}list{' of distinct items' if distinct else ''}, each item {item.description}"

    def accepts(self, value) -> bool:
        if not isinstance(value, list) or not (self.empty or len(value) > 0):
            return False
        return not self.distinct or len({repr(v) for v in value}) == len(value)

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
ARCHS = Choice("glyph_resnet", "glyph_vgg", "resnet18", "resnet50")  # the glyph networks and torchvision ResNets the embedded world trains


class Bool(Rule):
    description = "true or false"

    def accepts(self, value) -> bool:
        return isinstance(value, bool)
