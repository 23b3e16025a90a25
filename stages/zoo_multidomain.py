"""zoo_multidomain: the multi-domain expert, one backbone with a BatchNorm set a domain of
zoo.multidomain.domains, trained on every domain at once; each domain becomes a zoo member
(``{multidomain: <domain>}``) in zoo_pretrain."""

import pandas as pd

from reprise.core import layout
from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import write_checkpoint
from reprise.core.device import pick_device
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.zoo.members import ZooMember, check_concepts, member_pool
from reprise.zoo.multidomain import pretrain_multidomain


def main(params: dict) -> None:
    zoo, p = section(params, "zoo"), section(params, "pretrain")
    m = zoo["multidomain"]
    pool = ImageTable.read(layout.POOL_TABLE)
    domains = {
        name: member_pool(pool, ZooMember(name, "glyph_resnet", concepts=check_concepts(concepts, f"zoo.multidomain.domains.{name}")), zoo["images_per_class"])
        for name, concepts in m["domains"].items()
    }
    if not domains:  # no multi-domain expert (real mode's zoo is made of weight files)
        write_csv(pd.DataFrame(columns=["epoch", "lr", "train_loss"]), f"{layout.ZOO_MULTIDOMAIN_DIR}/log.csv")
        print("zoo.multidomain.domains is empty: no multi-domain expert")
        return
    checkpoints, log = pretrain_multidomain(
        domains, GLYPH_SPEC, widths=p["widths"], epochs=m["epochs"], batch_size=p["batch_size"], lr=p["lr"], momentum=p["momentum"],
        weight_decay=p["weight_decay"], seed=p["seed"], device=pick_device(params["device"]),
    )
    for name, ckpt in checkpoints.items():
        write_checkpoint(ckpt, layout.zoo_multidomain(name))
    write_csv(log, f"{layout.ZOO_MULTIDOMAIN_DIR}/log.csv")
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
