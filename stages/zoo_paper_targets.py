"""zoo_paper_targets: the targets of the zoo in the paper's regime (suite/dvc.yaml): the pipeline's
zoo targets (zoo.targets), each in the regimes of zoo_paper.shots and full (zoo_paper.full_per_class
images a class), with the score samples and RSA probes as zoo_targets makes them."""

from reprise.core.device import pick_device
from reprise.core.images import configure_loading
from reprise.core.sections import DEVICE, FinetuneSettings, LoaderSettings, PretrainSettings, RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.zoo.layout import PAPER_ZOO_TARGETS
from reprise.zoo.settings import PaperZooSettings, ZooSettings
from reprise.zoo.targets import prepare_targets

READS = (
    LoaderSettings, MODE, DEVICE, ZooSettings.keys("targets", "test_per_class", "score_per_class", "probe", "split_seed"),
    PaperZooSettings.keys("shots", "full_per_class"), PretrainSettings.keys("widths"), FinetuneSettings.keys("batch_size", "momentum", "weight_decay"),
    RealSettings.keys("image_size"),
)


def main(p) -> None:
    configure_loading(p.loader)
    paper = p.zoo_paper
    prepare_targets(p.zoo, PAPER_ZOO_TARGETS, shots=paper.shots, full_per_class=paper.full_per_class, widths=p.pretrain.widths,
                    image_size=p.real.image_size, finetune=p.finetune, device=pick_device(p.device))


if __name__ == "__main__":
    run_stage(main, READS)
