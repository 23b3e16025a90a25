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

import errno
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from reprise.core.errors import InputError, first_line


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once: os.umask can only be read by setting it


FIGURE_FORMATS = ("png", "pdf", "svg")  # what write_figure writes byte-identically run to run
# Metadata that would make the same figure different bytes: the creation date (PDF, SVG) and the
# software version (PDF); SVG's random ids are fixed by its hash salt.
_FIGURE_METADATA = {"pdf": {"CreationDate": None, "Producer": None, "Creator": None}, "svg": {"Date": None, "Creator": None}, "png": {"Software": None}}
_TEMP_PREFIX_CHARS = 64  # of the destination's name in its temporary file's name
NAME_MAX = 255  # bytes in a file name, on Linux's and macOS's file systems


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the destination's folder; rename it onto ``path`` on success.

    The file gets the permission bits of the file it replaces, or a new file's usual mode
    (``0o666`` less the umask), not the ``0o600`` of a temporary file; set-user-ID, set-group-ID
    and sticky bits are never carried over. A write that the system refuses (a full disk, a quota,
    a read-only folder) is a one-line :class:`InputError` naming ``path``, with nothing left there.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{_printable(path.name)[:_TEMP_PREFIX_CHARS]}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~UMASK)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {_os_reason(exc)}; {_os_fix(exc)}") from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _printable(name: str) -> str:
    """``name`` with any byte that is not UTF-8 (kept by Python as a lone surrogate) replaced, so
    that libraries that encode paths as UTF-8 can write the temporary file."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or first_line(exc)


def _os_fix(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(exc):
        return "free some space (or write elsewhere) and rerun"
    return "check the folder's permissions and free space, and rerun"


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
    """Save a matplotlib figure in the format of ``path``'s suffix, one of
    :data:`FIGURE_FORMATS` (checked first by :func:`check_figure_path`), with no date, version or
    random id in it, so the same figure is the same bytes."""
    import matplotlib

    fmt = check_figure_path("figure", path)
    with atomic_path(path) as tmp, matplotlib.rc_context({"svg.hashsalt": "reprise"}):
        fig.savefig(tmp, format=fmt, metadata=_FIGURE_METADATA[fmt])


def check_figure_path(name: str, path: str | Path) -> str:
    """The format of a figure path from its suffix; another suffix is a one-line
    :class:`InputError` naming ``name`` (the flag or param that sets the path)."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise InputError(f"{name} {path} must end in {', '.join('.' + f for f in FIGURE_FORMATS)}; choose one of those suffixes")
    return fmt


def check_outputs(outputs: list[tuple[str, str | Path]], inputs: list[tuple[str, str | Path]]) -> None:
    """Before any compute: every output can be written, and none is an input or another output.

    Both list ``(name, path)`` pairs, the name being what sets the path (a command-line flag). The
    same file is recognised by device and inode, so a link to an input or another spelling of its
    path is refused too. The first problem is a one-line :class:`InputError` naming the flag.
    """
    taken = [(name, Path(path)) for name, path in inputs]
    for name, path in outputs:
        path = Path(path)
        _check_name(name, path)  # first: a name too long makes every look at the path fail
        for other, other_path in taken:
            if _same_file(path, other_path):
                raise InputError(f"{name} {path} is the same file as {other} {other_path}, which writing would destroy; choose another {name}")
        _check_writable(name, path)
        taken.append((name, path))


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _check_name(name: str, path: Path) -> None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise InputError(f"{name} {path} cannot be written: the name {part[:40]!r}... is {len(os.fsencode(part))} bytes, "
                             f"more than the {NAME_MAX} that file systems allow; choose a shorter {name}")


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
    try:
        os.stat(path)
    except FileNotFoundError:
        raise InputError(f"missing file {path}: run the stage that writes it first (dvc repro), or correct the path") from None
    except OSError as exc:
        raise InputError(f"cannot open {path}: {_os_reason(exc)}; correct the path") from exc
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
    """A ``.npy`` array (memory-mapped with ``mmap``), in the machine's byte order: a big-endian
    file is read into memory in native order. A ``.npz`` archive, a pickled array or any other
    file is a one-line :class:`InputError`."""
    try:
        array = np.load(existing(path), mmap_mode="r" if mmap else None, allow_pickle=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as a NumPy .npy array ({first_line(exc)}); check the file") from exc
    if isinstance(array, np.lib.npyio.NpzFile):
        names = ", ".join(array.files[:3])
        array.close()
        raise InputError(f"{path} is a .npz archive (arrays {names}), not a .npy array; save the one array with numpy.save")
    if not array.dtype.isnative:
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    return array


def read_json(path: str | Path):
    try:
        return json.loads(existing(path).read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}); rerun the stage that writes it") from exc

