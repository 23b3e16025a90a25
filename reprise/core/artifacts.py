"""Reading and writing the pipeline's artifacts: Parquet tables, CSV, NPY arrays, JSON, text and
figures (checkpoints: :mod:`reprise.core.checkpoints`). No torch here, so a report stage that only
reads artifacts does not load the training stack.

Every writer is atomic: it writes next to the destination and renames at the end, so a stage that
fails leaves either the old file or nothing, never half of a new one. The same content gives the
same bytes (nothing in a file records when or under which temporary name it was written), so a
rerun that reproduces a result leaves DVC nothing new to cache. Every reader turns a missing or
unreadable file into a one-line :class:`~reprise.core.errors.InputError` naming it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from reprise.core.errors import InputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once: os.umask can only be read by setting it


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the destination's folder; rename it onto ``path`` on success.

    The file gets the mode of the file it replaces, or a new file's usual mode (``0o666`` less
    the umask), not the ``0o600`` of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_npy(array: np.ndarray, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array)


def _json_ready(value, digits: int | None):
    """``value`` with numpy scalars as Python numbers, NaN and infinities as None (JSON has
    neither, and DVC shows null as '-'), and floats rounded to ``digits`` places when given."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, digits) if digits is not None else value
    return value


def write_json(obj, path: str | Path, digits: int | None = None) -> None:
    """Write ``obj`` as JSON; ``digits`` rounds every float (metrics that people read)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_json_ready(obj, digits), indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_figure(fig, path: str | Path) -> None:
    """Save a matplotlib figure in the format of ``path``'s suffix (PNG: no date in its metadata,
    so the same figure is the same bytes)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip("."))


def check_outputs(outputs: list[tuple[str, str | Path]], inputs: list[tuple[str, str | Path]]) -> None:
    """Before any compute: every output can be written, and none is an input or another output.

    Both list ``(name, path)`` pairs, the name being what sets the path (a command-line flag). The
    same file is recognised by device and inode, so a link to an input or another spelling of its
    path is refused too. The first problem is a one-line :class:`InputError` naming the flag.
    """
    taken = [(name, Path(path)) for name, path in inputs]
    for name, path in outputs:
        path = Path(path)
        for other, other_path in taken:
            if _same_file(path, other_path):
                raise InputError(f"{name} {path} is the same file as {other} {other_path}, which writing would destroy; choose another {name}")
        _check_writable(name, path)
        taken.append((name, path))


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _check_writable(name: str, path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{name} {path} is a folder; give a file path")
    folder = path.parent
    while not folder.exists():  # atomic_path creates the missing folders under the first that exists
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{name} {path} cannot be written: {folder} is a file, not a folder; choose another {name}")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(f"{name} {path} cannot be written: {folder} is not writable ({exc.strerror}); choose another {name}") from exc


def existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(f"missing file {path}: run the stage that writes it first (dvc repro)")
    return path


def read_parquet(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(existing(path))
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"cannot read {path} as Parquet ({type(exc).__name__}); rerun the stage that writes it") from exc


def read_csv(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_csv(existing(path))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as CSV ({type(exc).__name__}); check the file") from exc


def read_npy(path: str | Path, mmap: bool = False) -> np.ndarray:
    try:
        return np.load(existing(path), mmap_mode="r" if mmap else None, allow_pickle=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as a NumPy .npy array ({exc}); check the file") from exc


def read_json(path: str | Path):
    try:
        return json.loads(existing(path).read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}); rerun the stage that writes it") from exc

