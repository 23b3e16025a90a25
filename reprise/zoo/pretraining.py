"""Pre-training the embedded zoo (the linearized model-selection paper, §4.1): a single-domain
member on its share of the glyph pool, and the multi-domain expert on every domain at once, with
the pipeline's recipe (``pretrain.*``) and a given seed. The default pipeline's zoo is one run
(``pretrain.seed``); the suite's zoo in the paper's regime is several, one a seed."""

from __future__ import annotations

import pandas as pd
import torch

from reprise.core.checkpoints import checkpoint_path, read_checkpoint, write_checkpoint
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.pretrain import pretrain
from reprise.zoo.layout import ZOO_DIR, zoo_member_dir, zoo_multidomain
from reprise.zoo.members import ZooMember, domain_pools, member_pool
from reprise.zoo.multidomain import pretrain_multidomain


def train_member(pool: ImageTable, member: ZooMember, out: str, *, images_per_class: int, epochs: int, recipe, seed: int,
                 device: torch.device, resume_dir: str | None = None) -> tuple[pd.DataFrame, ImageTable]:
    """Pre-train a single-domain member on :func:`reprise.zoo.members.member_pool` of ``pool`` into
    ``out`` (its last epoch kept); ``recipe``: the ``pretrain`` section (widths, batch size, rate,
    momentum, weight decay). Returns the epoch log and the member's pool."""
    table = member_pool(pool, member, images_per_class)
    log = pretrain(
        table, None, GLYPH_SPEC, out, mode="supervised", arch=member.arch, arch_kwargs={"widths": list(recipe.widths)}, epochs=epochs,
        keep_epochs=[], batch_size=recipe.batch_size, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay, seed=seed,
        device=device, desc=f"zoo {member.name}", resume_dir=resume_dir,
    )
    return log, table


def train_multidomain(pool: ImageTable, domains: dict, root: str, *, images_per_class: int, epochs: int, recipe, seed: int,
                      device: torch.device) -> pd.DataFrame:
    """Pre-train the multi-domain expert on every domain of ``domains`` (name → concepts) and write
    one checkpoint a domain under ``root`` (:func:`reprise.zoo.layout.zoo_multidomain`); the log
    (empty without domains)."""
    checkpoints, log = pretrain_multidomain(
        domain_pools(pool, domains, images_per_class), GLYPH_SPEC, widths=recipe.widths, epochs=epochs, batch_size=recipe.batch_size,
        lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay, seed=seed, device=device,
    )
    for name, ckpt in checkpoints.items():
        write_checkpoint(ckpt, zoo_multidomain(name, root))
    return log


def place_domain_member(member: ZooMember, epochs: int, root: str = ZOO_DIR) -> None:
    """A domain of the multi-domain expert as a member: the checkpoint :func:`train_multidomain`
    wrote for its domain under ``root``, copied to the member's folder as its epoch ``epochs``."""
    write_checkpoint(read_checkpoint(zoo_multidomain(member.domain, root)), checkpoint_path(zoo_member_dir(member.name, root), epochs))
