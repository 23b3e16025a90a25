"""zoo_multidomain: the multi-domain expert, one backbone with a BatchNorm set a domain of
zoo.multidomain.domains, trained on every domain at once; each domain becomes a zoo member
(``{multidomain: <domain>}``) in zoo_pretrain. No domains (real mode's zoo): no expert."""

from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.images import ImageTable
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage
from reprise.zoo.layout import ZOO_DIR, ZOO_MULTIDOMAIN_DIR
from reprise.zoo.pretraining import train_multidomain
from reprise.zoo.settings import ZooSettings

READS = (ZooSettings.keys("multidomain", "images_per_class"), PretrainSettings.keys("widths", "batch_size", "lr", "momentum", "weight_decay", "seed"), DEVICE)


def main(p) -> None:
    zoo, t = p.zoo, p.pretrain
    log = train_multidomain(ImageTable.read(POOL_TABLE), zoo.multidomain.domains, ZOO_DIR, images_per_class=zoo.images_per_class,
                            epochs=zoo.multidomain.epochs, recipe=t, seed=t.seed, device=pick_device(p.device))
    write_csv(log, f"{ZOO_MULTIDOMAIN_DIR}/log.csv")
    print(log.to_string(index=False) if zoo.multidomain.domains else "zoo.multidomain.domains is empty: no multi-domain expert")


if __name__ == "__main__":
    run_stage(main, READS)
