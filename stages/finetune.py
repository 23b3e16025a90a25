"""finetune: fine-tune the backbone on the target, alone (baseline) or with the manifest (reuse).

Usage: python -m stages.finetune baseline|reuse
"""

import sys

from reprise.core import layout
from reprise.core.artifacts import read_parquet, write_csv
from reprise.core.checkpoints import backbone_checkpoint, kept_checkpoint, load_backbone, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.manifest import reused_source


def main(params: dict) -> None:
    run = sys.argv[1] if len(sys.argv) > 1 else ""
    if run not in layout.FINETUNE_RUNS:
        raise InputError(f"usage: python -m stages.finetune {'|'.join(layout.FINETUNE_RUNS)}")
    f = section(params, "finetune")
    backbone, spec, ckpt = load_backbone(kept_checkpoint(layout.PRETRAIN_DIR, section(params, "extract")["checkpoint"]))
    source = reused_source(ImageTable.read(layout.POOL_TABLE), read_parquet(layout.MANIFEST)) if run == "reuse" else None
    backbone, head, log = finetune(
        backbone,
        spec,
        ImageTable.read(layout.TARGET_TRAIN_TABLE),
        source,
        epochs=f["epochs"],
        batch_size=f["batch_size"],
        lr=f["lr"],
        momentum=f["momentum"],
        weight_decay=f["weight_decay"],
        lam=f["lambda"],
        seed=f["seed"],
        device=pick_device(params["device"]),
        source_labels=section(params, "select")["unit"] != "cluster",  # clusters: eq. 7, no label read
        test=ImageTable.read(layout.TARGET_TEST_TABLE),
        eval_every=f["eval_every"],
        desc=f"finetune {run}",
    )
    out = layout.finetune_dir(run)
    write_checkpoint(backbone_checkpoint(backbone, ckpt["arch"], ckpt.get("arch_kwargs", {}), spec, target_head=head.state_dict()), f"{out}/model.pt")
    write_csv(log, f"{out}/log.csv")
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
