"""The members of the model zoo (the linearized model-selection paper, §4.1).

In the embedded world the zoo holds single-domain experts: backbones pre-trained on parts of the
glyph pool (digits and Latin letters, Greek, Cyrillic, symbols, everything), in two
architectures; in real mode its members are weight files. Every member is described in
``params.yaml`` under ``zoo.members.<name>`` by either ``concepts`` + ``arch`` (embedded) or
``weights`` + ``arch`` (real).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.world.glyphs import CONCEPTS


@dataclass(frozen=True)
class ZooMember:
    name: str
    arch: str
    concepts: tuple[str, ...] | None = None  # embedded: the pool concepts it is trained on (None: all)
    weights: str | None = None  # real mode: a torchvision state_dict file


def parse_member(name: str, spec: dict) -> ZooMember:
    """A member from its params entry; a malformed entry is a one-line error naming it."""
    if not isinstance(spec, dict) or "arch" not in spec or ("concepts" in spec) == ("weights" in spec):
        raise InputError(f"zoo.members.{name} needs arch and exactly one of concepts (embedded) or weights (real)")
    if "weights" in spec:
        return ZooMember(name, spec["arch"], weights=str(spec["weights"]))
    concepts = spec["concepts"]
    if concepts == "all":
        return ZooMember(name, spec["arch"])
    unknown = [c for c in (concepts or []) if c not in CONCEPTS]
    if not concepts or unknown:
        raise InputError(f"zoo.members.{name}.concepts must be 'all' or a list from {', '.join(CONCEPTS)}; got {concepts!r}")
    return ZooMember(name, spec["arch"], concepts=tuple(concepts))


def member_pool(pool: ImageTable, member: ZooMember, images_per_class: int) -> ImageTable:
    """The member's share of the pool: its concepts' classes, at most ``images_per_class`` images
    each, with labels renumbered 0..K-1 in pool order."""
    index = pool.index
    keep = np.ones(len(index), dtype=bool) if member.concepts is None else index["concept"].isin(member.concepts).to_numpy()
    keep = keep & (index.groupby("label").cumcount().to_numpy() < images_per_class)
    if not keep.any():
        raise InputError(
            f"zoo member {member.name}: the pool has no class of concepts {', '.join(member.concepts or ())}; "
            "with a real pool, give zoo members as weight files ({weights: FILE, arch: resnet18})"
        )
    subset = pool.subset(np.flatnonzero(keep))
    subset.index["label"] = np.unique(subset.index["label"].to_numpy(), return_inverse=True)[1]
    return subset
