"""The members of the model zoo (the linearized model-selection paper, §4.1).

In the embedded world the zoo holds single-domain experts, backbones pre-trained on parts of the
glyph pool (digits and Latin letters, Greek, Cyrillic, symbols, everything) in two architectures,
and the domains of a multi-domain expert (:mod:`reprise.zoo.multidomain`); in real mode its
members are imported weights. Every member is described in ``params.yaml`` under
``zoo.members.<name>`` by one of ``{concepts, arch}`` (embedded), ``{multidomain: <domain of
zoo.multidomain.domains>}`` (embedded), ``{weights, arch}`` with an optional ``key_prefix`` (real:
a weights file of any torchvision architecture, or of the weights ``arch`` names, as
``real.weights`` and ``real.arch``) or ``{arch}`` alone where ``arch`` names weights
(``resnet50.IMAGENET1K_V2``, ``timm:convnext_tiny.fb_in1k``: their file from the local cache,
:mod:`reprise.core.named_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reprise.core.errors import InputError
from reprise.core.named_weights import is_named
from reprise.world.glyphs import CONCEPTS

if TYPE_CHECKING:  # the report reads members without loading torch
    from reprise.core.images import ImageTable


@dataclass(frozen=True)
class ZooMember:
    name: str
    arch: str
    concepts: tuple[str, ...] | None = None  # embedded: the pool concepts it is trained on (None: all)
    weights: str | None = None  # real mode: a state_dict file (reprise.core.weights); None with named weights: the local cache's
    key_prefix: str | None = None  # real mode: a prefix to strip from the file's keys
    domain: str | None = None  # a domain of the multi-domain expert

    @property
    def imported(self) -> bool:
        """Whether the member is imported weights (a file, or weights ``arch`` names), not
        pre-trained on the pool."""
        return self.weights is not None or is_named(self.arch)


def check_concepts(concepts, where: str) -> tuple[str, ...] | None:
    """``'all'`` (None) or a non-empty list of glyph concepts, as a tuple."""
    if concepts == "all":
        return None
    unknown = [c for c in (concepts or []) if c not in CONCEPTS]
    if not isinstance(concepts, list) or not concepts or unknown:
        raise InputError(f"{where} must be 'all' or a list from {', '.join(CONCEPTS)}; got {concepts!r}")
    return tuple(concepts)


def parse_member(name: str, spec: dict, domains: dict | None = None) -> ZooMember:
    """A member from its params entry (``domains``: ``zoo.multidomain.domains``, for the
    multi-domain expert's members); a malformed entry is a one-line error naming it."""
    if isinstance(spec, dict) and set(spec) == {"arch"} and is_named(str(spec["arch"])):  # named weights, their file the local cache's
        return ZooMember(name, spec["arch"])
    kinds = [key for key in ("concepts", "weights", "multidomain") if isinstance(spec, dict) and key in spec]
    if len(kinds) != 1 or (kinds != ["multidomain"] and "arch" not in spec):
        raise InputError(f"zoo.members.{name} needs exactly one of {{concepts, arch}} (embedded), {{multidomain: DOMAIN}}, "
                         "{weights, arch} or {arch: WEIGHTS_NAME} such as resnet50.IMAGENET1K_V2 (real)")
    if kinds == ["weights"]:
        return ZooMember(name, spec["arch"], weights=str(spec["weights"]), key_prefix=spec.get("key_prefix"))
    if kinds == ["multidomain"]:
        domain = spec["multidomain"]
        if domain not in (domains or {}):
            raise InputError(f"zoo.members.{name}.multidomain is {domain!r}, not a domain of zoo.multidomain.domains ({', '.join(domains or {})})")
        return ZooMember(name, "glyph_resnet", concepts=check_concepts(domains[domain], f"zoo.multidomain.domains.{domain}"), domain=domain)
    return ZooMember(name, spec["arch"], concepts=check_concepts(spec["concepts"], f"zoo.members.{name}.concepts"))


def member_pool(pool: ImageTable, member: ZooMember, images_per_class: int) -> ImageTable:
    """The member's share of the pool: its concepts' classes, at most ``images_per_class`` images
    each, with labels renumbered 0..K-1 in pool order."""
    index = pool.index
    keep = np.ones(len(index), dtype=bool) if member.concepts is None else index["concept"].isin(member.concepts).to_numpy()
    keep = keep & (index.groupby("label").cumcount().to_numpy() < images_per_class)
    if not keep.any():
        raise InputError(
            f"zoo member {member.name}: the pool has no class of concepts {', '.join(member.concepts or ())}; "
            "with a real pool, give zoo members as imported weights ({weights: FILE, arch: resnet18} or {arch: resnet50.IMAGENET1K_V2})"
        )
    subset = pool.subset(np.flatnonzero(keep))
    subset.index["label"] = np.unique(subset.index["label"].to_numpy(), return_inverse=True)[1]
    return subset


def domain_pools(pool: ImageTable, domains: dict, images_per_class: int) -> dict[str, ImageTable]:
    """The pool's share of every domain of the multi-domain expert (``zoo.multidomain.domains``:
    name → concepts), as :func:`member_pool` gives a member's."""
    return {
        name: member_pool(pool, ZooMember(name, "glyph_resnet", concepts=check_concepts(concepts, f"zoo.multidomain.domains.{name}")), images_per_class)
        for name, concepts in domains.items()
    }


def domain_members(members: dict, domains: dict) -> list[str]:
    """The members that are domains of the multi-domain expert, in ``zoo.members`` order."""
    return [name for name, spec in members.items() if parse_member(name, spec, domains).domain is not None]
