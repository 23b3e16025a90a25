"""zoo_targets: the zoo's target tasks, each in a full and a few-shot regime, with the sample the
scores read (at most zoo.score_per_class a class) and a probe network's features of it (RSA)."""

from reprise.core.device import pick_device
from reprise.core.images import configure_loading
from reprise.core.sections import DEVICE, FinetuneSettings, LoaderSettings, PretrainSettings, RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.zoo.layout import zoo_target_dir
from reprise.zoo.settings import ZooSettings
from reprise.zoo.targets import parse_targets, prepare_target

READS = (
    LoaderSettings, MODE, DEVICE,
    ZooSettings.keys("targets", "full_per_class", "few_per_class", "test_per_class", "score_per_class", "probe", "split_seed"),
    PretrainSettings.keys("widths"), FinetuneSettings.keys("batch_size", "momentum", "weight_decay"),
    RealSettings.keys("image_size", "target_train_dir", "target_test_dir"),
)


def main(p) -> None:
    configure_loading(p.loader)
    zoo, f, probe = p.zoo, p.finetune, p.zoo.probe
    device = pick_device(p.device)
    for target in parse_targets(zoo.targets, p.real if p.mode == "real" else None):
        prepared = prepare_target(
            target, full_per_class=zoo.full_per_class, few_per_class=zoo.few_per_class, test_per_class=zoo.test_per_class,
            score_per_class=zoo.score_per_class, seed=zoo.split_seed, probe_arch=probe.arch, probe_widths=p.pretrain.widths,
            probe_lr=probe.lr, probe_epochs=probe.epochs, image_size=p.real.image_size, batch_size=f.batch_size, momentum=f.momentum,
            weight_decay=f.weight_decay, device=device,
        )
        prepared.write(zoo_target_dir(target.name))
        counts = prepared.meta["train"]
        print(f"{target.name}: {counts['full']} full, {counts['few']} few-shot, {prepared.meta['test']} test images")


if __name__ == "__main__":
    run_stage(main, READS)
