"""The embedded world's sections of ``params.yaml``: the glyph source pool and the handwriting target."""

from __future__ import annotations

from dataclasses import dataclass

from reprise.core.schema import COUNT, INDEX, Choice, Either, ListOf, Nullable, Text
from reprise.core.settings import SectionSettings, key

CONCEPTS = Either(Choice("all"), ListOf(Text()))  # which glyph concepts exist: reprise.world.glyphs.CONCEPTS judges
HANDWRITING = Choice("mnist", "digits")


@dataclass(frozen=True)
class WorldSettings(SectionSettings):
    """The embedded source pool (the ImageNet stand-in); ``val_per_class`` also in real mode."""

    section = "world"
    concepts: str | list[str] = key(CONCEPTS)
    images_per_class: int = key(COUNT)
    val_per_class: int = key(COUNT)
    seed: int = key(INDEX)


@dataclass(frozen=True)
class TargetSettings(SectionSettings):
    """The embedded target: real handwriting with few labels a class."""

    section = "target"
    name: str = key(HANDWRITING)
    labels_per_class: int = key(COUNT)
    test_per_class: int | None = key(Nullable(COUNT))
    seed: int = key(INDEX)
