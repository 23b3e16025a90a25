"""zoo_multidomain: the multi-domain expert, one backbone with a BatchNorm set a domain of
zoo.multidomain.domains, trained on every domain at once; each domain becomes a zoo member
(``{multidomain: <domain>}``) in zoo_pretrain. No domains (real mode's zoo): no expert."""

from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import write_checkpoint
from reprise.core.device import pick_device
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import ZOO_MULTIDOMAIN_DIR, zoo_multidomain
from reprise.zoo.members import domain_pools
from reprise.zoo.multidomain import pretrain_multidomain
from reprise.zoo.settings import ZooSettings

READS = (ZooSettings.keys("multidomain", "images_per_class"), PretrainSettings.keys("widths", "batch_size", "lr", "momentum", "weight_decay", "seed"), DEVICE)


def main(p) -> None:
    zoo, t = p.zoo, p.pretrain
    pools = domain_pools(ImageTable.read(POOL_TABLE), zoo.multidomain.domains, zoo.images_per_class)
    checkpoints, log = pretrain_multidomain(
        pools, GLYPH_SPEC, widths=t.widths, epochs=zoo.multidomain.epochs, batch_size=t.batch_size, lr=t.lr, momentum=t.momentum,
        weight_decay=t.weight_decay, seed=t.seed, device=pick_device(p.device),
    )
    for name, ckpt in checkpoints.items():
        write_checkpoint(ckpt, zoo_multidomain(name))
    write_csv(log, f"{ZOO_MULTIDOMAIN_DIR}/log.csv")
    print(log.to_string(index=False) if checkpoints else "zoo.multidomain.domains is empty: no multi-domain expert")


if __name__ == "__main__":
    run_stage(main, READS)
