"""Typed settings: each section of ``params.yaml`` becomes one frozen object, checked against its
declared rules and resolved once (``{embedded, real}`` values for the run's mode, ``auto`` and
units), then passed down as it is.

A section is a frozen dataclass derived from :class:`SectionSettings` whose fields carry their
rule (:func:`key`) or are nested sections (:func:`nested`); its :meth:`SectionSettings.rule` is
the :class:`~reprise.core.schema.Section` that checks the params entry, with the one-line errors
of :mod:`reprise.core.schema`. A top-level value (``mode``, ``device``, ``jobs``) is a
:class:`Scalar`.

A stage declares what it reads, ``READS = (UotSettings, SelectSettings.keys("method", "unit"),
MODE)``: a whole section, some of its keys, or a scalar. :func:`stage_params` gives the stage a
:class:`StageParams` that builds only those sections and refuses to give anything else (an
:class:`UndeclaredParam` naming the key), so a stage cannot read a param that ``dvc.yaml`` does
not list; ``tools/dvc_deps.py`` writes each stage's ``params:`` from the same ``READS``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

from reprise.core.errors import InputError
from reprise.core.params import MODES, for_mode
from reprise.core.schema import ByMode, Choice, Rule, Section

PARAMS_FILE = "params.yaml"


class UndeclaredParam(Exception):
    """A stage read a param its ``READS`` (and so its ``dvc.yaml`` entry) does not declare: a defect
    of the stage, not of the user's input."""


def key(rule: Rule, convert: Callable[[Any], Any] | None = None, name: str | None = None) -> Any:
    """A field of a section: the ``rule`` its value must follow and, optionally, how the checked
    value becomes the field's (``auto`` to None, gigabytes to bytes) and the key's ``name`` in
    the file where it is not a Python name (``lambda``)."""
    return dataclasses.field(metadata={"rule": rule, "convert": convert, "name": name})


def _name(f: dataclasses.Field) -> str:
    """The key of field ``f`` in the params file."""
    return f.metadata.get("name") or f.name


def nested(section: type[SectionSettings]) -> Any:
    """A field that is a section of its own (``zoo.finetune``)."""
    return dataclasses.field(metadata={"section": section})


@dataclass(frozen=True)
class SectionSettings:
    """A section of a params file, checked and resolved (subclasses declare ``section`` and fields)."""

    section: ClassVar[str] = ""
    params_file: ClassVar[str] = PARAMS_FILE

    @classmethod
    def rule(cls) -> Section:
        return Section({_name(f): (f.metadata["section"].rule() if "section" in f.metadata else f.metadata["rule"]) for f in dataclasses.fields(cls)})

    @classmethod
    def parse(cls, value, mode: str = "embedded", where: str | None = None) -> SectionSettings:
        """The section from its params entry ``value``: checked (a one-line :class:`InputError`
        naming ``<section>.<key>`` and the file), then resolved for ``mode``."""
        cls.rule().check(value, cls.section, where or cls.params_file)
        return cls._build(value, mode)

    @classmethod
    def _build(cls, value: dict, mode: str) -> SectionSettings:
        fields = {}
        for f in dataclasses.fields(cls):
            v = value[_name(f)]
            if "section" in f.metadata:
                fields[f.name] = f.metadata["section"]._build(v, mode)
                continue
            if isinstance(f.metadata["rule"], ByMode):
                v = for_mode(v, mode)
            convert = f.metadata["convert"]
            fields[f.name] = convert(v) if convert else v
        return cls(**fields)

    @classmethod
    def keys(cls, *paths: str) -> Reads:
        """What a stage reads of this section: the keys ``paths`` (dotted below the section,
        ``multidomain.domains``; ``members.${key}``: the entry of the stage's argument)."""
        for path in paths:
            cls._field_path(path)
        return Reads(cls, tuple(paths))

    @classmethod
    def _field_path(cls, path: str) -> list[str]:
        names, section = path.split("."), cls
        for i, name in enumerate(names):
            fields = {_name(f): f for f in dataclasses.fields(section)} if section else {}
            if section is None:
                break  # inside a mapping: any name (``members.${key}``)
            if name not in fields:
                raise ValueError(f"{cls.section} has no key {'.'.join(names[: i + 1])}")
            section = fields[name].metadata.get("section")
        return names

    @classmethod
    def mode_paths(cls, prefix: str = "") -> list[str]:
        """The dotted keys whose value is written ``{embedded, real}``: reading them reads ``mode``."""
        out = []
        for f in dataclasses.fields(cls):
            if "section" in f.metadata:
                out += f.metadata["section"].mode_paths(f"{prefix}{_name(f)}.")
            elif isinstance(f.metadata["rule"], ByMode):
                out.append(prefix + _name(f))
        return out


