"""zoo_scores: every transferability score of one zoo member on every zoo target and regime.

Usage: python -m stages.zoo_scores <member>
"""

import sys

from reprise.core.artifacts import write_parquet
from reprise.core.checkpoints import kept_checkpoint
from reprise.core.device import pick_device
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, LoaderSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import zoo_member_dir, zoo_scores
from reprise.zoo.members import parse_member
from reprise.zoo.scoring import score_zoo_member
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
    pool = None if member.imported else ImageTable.read(POOL_TABLE)
    table = score_zoo_member(
        member, kept_checkpoint(zoo_member_dir(name), "last"), pool, [t.name for t in parse_targets(zoo.targets)],
        images_per_class=zoo.images_per_class, lgc_projection_dim=zoo.lgc_projection_dim, seed=zoo.split_seed, ds_min_count=zoo.ds_min_count,
        device=pick_device(p.device),
    )
    write_parquet(table, zoo_scores(name))


if __name__ == "__main__":
    run_stage(main, READS)
