"""far_source_pretrain PRETRAIN_SEED: one pre-training run of every far-source source (suite/dvc.yaml;
reprise.checkpoints.far_source): the pipeline's recipe (pretrain.*) with this seed, far_source.epochs
long, keeping far_source.checkpoints, and the source table with the labels it trained on.
Resumable: an interrupted pre-training goes on from its last epoch (reprise.core.resume)."""

import sys

from reprise.checkpoints.far_source import SOURCE_TABLE, held_out, source_table
from reprise.checkpoints.layout import far_source_run_dir
from reprise.checkpoints.settings import FarSourceSettings
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.layout import POOL_TABLE, POOL_VAL_TABLE, RESUME_DIR
from reprise.core.pretrain import pretrain
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage

READS = (FarSourceSettings.keys("sources", "images_per_class", "epochs", "checkpoints", "pretrain_seeds"), DEVICE,
         PretrainSettings.keys("arch", "widths", "batch_size", "lr", "momentum", "weight_decay"))


def main(p) -> None:
    cfg, t = p.far_source, p.pretrain
    if sys.argv[1] not in map(str, cfg.pretrain_seeds):
        raise InputError(f"usage: python -m stages.far_source_pretrain PRETRAIN_SEED, one of far_source.pretrain_seeds {cfg.pretrain_seeds}; "
                         f"got {sys.argv[1]!r}")
    seed = int(sys.argv[1])
    pool, pool_val = ImageTable.read(POOL_TABLE), ImageTable.read(POOL_VAL_TABLE)
    for name, source in cfg.sources.items():
        table = source_table(pool, source["concepts"], cfg.images_per_class, source["label_noise"], seed)
        out = far_source_run_dir(name, seed)
        log = pretrain(
            table, held_out(pool_val, table), GLYPH_SPEC, out, mode="supervised", arch=t.arch, arch_kwargs={"widths": list(t.widths)},
            epochs=cfg.epochs, keep_epochs=[e for e in cfg.checkpoints if e <= cfg.epochs], batch_size=t.batch_size, lr=t.lr,
            momentum=t.momentum, weight_decay=t.weight_decay, seed=seed, device=pick_device(p.device),
            desc=f"far source {name}, pre-training seed {seed}", resume_dir=f"{RESUME_DIR}/far_source_{seed}_{name}",
        )
        table.write(f"{out}/{SOURCE_TABLE}")
        print(f"{name} ({table.num_classes} classes, {len(table)} images, label noise {source['label_noise']:g}):")
        print(log[log["epoch"].isin(cfg.checkpoints)].to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
