"""pretrain: train the backbone on the pool (embedded) or import real weights, keeping checkpoints."""

import dataclasses

from reprise import layout
from reprise.device import pick_device
from reprise.images import ImageTable
from reprise.models import GLYPH_SPEC, IMAGENET_SPEC, backbone_checkpoint, import_torchvision_weights
from reprise.artifacts import write_checkpoint
from reprise.params import section
from reprise.pretrain import checkpoint_path, pretrain_supervised
from reprise.stage import run_stage


def main(params: dict) -> None:
    if params["mode"] == "real":
        real = section(params, "real")
        model = import_torchvision_weights(real["weights"], real["arch"])
        spec = dataclasses.replace(IMAGENET_SPEC, size=int(real["image_size"]))
        ckpt = backbone_checkpoint(model, real["arch"], {}, spec, epoch=0, imported_from=str(real["weights"]))
        write_checkpoint(ckpt, checkpoint_path(layout.PRETRAIN_DIR, 0))
        print(f"imported {real['arch']} weights from {real['weights']}")
        return
    p = section(params, "pretrain")
    log = pretrain_supervised(
        ImageTable.read(layout.POOL_TABLE),
        ImageTable.read(layout.POOL_VAL_TABLE),
        GLYPH_SPEC,
        layout.PRETRAIN_DIR,
        arch=p["arch"],
        arch_kwargs={"widths": list(p["widths"])},
        epochs=p["epochs"],
        keep_epochs=list(p["keep_epochs"]),
        batch_size=p["batch_size"],
        lr=p["lr"],
        momentum=p["momentum"],
        weight_decay=p["weight_decay"],
        seed=p["seed"],
        device=pick_device(params["device"]),
    )
    log.to_csv(layout.PRETRAIN_LOG, index=False)
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
