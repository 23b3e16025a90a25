"""pretrain: train the backbone on the pool (embedded) or import real weights, keeping checkpoints."""

import dataclasses

from reprise import layout
from reprise.device import pick_device
from reprise.images import ImageTable
from reprise.models import GLYPH_SPEC, IMAGENET_SPEC, backbone_checkpoint, import_moco_v2, import_torchvision_weights
from reprise.artifacts import write_checkpoint
from reprise.errors import InputError
from reprise.params import section
from reprise.pretrain import checkpoint_path, pretrain
from reprise.stage import run_stage


def main(params: dict) -> None:
    if params["mode"] == "real":
        real = section(params, "real")
        spec = dataclasses.replace(IMAGENET_SPEC, size=int(real["image_size"]))
        if real["weights_format"] == "moco_v2":
            model, head = import_moco_v2(real["weights"])
            extra = {"projection_head": head.state_dict(), "projection": {"in_dim": head.in_dim, "hidden_dim": head.hidden_dim, "out_dim": head.out_dim}}
            arch = "resnet50"
        elif real["weights_format"] == "torchvision":
            model, extra, arch = import_torchvision_weights(real["weights"], real["arch"]), {}, real["arch"]
        else:
            raise InputError(f"real.weights_format must be torchvision or moco_v2, got {real['weights_format']!r}")
        ckpt = backbone_checkpoint(model, arch, {}, spec, epoch=0, imported_from=str(real["weights"]), **extra)
        write_checkpoint(ckpt, checkpoint_path(layout.PRETRAIN_DIR, 0))
        print(f"imported {real['arch']} weights from {real['weights']}")
        return
    p = section(params, "pretrain")
    log = pretrain(
        ImageTable.read(layout.POOL_TABLE),
        ImageTable.read(layout.POOL_VAL_TABLE),
        GLYPH_SPEC,
        layout.PRETRAIN_DIR,
        mode=p["mode"],
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
        projection_dim=p["projection_dim"],
        temperature=p["temperature"],
    )
    log.to_csv(layout.PRETRAIN_LOG, index=False)
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
