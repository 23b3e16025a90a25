"""zoo_scores: every transferability score of one zoo member on every zoo target and regime.

Usage: python -m stages.zoo_scores <member>
"""

import sys

import numpy as np
import pandas as pd

from reprise import layout
from reprise.artifacts import read_npy, write_parquet
from reprise.device import pick_device
from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.model_selection import score_member, source_class_means
from reprise.models import load_backbone
from reprise.params import section
from reprise.pretrain import resolve_checkpoint
from reprise.stage import run_stage
from reprise.zoo import REGIMES, member_pool, parse_member, parse_targets


def main(params: dict) -> None:
    zoo = section(params, "zoo")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_scores <member>, one of {', '.join(zoo['members'])}")
    member = parse_member(name, zoo["members"][name])
    device = pick_device(params["device"])
    backbone, spec, ckpt = load_backbone(resolve_checkpoint(f"{layout.ZOO_DIR}/models/{name}", "last"))
    source_means = None
    if member.weights is None:  # domain similarity needs the member's own pre-training data
        pool = member_pool(ImageTable.read(layout.POOL_TABLE), member, zoo["images_per_class"])
        source_means = source_class_means(backbone, spec, pool, device)
    rows = []
    for target in [t.name for t in parse_targets(zoo["targets"])]:
        folder = f"{layout.ZOO_DIR}/targets/{target}"
        for regime in REGIMES:
            sample = ImageTable.read(f"{folder}/{regime}").subset(read_npy(f"{folder}/score_rows_{regime}.npy"))
            scores = score_member(
                backbone, spec, ckpt.get("source_head"), sample, read_npy(f"{folder}/probe_{regime}.npy"), source_means, device,
                zoo["lgc_projection_dim"], zoo["split_seed"],
            )
            rows += [{"member": name, "target": target, "regime": regime, **row} for row in scores]
            print(target, regime, {r["score"]: round(r["value"], 4) for r in scores}, flush=True)
    table = pd.DataFrame(rows)
    if not np.isfinite(table["value"].dropna()).all():
        raise InputError(f"zoo member {name} gave a non-finite score; check its weights")
    write_parquet(table, f"{layout.ZOO_DIR}/scores/{name}.parquet")


if __name__ == "__main__":
    run_stage(main)
