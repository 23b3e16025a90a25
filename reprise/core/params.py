"""``params.yaml``: the one place where every knob of the pipeline lives."""

from __future__ import annotations

from pathlib import Path

import yaml

from reprise.core.errors import InputError, first_line


class _DuplicateKey(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader refusing a key given twice in one mapping (the safe loader keeps the
    last value, so the first would be silently ignored)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise _DuplicateKey(f"key {key!r} appears twice in one section (lines {seen[key] + 1} and {key_node.start_mark.line + 1}); "
                                    "keep one of them")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def load_params(path: str | Path = "params.yaml") -> dict:
    """The params file as a nested dict; a missing or malformed file, or a key given twice in one
    section, is an :class:`InputError`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"missing {path}: run from the repository root, where params.yaml lives")
    try:
        params = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except _DuplicateKey as exc:
        raise InputError(f"{path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {first_line(exc)}") from exc
    if not isinstance(params, dict):
        raise InputError(f"{path} must hold a mapping of sections (world, pretrain, uot, ...)")
    return params


MODES = ("embedded", "real")


def for_mode(value, mode: str):
    """A param that differs between the embedded world and real mode is written
    ``{embedded: X, real: Y}`` (the embedded world's smaller setting, the paper's value): this
    picks the one for ``mode``; any other value applies to both."""
    if isinstance(value, dict) and set(value) == set(MODES):
        return value[mode]
    return value


def real_input(real, key: str, kind: str = "file") -> str:
    """A user-supplied path of the ``real`` settings (:class:`reprise.core.sections.RealSettings`;
    ``kind``: file or folder) that exists; unset or missing, a one-line :class:`InputError` naming
    ``real.<key>``."""
    value = getattr(real, key)
    if value is None:
        raise InputError(f"mode: real needs real.{key} (a {kind}); set it in params.yaml")
    path = Path(value)
    if not (path.is_dir() if kind == "folder" else path.is_file()):
        raise InputError(f"real.{key} is {value}, which is not an existing {kind}; correct the path in params.yaml")
    if kind == "file" and path.stat().st_size == 0:
        raise InputError(f"real.{key} is {value}, an empty file (the default is a placeholder); set real.{key} to your {key} file")
    return str(path)