@dataclass(frozen=True)
class Scalar:
    """A top-level value of the params file (``mode``, ``device``, ``jobs``)."""

    section: str
    rule_: Rule
    params_file: str = PARAMS_FILE

    def rule(self) -> Rule:
        return self.rule_

    def parse(self, value, mode: str = "embedded", where: str | None = None):
        self.rule_.check(value, self.section, where or self.params_file)
        return value


@dataclass(frozen=True)
class Reads:
    """Some keys of a section that a stage reads (``keys`` None: all of it)."""

    settings: type[SectionSettings] | Scalar
    keys: tuple[str, ...] | None = None

    def names(self) -> list[str]:
        """The names ``dvc.yaml`` lists under ``params:``."""
        section = self.settings.section
        return [section] if self.keys is None else [f"{section}.{k}" for k in self.keys]


def as_reads(entry) -> Reads:
    return entry if isinstance(entry, Reads) else Reads(entry)


def dvc_params(reads) -> dict[str, list[str]]:
    """``READS`` as ``dvc.yaml``'s ``params:`` entries, by params file, in declared order."""
    out: dict[str, list[str]] = {}
    for entry in map(as_reads, reads):
        out.setdefault(entry.settings.params_file, []).extend(entry.names())
    return out


class _View:
    """A section, or a mapping inside one, of which only the ``allowed`` tree may be read."""

    def __init__(self, target, allowed: dict, path: str) -> None:
        self._target, self._allowed, self._path = target, allowed, path

    def _get(self, name: str, value_of: Callable[[], Any]):
        name_in_file = name.removesuffix("_")  # lambda_: the key lambda
        if name_in_file in self._allowed:
            name = name_in_file
        if name not in self._allowed:
            raise UndeclaredParam(f"the stage reads {self._path}.{name}, which it does not declare in READS (nor dvc.yaml in params)")
        value = value_of()
        return _View(value, self._allowed[name], f"{self._path}.{name}") if self._allowed[name] else value

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._get(name, lambda: getattr(self._target, name))

    def __getitem__(self, name: str):
        return self._get(name, lambda: self._target[name])


def _tree(paths: tuple[str, ...]) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        for name in path.split("."):
            node = node.setdefault(name, {})
    return tree


class StageParams:
    """The params a stage declared, each section built (checked and resolved) on first use; any
    other read is an :class:`UndeclaredParam`. ``argument``: the stage's own argument, which
    ``${key}``/``${item}`` in a declared key stands for (a zoo member, an epoch)."""

    def __init__(self, files: Mapping[str, dict], reads, argument: str | None = None) -> None:
        self._files, self._argument, self._built = files, argument, {}
        self._reads = {}
        for entry in map(as_reads, reads):
            keys = None if entry.keys is None else tuple(k.replace("${key}", str(argument)).replace("${item}", str(argument)) for k in entry.keys)
            self._reads[entry.settings.section] = Reads(entry.settings, keys)
        main = files.get(PARAMS_FILE)
        self._mode = MODE.parse(main.get("mode")) if isinstance(main, dict) and "mode" in main else "embedded"

    def __getattr__(self, section: str):
        if section.startswith("_"):
            raise AttributeError(section)
        if section not in self._reads:
            raise UndeclaredParam(f"the stage reads {section}, which it does not declare in READS (nor dvc.yaml in params)")
        if section not in self._built:
            self._built[section] = self._build(self._reads[section])
        return self._built[section]

    def _build(self, entry: Reads):
        settings, keys = entry.settings, entry.keys
        where = settings.params_file
        params = self._files.get(where)
        if not isinstance(params, dict) or settings.section not in params:
            raise InputError(f"{where} has no {settings.section}; add it (the repository's {where} has every key)")
        if isinstance(settings, type) and "mode" not in self._reads:
            by_mode = [p for p in settings.mode_paths() if keys is None or any(_overlap(p, k) for k in keys)]
            if by_mode:
                raise UndeclaredParam(f"the stage reads {settings.section}.{by_mode[0]}, written {{embedded, real}}: declare mode in READS")
        value = settings.parse(params[settings.section], self._mode, where)
        return value if keys is None else _View(value, _tree(keys), settings.section)


def _overlap(a: str, b: str) -> bool:
    """Whether one dotted key lies within the other."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


MODE = Scalar("mode", Choice(*MODES))
