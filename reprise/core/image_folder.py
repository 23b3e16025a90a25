"""Indexing an ImageFolder tree (``root/<class>/<image>``) into an image table's index, with every
file decoded once, in parallel, so that a corrupt, truncated or empty image fails here, with its
path (or is left out, when asked), and not in the middle of training."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from reprise.core.errors import InputError
from reprise.core.images import open_image
from reprise.core.messages import warn
from reprise.core.progress import progress_bar

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
BAD_IMAGES = ("fail", "skip")
CHUNK = 256  # files a worker checks per task
MAX_IMAGE_PIXELS = 178_956_970  # real.max_image_pixels's default: twice Pillow's warning limit, where Pillow itself refuses a file


def index_image_folder(
    root: str | Path,
    class_names: list[str] | None = None,
    *,
    workers: int | None = None,
    bad_images: str = "fail",
    max_pixels: int = MAX_IMAGE_PIXELS,
    progress: bool = True,
) -> pd.DataFrame:
    """Index an ImageFolder tree into columns ``path``, ``label``, ``class_name``.

    Class folders are the sub-folders of ``root`` (links to folders included); names starting
    with ``.`` (``.git``, ``.ipynb_checkpoints``, macOS's ``._*`` files) and ``__MACOSX`` are
    ignored at every level, and a folder reached twice through links is walked once. The same file reached under
    two classes (a class folder linked to another) is a one-line :class:`InputError`; under one
    class it is indexed once.

    Every image is decoded (at reduced scale where the format allows) by ``workers`` processes
    (None: one per CPU). A file that cannot be decoded (a broken link, a link loop, an empty,
    corrupt or truncated file, or one of more than ``max_pixels`` pixels) is a one-line
    :class:`InputError` naming it (``bad_images: fail``), or is left out with a warning that
    names it (``skip``). ``class_names`` fixes the label order (e.g. the train split's classes
    for the test split).
    """
    if bad_images not in BAD_IMAGES:
        raise InputError(f"real.bad_images must be one of {', '.join(BAD_IMAGES)}, got {bad_images!r}")
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"image folder {root} does not exist; set the path in params.yaml (real: ...)")
    found = sorted(entry.name for entry in _entries(root) if _is_dir(entry))
    names = class_names if class_names is not None else found
    if not found:
        raise InputError(f"image folder {root} has no class sub-folders; expected {root}/<class>/<image files>, or set its path in params.yaml (real: ...)")
    for name in found:
        if not _is_utf8(name):
            raise InputError(f"class folder {root / name} has a name that is not UTF-8 text, which the index (Parquet) cannot store; rename it")
    unknown = sorted(set(found) - set(names))
    if unknown:
        raise InputError(f"{root} has class folders {unknown[:3]} that the training split lacks; the splits must share classes")
    rows = []
    for label, name in enumerate(names):
        folder = root / name
        files = _image_files(folder) if folder.is_dir() else []
        if not files:
            raise InputError(f"class folder {folder} holds no images; add images or remove the folder")
        rows.extend((path, label, name) for path in files)
    rows = _unique_files(rows)
    problems = _check_images([path for path, _, _ in rows], max_pixels, workers, progress, f"index {root.name}")
    if problems and bad_images == "fail":
        path, why = next(iter(problems.items()))
        more = f" ({len(problems) - 1} more bad files; real.bad_images: skip leaves them out)" if len(problems) > 1 else ""
        raise InputError(f"image {path} {why}; remove or replace it{more}")
    if problems:
        listed = "; ".join(f"{path} ({why})" for path, why in list(problems.items())[:5])
        warn(f"left out {len(problems)} unreadable images of {root} (real.bad_images: skip): {listed}{' …' if len(problems) > 5 else ''}")
        rows = [row for row in rows if row[0] not in problems]
        emptied = sorted(set(names) - {name for _, _, name in rows})
        if emptied:
            raise InputError(f"class folder {root / emptied[0]} holds no readable image; add images or remove the folder")
    return pd.DataFrame(rows, columns=["path", "label", "class_name"])


def _entries(folder: Path) -> list[os.DirEntry]:
    """The entries of a folder, hidden ones (a name starting with ``.``) and macOS archive
    leftovers (``__MACOSX``) left out."""
    try:
        with os.scandir(folder) as entries:
            return [entry for entry in entries if not entry.name.startswith(".") and entry.name != "__MACOSX"]
    except OSError as exc:
        raise InputError(f"cannot list folder {folder} ({exc.strerror}); check its permissions") from exc


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether an entry is a folder or a link to one (a broken link or a link loop is not)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _image_files(folder: Path) -> list[str]:
    """Image files under a class folder, sorted, by suffix (sub-folders and links to folders
    included, each folder walked once however many links reach it)."""
    out, todo, walked = [], [folder], set()
    while todo:
        current = todo.pop()
        identity = _identity(current)
        if identity in walked:
            continue
        walked.add(identity)
        for entry in _entries(current):
            if _is_dir(entry):
                todo.append(Path(entry.path))
            elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                out.append(entry.path)
    return sorted(out)


def _identity(path: str | Path) -> tuple[int, int] | str:
    """What names one file whatever the links to it: device and inode, or the path of a file
    that cannot be reached (a broken link)."""
    try:
        info = os.stat(path)
    except OSError:
        return str(path)
    return info.st_dev, info.st_ino


def _unique_files(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Rows with each file once: a file reached twice in one class (through a link) keeps its first
    path; one reached in two classes is an :class:`InputError`."""
    first: dict = {}
    unique = []
    for path, label, name in rows:
        identity = _identity(path)
        if identity not in first:
            first[identity] = (path, name)
            unique.append((path, label, name))
        elif first[identity][1] != name:
            other, other_name = first[identity]
            raise InputError(f"image {path} (class {name}) is the same file as {other} (class {other_name}), through a link; "
                             "an image must belong to one class: remove the link or one of the files")
    return unique


def _check_images(paths: list[str], max_pixels: int, workers: int | None, progress: bool, desc: str) -> dict[str, str]:
    """``{path: what is wrong}`` for the files that cannot be decoded, in path order."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    workers = min(os.cpu_count() or 1 if workers is None else workers, len(chunks))
    problems: dict[str, str] = {}
    bar = progress_bar(len(paths), desc, "img", progress)
    check = functools.partial(_check_chunk, max_pixels=max_pixels)
    with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for chunk, found in zip(chunks, (pool.map if pool else map)(check, chunks)):
            problems.update(found)
            bar.update(len(chunk))
    bar.close()
    return problems


def _check_chunk(paths: list[str], max_pixels: int) -> dict[str, str]:
    return {path: why for path in paths if (why := image_problem(path, max_pixels)) is not None}


def _is_utf8(text: str) -> bool:
    """Whether a file name decoded by Python is UTF-8 text (bytes that are not are kept as lone
    surrogates, which Parquet cannot store)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def image_problem(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> str | None:
    """What keeps an image file from being indexed, or None: a name that is not UTF-8, a broken
    link or link loop, not a regular file, unreadable, empty, larger than ``max_pixels``, not an image, or truncated (a JPEG
    is decoded at reduced scale, which still reads all of its data)."""
    if not _is_utf8(path):
        return "has a name that is not UTF-8 text, which the index (Parquet) cannot store; rename it"
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a loop of symbolic links"
        if os.path.islink(path):
            return f"is a broken link (to {os.readlink(path)})"
        return f"cannot be opened ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_size == 0:
        return "is empty (0 bytes)"
    try:
        with open_image(path) as img:
            width, height = img.size
            if width * height > max_pixels:
                return (f"is too large ({width}x{height} = {width * height} pixels, more than real.max_image_pixels = {max_pixels}, "
                        "the guard against decompression bombs); downscale it or raise real.max_image_pixels")
            img.draft(img.mode, (64, 64))
            img.load()
    except PermissionError as exc:
        return f"cannot be read ({exc.strerror})"
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError and more for bad files
        return f"is corrupt or truncated ({type(exc).__name__})"
    return None
