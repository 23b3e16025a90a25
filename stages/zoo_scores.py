"""zoo_scores: every transferability score of one zoo member on every zoo target and regime.

Usage: python -m stages.zoo_scores <member>
"""

import sys

from reprise.core import layout
from reprise.core.artifacts import write_parquet
from reprise.core.checkpoints import kept_checkpoint, load_backbone
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import configure_loading, ImageTable
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.zoo.members import member_pool, parse_member
from reprise.zoo.scoring import score_on_targets, source_class_means
from reprise.zoo.targets import parse_targets


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    zoo = section(params, "zoo")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_scores <member>, one of {', '.join(zoo['members'])}")
    member = parse_member(name, zoo["members"][name], zoo["multidomain"]["domains"])
    device = pick_device(params["device"])
    backbone, spec, ckpt = load_backbone(kept_checkpoint(layout.zoo_member_dir(name), "last"))
    source_means = None
    if member.weights is None:  # domain similarity needs the member's own pre-training data
        pool = member_pool(ImageTable.read(layout.POOL_TABLE), member, zoo["images_per_class"])
        source_means = source_class_means(backbone, spec, pool, device)
    table = score_on_targets(
        name, backbone, spec, ckpt.get("source_head"), [t.name for t in parse_targets(zoo["targets"])], source_means, device,
        zoo["lgc_projection_dim"], zoo["split_seed"], zoo["ds_min_count"],
    )
    write_parquet(table, layout.zoo_scores(name))


if __name__ == "__main__":
    run_stage(main)
