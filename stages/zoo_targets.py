"""zoo_targets: the zoo's target tasks, each in a full and a few-shot regime, with the sample the
scores read (at most zoo.score_per_class a class) and a probe network's features of it (RSA)."""

from reprise.core import layout
from reprise.core.device import pick_device
from reprise.core.images import configure_loading
from reprise.core.params import for_mode, section
from reprise.core.stage import run_stage
from reprise.zoo.targets import parse_targets, prepare_target


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    zoo, p, f = section(params, "zoo"), section(params, "pretrain"), section(params, "finetune")
    probe = {key: for_mode(value, params["mode"]) for key, value in zoo["probe"].items()}
    device = pick_device(params["device"])
    for target in parse_targets(zoo["targets"], section(params, "real") if params["mode"] == "real" else None):
        prepared = prepare_target(
            target, full_per_class=zoo["full_per_class"], few_per_class=zoo["few_per_class"], test_per_class=zoo["test_per_class"],
            score_per_class=zoo["score_per_class"], seed=zoo["split_seed"], probe_arch=probe["arch"], probe_widths=p["widths"],
            probe_lr=probe["lr"], probe_epochs=probe["epochs"], image_size=section(params, "real")["image_size"],
            batch_size=f["batch_size"], momentum=f["momentum"], weight_decay=f["weight_decay"], device=device,
        )
        prepared.write(layout.zoo_target_dir(target.name))
        counts = prepared.meta["train"]
        print(f"{target.name}: {counts['full']} full, {counts['few']} few-shot, {prepared.meta['test']} test images")

if __name__ == "__main__":
    run_stage(main)
