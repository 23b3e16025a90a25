"""Indexing an ImageFolder tree (``root/<class>/<image>``) into an image table's index, with every
file decoded once, in parallel, so that a corrupt, truncated or empty image fails here, with its
path (or is left out, when asked), and not in the middle of training."""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
from PIL import Image

from reprise.core.errors import InputError
from reprise.core.messages import warn
from reprise.core.progress import progress_bar

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
BAD_IMAGES = ("fail", "skip")
CHUNK = 256  # files a worker checks per task


def index_image_folder(
    root: str | Path,
    class_names: list[str] | None = None,
    *,
    workers: int | None = None,
    bad_images: str = "fail",
    progress: bool = True,
) -> pd.DataFrame:
    """Index an ImageFolder tree into columns ``path``, ``label``, ``class_name``.

    Every image is decoded (at reduced scale where the format allows) by ``workers`` processes
    (None: one per CPU). A file that cannot be decoded is a one-line :class:`InputError` naming
    it (``bad_images: fail``), or is left out with a warning that names it (``skip``).
    ``class_names`` fixes the label order (e.g. the train split's classes for the test split).
    """
    if bad_images not in BAD_IMAGES:
        raise InputError(f"real.bad_images must be one of {', '.join(BAD_IMAGES)}, got {bad_images!r}")
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"image folder {root} does not exist; set the path in params.yaml (real: ...)")
    found = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    names = class_names if class_names is not None else found
    if not found:
        raise InputError(f"image folder {root} has no class sub-folders; expected {root}/<class>/<image files>, or set its path in params.yaml (real: ...)")
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
    problems = _check_images([path for path, _, _ in rows], workers, progress, f"index {root.name}")
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


def _image_files(folder: Path) -> list[str]:
    """Image files under a class folder, sorted, by suffix (sub-folders included)."""
    out, todo = [], [folder]
    while todo:
        for entry in os.scandir(todo.pop()):
            if entry.is_dir():
                todo.append(Path(entry.path))
            elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                out.append(entry.path)
    return sorted(out)


def _check_images(paths: list[str], workers: int | None, progress: bool, desc: str) -> dict[str, str]:
    """``{path: what is wrong}`` for the files that cannot be decoded, in path order."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    workers = min(os.cpu_count() or 1 if workers is None else workers, len(chunks))
    problems: dict[str, str] = {}
    bar = progress_bar(len(paths), desc, "img", progress)
    with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for chunk, found in zip(chunks, (pool.map if pool else map)(_check_chunk, chunks)):
            problems.update(found)
            bar.update(len(chunk))
    bar.close()
    return problems


def _check_chunk(paths: list[str]) -> dict[str, str]:
    return {path: why for path in paths if (why := image_problem(path)) is not None}


def image_problem(path: str) -> str | None:
    """What keeps an image file from being decoded, or None: empty, not an image, or truncated
    (a JPEG is decoded at reduced scale, which still reads all of its data)."""
    if os.path.getsize(path) == 0:
        return "is empty (0 bytes)"
    try:
        with Image.open(path) as img:
            img.draft(img.mode, (64, 64))
            img.load()
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError and more for bad files
        return f"is corrupt or truncated ({type(exc).__name__})"
    return None
