"""zoo_scores: every transferability score of one zoo member on every zoo target and regime.

Usage: python -m stages.zoo_scores <member>
"""

import sys

from reprise.core.artifacts import write_parquet
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.device import pick_device
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, LoaderSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import zoo_member_dir, zoo_scores
from reprise.zoo.members import member_pool, parse_member
from reprise.zoo.scoring import score_on_targets, source_class_means
from reprise.zoo.settings import ZooSettings
from reprise.zoo.targets import parse_targets

READS = (
    LoaderSettings,
    ZooSettings.keys("members.${key}", "multidomain.domains", "targets", "images_per_class", "lgc_projection_dim", "ds_min_count", "split_seed"),
    DEVICE,
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo, name = p.zoo, sys.argv[1]
    member = parse_member(name, zoo.members[name], zoo.multidomain.domains)
    device = pick_device(p.device)
    backbone, spec, ckpt = load_backbone(kept_checkpoint(zoo_member_dir(name), "last"))
    source_means = None
    if member.weights is None:  # domain similarity needs the member's own pre-training data
        source_means = source_class_means(backbone, spec, member_pool(ImageTable.read(POOL_TABLE), member, zoo.images_per_class), device)
    table = score_on_targets(
        name, backbone, spec, ckpt.get("source_head"), [t.name for t in parse_targets(zoo.targets)], source_means, device,
        zoo.lgc_projection_dim, zoo.split_seed, zoo.ds_min_count,
    )
    write_parquet(table, zoo_scores(name))


if __name__ == "__main__":
    run_stage(main, READS)
