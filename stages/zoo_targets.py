"""zoo_targets: the zoo's target tasks, each in a full and a few-shot regime (``few``), with the
sample the scores read (at most zoo.score_per_class a class) and a probe network's features of it
(RSA)."""

from reprise.core.device import pick_device
from reprise.core.images import configure_loading
from reprise.core.sections import DEVICE, FinetuneSettings, LoaderSettings, PretrainSettings, RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.zoo.layout import ZOO_TARGETS
from reprise.zoo.settings import ZooSettings
from reprise.zoo.targets import prepare_targets

READS = (
    LoaderSettings, MODE, DEVICE,
    ZooSettings.keys("targets", "full_per_class", "few_per_class", "test_per_class", "score_per_class", "probe", "split_seed"),
    PretrainSettings.keys("widths"), FinetuneSettings.keys("batch_size", "momentum", "weight_decay"),
    RealSettings.keys("image_size", "target_train_dir", "target_test_dir"),
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo = p.zoo
    prepare_targets(zoo, ZOO_TARGETS, shots={"few": zoo.few_per_class}, full_per_class=zoo.full_per_class, widths=p.pretrain.widths,
                    image_size=p.real.image_size, finetune=p.finetune, device=pick_device(p.device), real=p.real if p.mode == "real" else None)


if __name__ == "__main__":
    run_stage(main, READS)
