"""zoo_targets: the zoo's target tasks, each in a full and a few-shot regime, with the sample the
scores read (at most zoo.score_per_class a class) and a probe network's features of it (RSA)."""

from reprise import layout
from reprise.artifacts import write_json, write_npy
from reprise.device import pick_device
from reprise.features import extract_features
from reprise.finetune import finetune
from reprise.models import GLYPH_SPEC, build_backbone
from reprise.params import section
from reprise.stage import run_stage
from reprise.transferability import sample_per_class
from reprise.zoo import few_shot, parse_targets, target_splits


def main(params: dict) -> None:
    zoo, p, f = section(params, "zoo"), section(params, "pretrain"), section(params, "finetune")
    device = pick_device(params["device"])
    for target in parse_targets(zoo["targets"]):
        name = target.name
        splits = target_splits(target, zoo["full_per_class"], zoo["test_per_class"], zoo["split_seed"])
        out = f"{layout.ZOO_DIR}/targets/{name}"
        regimes = {"full": splits.train, "few": few_shot(splits.train, zoo["few_per_class"])}
        for regime, train in regimes.items():
            rows = sample_per_class(train.labels, zoo["score_per_class"], seed=zoo["split_seed"])
            # The probe of RSA: the glyph architecture trained from scratch on the target.
            probe, _, _ = finetune(
                build_backbone("glyph_resnet", {"widths": list(p["widths"])}), GLYPH_SPEC, train, None, epochs=zoo["probe_epochs"],
                batch_size=f["batch_size"], lr=zoo["lr"], momentum=f["momentum"], weight_decay=f["weight_decay"], lam=0.0,
                seed=zoo["split_seed"], device=device, desc=f"probe {name} {regime}",
            )
            train.write(f"{out}/{regime}")
            write_npy(rows, f"{out}/score_rows_{regime}.npy")
            write_npy(extract_features(probe, GLYPH_SPEC, train.subset(rows), device, progress=False), f"{out}/probe_{regime}.npy")
        splits.test.write(f"{out}/test")
        write_json({**splits.meta, "train": {r: len(t) for r, t in regimes.items()}, "test": len(splits.test)}, f"{out}/meta.json")
        print(f"{name}: {len(splits.train)} full, {len(regimes['few'])} few-shot, {len(splits.test)} test images")


if __name__ == "__main__":
    run_stage(main)
