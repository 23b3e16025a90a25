"""Target tasks as a training and a test image table: handwritten digits (the embedded default),
glyph concepts rendered anew (the model zoo's targets), or ImageFolder directories (real mode)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reprise.core.image_folder import MAX_IMAGE_PIXELS, index_image_folder
from reprise.core.images import ImageTable
from reprise.world.glyphs import glyph_classes, render_pool
from reprise.world.handwriting import load_handwriting


@dataclass(frozen=True)
class TargetSplits:
    train: ImageTable
    test: ImageTable
    meta: dict  # name, concept, class_names


def handwriting_target(name: str, labels_per_class: int, test_per_class: int | None, seed: int) -> TargetSplits:
    """``mnist`` or ``digits`` (:mod:`reprise.world.handwriting`), split per class by ``seed``."""
    target = load_handwriting(name, labels_per_class, test_per_class, seed)

    def table(images: np.ndarray, labels: np.ndarray) -> ImageTable:
        index = pd.DataFrame({"image": np.arange(len(labels)), "label": labels.astype(np.int64)})
        index["class_name"] = [target.class_names[i] for i in labels]
        return ImageTable(index, images)

    meta = {"name": target.name, "concept": target.concept, "class_names": list(target.class_names)}
    return TargetSplits(table(target.train_images, target.train_labels), table(target.test_images, target.test_labels), meta)


def folder_target(
    train_dir: str, test_dir: str, concept: str | None, workers: int | None = None, bad_images: str = "fail",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> TargetSplits:
    """ImageFolder training and test directories with the same classes (real mode); ``workers``,
    ``bad_images`` and ``max_pixels``: :func:`~reprise.core.image_folder.index_image_folder`."""
    checks = {"workers": workers, "bad_images": bad_images, "max_pixels": max_pixels}
    train = index_image_folder(train_dir, **checks)
    class_names = list(dict.fromkeys(train["class_name"]))
    test = index_image_folder(test_dir, class_names=class_names, **checks)
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
