"""The source pool and the target splits as image tables, embedded or real.

Embedded: the glyph world (:mod:`reprise.glyphs`) and the handwriting targets
(:mod:`reprise.targets`). Real: ImageFolder trees indexed and verified. Either way the pipeline
downstream sees the same tables (see :mod:`reprise.images`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reprise.errors import InputError
from reprise.glyphs import CONCEPTS, glyph_classes, render_pool
from reprise.images import ImageTable, index_image_folder
from reprise.targets import load_target


def embedded_pool(concepts, images_per_class: int, val_per_class: int, seed: int, progress: bool = True) -> tuple[ImageTable, ImageTable]:
    """The glyph pool for pre-training and selection, and a held-out set rendered with another
    seed (to measure the source accuracy of checkpoints)."""
    if concepts != "all" and (not isinstance(concepts, list) or not concepts):
        raise InputError(f"world.concepts must be 'all' or a list of concepts from {', '.join(CONCEPTS)}")
    classes = glyph_classes(None if concepts == "all" else concepts)
    images, index = render_pool(classes, images_per_class, seed, progress=progress)
    val_images, val_index = render_pool(classes, val_per_class, seed + 1_000_003, progress=progress)
    return ImageTable(index, images), ImageTable(val_index, val_images)


def real_pool(source_dir: str, concepts_csv: str | None, val_per_class: int) -> tuple[ImageTable, ImageTable]:
    """An ImageFolder pool; concepts from an optional CSV (``class_name, concept``), else each
    class is its own concept. The held-out set is the first ``val_per_class`` images of every
    class (real mode imports its weights, so it is only a sanity check)."""
    index = index_image_folder(source_dir)
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


@dataclass(frozen=True)
class TargetSplits:
    train: ImageTable
    test: ImageTable
    meta: dict  # name, concept, class_names


def embedded_target(name: str, labels_per_class: int, test_per_class: int, seed: int) -> TargetSplits:
    target = load_target(name, labels_per_class, test_per_class, seed)

    def table(images: np.ndarray, labels: np.ndarray) -> ImageTable:
        index = pd.DataFrame({"image": np.arange(len(labels)), "label": labels.astype(np.int64)})
        index["class_name"] = [target.class_names[i] for i in labels]
        return ImageTable(index, images)

    meta = {"name": target.name, "concept": target.concept, "class_names": list(target.class_names)}
    return TargetSplits(table(target.train_images, target.train_labels), table(target.test_images, target.test_labels), meta)


def real_target(train_dir: str, test_dir: str, concept: str | None) -> TargetSplits:
    train = index_image_folder(train_dir)
    class_names = list(dict.fromkeys(train["class_name"]))
    test = index_image_folder(test_dir, class_names=class_names)
    meta = {"name": str(train_dir), "concept": concept, "class_names": class_names}
    return TargetSplits(ImageTable(train), ImageTable(test), meta)


def glyph_target(concept: str, labels_per_class: int, test_per_class: int, seed: int) -> TargetSplits:
    """A target task made of one concept's glyph classes rendered anew (another seed than the
    pool's): e.g. ``greek_lower``, 24 letters, for which a Greek expert of the zoo is the right
    model to start from."""
    classes = glyph_classes([concept])
    images, index = render_pool(classes, labels_per_class + test_per_class, seed + 7_000_001, progress=False)
    position = index.groupby("label").cumcount().to_numpy()
    table = ImageTable(index.drop(columns=["concept"]), images)
    train = table.subset(np.flatnonzero(position < labels_per_class))
    test = table.subset(np.flatnonzero(position >= labels_per_class))
    meta = {"name": concept, "concept": concept, "class_names": classes["class_name"].tolist()}
    return TargetSplits(train, test, meta)
