"""The source pool (the pre-training data, ImageNet in the paper) as image tables: the glyph pool
rendered for the embedded world, or an ImageFolder tree indexed and verified in real mode. Either
way comes a held-out set, on which the source accuracy of pre-training checkpoints is measured."""

from __future__ import annotations

import pandas as pd

from reprise.core.errors import InputError
from reprise.core.image_folder import MAX_IMAGE_PIXELS, index_image_folder
from reprise.core.images import ImageTable
from reprise.world.glyphs import CONCEPTS, glyph_classes, render_pool


def embedded_pool(concepts, images_per_class: int, val_per_class: int, seed: int, progress: bool = True) -> tuple[ImageTable, ImageTable]:
    """The glyph pool for pre-training and selection, and a held-out set rendered with another
    seed (to measure the source accuracy of checkpoints)."""
    if concepts != "all" and (not isinstance(concepts, list) or not concepts):
        raise InputError(f"world.concepts must be 'all' or a list of concepts from {', '.join(CONCEPTS)}")
    classes = glyph_classes(None if concepts == "all" else concepts)
    images, index = render_pool(classes, images_per_class, seed, progress=progress)
    val_images, val_index = render_pool(classes, val_per_class, seed + 1_000_003, progress=progress)
    return ImageTable(index, images), ImageTable(val_index, val_images)


def folder_pool(
    source_dir: str, concepts_csv: str | None, val_per_class: int, workers: int | None = None, bad_images: str = "fail",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> tuple[ImageTable, ImageTable]:
    """An ImageFolder pool; concepts from an optional CSV (``class_name, concept``), else each
    class is its own concept. The held-out set is the first ``val_per_class`` images of every
    class (real mode imports its weights, so it is only a sanity check). ``workers``,
    ``bad_images`` and ``max_pixels``: :func:`~reprise.core.image_folder.index_image_folder`."""
    index = index_image_folder(source_dir, workers=workers, bad_images=bad_images, max_pixels=max_pixels)
    if concepts_csv:
        table = pd.read_csv(concepts_csv)
        if not {"class_name", "concept"} <= set(table.columns):
            raise InputError(f"{concepts_csv} must have the columns class_name and concept")
        mapping = dict(zip(table["class_name"].astype(str), table["concept"].astype(str)))
        missing = sorted(set(index["class_name"]) - set(mapping))
        if missing:
            raise InputError(f"{concepts_csv} has no concept for classes {missing[:3]} ({len(missing)} in all)")
        index["concept"] = index["class_name"].map(mapping)
    else:
        index["concept"] = index["class_name"]
    val_rows = index.groupby("label").head(max(val_per_class, 1)).index.to_numpy()
    pool = ImageTable(index)
    return pool, pool.subset(val_rows)
