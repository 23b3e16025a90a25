"""zoo_pretrain: one member of the model zoo, pre-trained on its part of the pool or imported.

Usage: python -m stages.zoo_pretrain <member>; the member is params.yaml's zoo.members.<member>.
"""

import dataclasses
import sys

from reprise import layout
from reprise.artifacts import write_checkpoint
from reprise.device import pick_device
from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import GLYPH_SPEC, IMAGENET_SPEC, backbone_checkpoint, import_torchvision_weights, torchvision_source_head
from reprise.params import section
from reprise.pretrain import checkpoint_path, pretrain
from reprise.stage import run_stage
from reprise.zoo import member_pool, parse_member


def main(params: dict) -> None:
    zoo, p = section(params, "zoo"), section(params, "pretrain")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_pretrain <member>, one of {', '.join(zoo['members'])}")
    member = parse_member(name, zoo["members"][name])
    out = f"{layout.ZOO_DIR}/models/{name}"
    if member.weights is not None:
        model = import_torchvision_weights(member.weights, member.arch)
        spec = dataclasses.replace(IMAGENET_SPEC, size=int(section(params, "real")["image_size"]))
        ckpt = backbone_checkpoint(model, member.arch, {}, spec, epoch=0, source_head=torchvision_source_head(member.weights), imported_from=member.weights)
        write_checkpoint(ckpt, checkpoint_path(out, 0))
        return
    pool = member_pool(ImageTable.read(layout.POOL_TABLE), member, zoo["images_per_class"])
    if len(pool) == 0:
        raise InputError(
            f"zoo member {name}: the pool has no class of concepts {', '.join(member.concepts or ())}; "
            "with a real pool, give zoo members as weight files ({weights: FILE, arch: resnet18})"
        )
    log = pretrain(
        pool, None, GLYPH_SPEC, out, mode="supervised", arch=member.arch,
        arch_kwargs={"widths": list(p["widths"])}, epochs=zoo["pretrain_epochs"], keep_epochs=[], batch_size=p["batch_size"],
        lr=p["lr"], momentum=p["momentum"], weight_decay=p["weight_decay"], seed=p["seed"], device=pick_device(params["device"]), desc=f"zoo {name}",
    )
    log.to_csv(f"{out}/log.csv", index=False)
    print(f"{name}: {pool.num_classes} classes, {len(pool)} images, final train accuracy {log['train_acc'].iloc[-1]:.3f}")


if __name__ == "__main__":
    run_stage(main)
