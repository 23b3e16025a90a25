"""zoo_paper_pretrain PRETRAIN_SEED: one pre-training run of the zoo in the paper's regime
(suite/dvc.yaml): the multi-domain expert and every member of zoo.members, as zoo_multidomain and
zoo_pretrain make them but with this seed and zoo_paper's pool images and epochs. An interrupted member's pre-training goes on from its
last epoch (reprise.core.resume)."""

import sys

from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.core.layout import POOL_TABLE, RESUME_DIR
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import paper_zoo_run, zoo_member_dir
from reprise.zoo.members import parse_member
from reprise.zoo.pretraining import place_domain_member, train_member, train_multidomain
from reprise.zoo.settings import PaperZooSettings, ZooSettings, paper_run_seed

READS = (PaperZooSettings.keys("pretrain_seeds", "images_per_class", "pretrain_epochs", "multidomain_epochs"), ZooSettings.keys("members", "multidomain.domains"),
         PretrainSettings.keys("widths", "batch_size", "lr", "momentum", "weight_decay"), DEVICE)


def main(p) -> None:
    zoo, paper, t = p.zoo, p.zoo_paper, p.pretrain
    seed, device = paper_run_seed("zoo_paper_pretrain", sys.argv[1], paper.pretrain_seeds), pick_device(p.device)
    members = [parse_member(name, spec, zoo.multidomain.domains) for name, spec in zoo.members.items()]
    imported = [m.name for m in members if m.imported]
    if imported:
        raise InputError(f"the paper-regime zoo pre-trains every member; {', '.join(imported)} are imported weights (zoo.members)")
    root, pool = paper_zoo_run(seed), ImageTable.read(POOL_TABLE)
    log = train_multidomain(pool, zoo.multidomain.domains, root, images_per_class=paper.images_per_class, epochs=paper.multidomain_epochs,
                            recipe=t, seed=seed, device=device)
    write_csv(log, f"{root}/multidomain/log.csv")
    for member in members:
        out = zoo_member_dir(member.name, root)
        if member.domain is not None:
            place_domain_member(member, paper.multidomain_epochs, root)
            continue
        log, table = train_member(pool, member, out, images_per_class=paper.images_per_class, epochs=paper.pretrain_epochs, recipe=t, seed=seed,
                                  device=device, resume_dir=f"{RESUME_DIR}/zoo_paper_{seed}_{member.name}")
        write_csv(log, f"{out}/log.csv")
        print(f"{member.name}, pre-training seed {seed}: {table.num_classes} classes, {len(table)} images, "
              f"final train accuracy {log['train_acc'].iloc[-1]:.3f}")


if __name__ == "__main__":
    run_stage(main, READS)
