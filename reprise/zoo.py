"""A model zoo for the model-selection study (the linearized model-selection paper, §4.1).

In the embedded world the zoo holds single-domain experts: backbones pre-trained on parts of the
glyph pool (digits and Latin letters, Greek, Cyrillic, symbols, everything), in two
architectures; in real mode its members are weight files. Every member is described in
``params.yaml`` under ``zoo.members.<name>`` by either ``concepts`` + ``arch`` (embedded) or
``weights`` + ``arch`` (real). The zoo's target tasks each come in a full and a few-shot regime:
embedded ones by name (``mnist``, ``digits`` or a glyph concept), real ones as ImageFolder
directories (``{name: cub, train_dir: DIR, test_dir: DIR}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reprise.errors import InputError
from reprise.glyphs import CONCEPTS
from reprise.images import ImageTable
from reprise.world import TargetSplits, embedded_target, glyph_target, real_target

REAL_TARGETS = ("mnist", "digits")
REGIMES = ("full", "few")


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
    subset = pool.subset(np.flatnonzero(keep))
    subset.index["label"] = np.unique(subset.index["label"].to_numpy(), return_inverse=True)[1]
    return subset


@dataclass(frozen=True)
class ZooTarget:
    name: str                    # also the folder of its artifacts under data/zoo/targets
    train_dir: str | None = None  # real target: ImageFolder directories
    test_dir: str | None = None


def parse_targets(entries) -> list[ZooTarget]:
    """``zoo.targets``: embedded names, or ``{name, train_dir, test_dir}`` for a real target; a
    malformed list is a one-line error."""
    if not isinstance(entries, list) or not entries:
        raise InputError(f"zoo.targets must be a non-empty list of targets, got {entries!r}")
    targets = []
    for entry in entries:
        if isinstance(entry, dict):
            if set(entry) != {"name", "train_dir", "test_dir"}:
                raise InputError(f"a real zoo target needs exactly name, train_dir and test_dir; got {entry!r}")
            target = ZooTarget(str(entry["name"]), str(entry["train_dir"]), str(entry["test_dir"]))
        elif entry in REAL_TARGETS or entry in CONCEPTS:
            target = ZooTarget(entry)
        else:
            raise InputError(f"unknown zoo target {entry!r}; use one of {', '.join(REAL_TARGETS + CONCEPTS)} or {{name, train_dir, test_dir}}")
        if not target.name or "/" in target.name or target.name.startswith("."):
            raise InputError(f"zoo target name {target.name!r} must be a plain folder name")
        targets.append(target)
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise InputError(f"zoo.targets names must be distinct, got {names}")
    return targets


def target_splits(target: ZooTarget, full_per_class: int, test_per_class: int, seed: int) -> TargetSplits:
    """A zoo target's training and test images: ``mnist`` or ``digits`` (real handwriting) and
    glyph concepts rendered anew take ``full_per_class`` and ``test_per_class`` images a class; a
    real target takes every image of its folders, its training images shuffled by ``seed`` (so
    that :func:`few_shot` draws at random)."""
    if target.train_dir is not None:
        splits = real_target(target.train_dir, target.test_dir, None)
        order = np.random.default_rng(seed).permutation(len(splits.train))
        return TargetSplits(splits.train.subset(order), splits.test, {**splits.meta, "name": target.name})
    if target.name in REAL_TARGETS:
        return embedded_target(target.name, full_per_class, test_per_class, seed)
    return glyph_target(target.name, full_per_class, test_per_class, seed)


def few_shot(train: ImageTable, per_class: int) -> ImageTable:
    """The first ``per_class`` images of every class of a (shuffled) training split."""
    position = train.index.groupby("label").cumcount().to_numpy()
    return train.subset(np.flatnonzero(position < per_class))
