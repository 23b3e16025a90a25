"""Indexing an ImageFolder tree (``root/<class>/<image>``) into an image table's index, with every
file verified, so that a corrupt or empty image fails here, with its path, and not in the middle
of training."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PIL import Image

from reprise.core.errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def index_image_folder(root: str | Path, class_names: list[str] | None = None) -> pd.DataFrame:
    """Index an ImageFolder tree into columns ``path``, ``label``,
    ``class_name``; every image is opened and verified so that corrupt or empty files fail here,
    with their path, rather than in the middle of training.

    ``class_names`` fixes the label order (e.g. the train split's classes for the test split).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"image folder {root} does not exist; set the path in params.yaml (real: ...)")
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    names = class_names if class_names is not None else found
    if not names:
        raise InputError(f"image folder {root} has no class sub-folders; expected {root}/<class>/<image files>")
    unknown = sorted(set(found) - set(names))
    if unknown:
        raise InputError(f"{root} has class folders {unknown[:3]} that the training split lacks; the splits must share classes")
    rows = []
    for label, name in enumerate(names):
        folder = root / name
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        if not files:
            raise InputError(f"class folder {folder} holds no images; add images or remove the folder")
        for path in files:
            _verify(path)
            rows.append((str(path), label, name))
    return pd.DataFrame(rows, columns=["path", "label", "class_name"])


def _verify(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputError(f"image {path} is empty (0 bytes); remove or replace it")
    try:
        with Image.open(path) as img:
            img.verify()
    except Exception as exc:
        raise InputError(f"image {path} is corrupt ({type(exc).__name__}); remove or replace it") from exc
