"""The target split of a seed of the checkpoint study: every seed draws its own class-balanced
training split, which its FE and FT runs and its transferability scores share."""

from __future__ import annotations

from reprise.checkpoints.settings import StudySettings
from reprise.core.images import ImageTable
from reprise.core.sampling import sample_per_class
from reprise.world.targets import folder_target, handwriting_target


def seed_split(settings: StudySettings, seed: int) -> tuple[ImageTable, ImageTable]:
    """The seed's own target split (train, test): a handwriting target's, or a seeded share of a
    real target's training images and its whole test set."""
    if not settings.target_dirs:
        splits = handwriting_target(settings.target, settings.labels_per_class, settings.test_per_class, seed)
        return splits.train, splits.test
    real = folder_target(*settings.target_dirs, None)
    return real.train.subset(sample_per_class(real.train.labels, settings.labels_per_class, seed)), real.test
