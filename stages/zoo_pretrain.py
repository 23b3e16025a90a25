"""zoo_pretrain: one member of the model zoo, pre-trained on its part of the pool, taken from the
multi-domain expert, or imported.

Usage: python -m stages.zoo_pretrain <member>; the member is params.yaml's zoo.members.<member>.
On distributed.processes processes (reprise.core.distributed), rank 0 writing.
"""

import sys

from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import checkpoint_path, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.images import ImageTable
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, DistributedSettings, PretrainSettings, RealSettings
from reprise.core.stage import run_stage
from reprise.core.weights import imported_checkpoint
from reprise.zoo.layout import zoo_member_dir
from reprise.zoo.members import parse_member
from reprise.zoo.pretraining import place_domain_member, train_member
from reprise.zoo.settings import ZooSettings

READS = (
    ZooSettings.keys("members.${key}", "multidomain", "images_per_class", "pretrain_epochs"),
    PretrainSettings.keys("widths", "batch_size", "lr", "momentum", "weight_decay", "seed"), RealSettings.keys("image_size"), DEVICE,
    DistributedSettings,
)


def main(p) -> None:
    zoo, t, name = p.zoo, p.pretrain, sys.argv[1]
    member = parse_member(name, zoo.members[name], zoo.multidomain.domains)
    out = zoo_member_dir(name)
    main_process = processes().is_main
    if member.domain is not None:  # a domain of the multi-domain expert, trained by zoo_multidomain
        if main_process:
            place_domain_member(member, zoo.multidomain.epochs)
        return
    if member.imported:
        ckpt = imported_checkpoint(member.weights, "torchvision", member.arch, p.real.image_size, member.key_prefix)
        if main_process:
            write_checkpoint(ckpt, checkpoint_path(out, 0))
        return
    log, pool = train_member(ImageTable.read(POOL_TABLE), member, out, images_per_class=zoo.images_per_class, epochs=zoo.pretrain_epochs,
                             recipe=t, seed=t.seed, device=pick_device(p.device))
    if not main_process:
        return
    write_csv(log, f"{out}/log.csv")
    print(f"{name}: {pool.num_classes} classes, {len(pool)} images, final train accuracy {log['train_acc'].iloc[-1]:.3f}")


if __name__ == "__main__":
    run_stage(main, READS, several=True)
