"""finetune: fine-tune the backbone on the target, alone (baseline) or with the manifest (reuse)."""

import sys

from reprise import layout
from reprise.artifacts import read_parquet, write_checkpoint
from reprise.device import pick_device
from reprise.errors import InputError
from reprise.finetune import finetune
from reprise.images import ImageTable
from reprise.models import backbone_checkpoint, load_backbone
from reprise.params import section
from reprise.pretrain import resolve_checkpoint
from reprise.stage import run_stage

RUNS = ("baseline", "reuse")


def main(params: dict) -> None:
    run = sys.argv[1] if len(sys.argv) > 1 else ""
    if run not in RUNS:
        raise InputError(f"usage: python -m stages.finetune {'|'.join(RUNS)}")
    f = section(params, "finetune")
    backbone, spec, ckpt = load_backbone(resolve_checkpoint(layout.PRETRAIN_DIR, section(params, "extract")["checkpoint"]))
    source, labelled = None, section(params, "select")["unit"] != "cluster"
    if run == "reuse":
        manifest = read_parquet(layout.MANIFEST)
        source = ImageTable.read(layout.POOL_TABLE).subset(manifest["row"].to_numpy())
        # Classes (and single images) reuse their pool class by eq. 6; clusters have no label
        # and are reused by eq. 7, so the pool's labels are replaced, not read.
        source.index["label"] = manifest["source_label"].to_numpy()
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
        source_labels=labelled,
        test=ImageTable.read(layout.TARGET_TEST_TABLE),
        eval_every=f["eval_every"],
        desc=f"finetune {run}",
    )
    out = f"{layout.FINETUNE_DIR}/{run}"
    write_checkpoint(backbone_checkpoint(backbone, ckpt["arch"], ckpt.get("arch_kwargs", {}), spec, target_head=head.state_dict()), f"{out}/model.pt")
    log.to_csv(f"{out}/log.csv", index=False)
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
