"""zoo_pretrain: one member of the model zoo, pre-trained on its part of the pool, taken from the
multi-domain expert, or imported.

Usage: python -m stages.zoo_pretrain <member>; the member is params.yaml's zoo.members.<member>.
On distributed.processes processes (reprise.core.distributed), rank 0 writing.
"""

import sys

from reprise.core import layout
from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import checkpoint_path, read_checkpoint, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.params import section
from reprise.core.pretrain import pretrain
from reprise.core.stage import run_stage
from reprise.core.weights import imported_checkpoint
from reprise.zoo.members import member_pool, parse_member


def main(params: dict) -> None:
    zoo, p = section(params, "zoo"), section(params, "pretrain")
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in zoo["members"]:
        raise InputError(f"usage: python -m stages.zoo_pretrain <member>, one of {', '.join(zoo['members'])}")
    member = parse_member(name, zoo["members"][name], zoo["multidomain"]["domains"])
    out = layout.zoo_member_dir(name)
    main_process = processes().is_main
    if member.domain is not None:  # a domain of the multi-domain expert, trained by zoo_multidomain
        if main_process:
            write_checkpoint(read_checkpoint(layout.zoo_multidomain(member.domain)), checkpoint_path(out, zoo["multidomain"]["epochs"]))
        return
    if member.weights is not None:
        ckpt = imported_checkpoint(member.weights, "torchvision", member.arch, section(params, "real")["image_size"], member.key_prefix)
        if main_process:
            write_checkpoint(ckpt, checkpoint_path(out, 0))
        return
    pool = member_pool(ImageTable.read(layout.POOL_TABLE), member, zoo["images_per_class"])
    log = pretrain(
        pool, None, GLYPH_SPEC, out, mode="supervised", arch=member.arch,
        arch_kwargs={"widths": list(p["widths"])}, epochs=zoo["pretrain_epochs"], keep_epochs=[], batch_size=p["batch_size"],
        lr=p["lr"], momentum=p["momentum"], weight_decay=p["weight_decay"], seed=p["seed"], device=pick_device(params["device"]), desc=f"zoo {name}",
    )
    if not main_process:
        return
    write_csv(log, f"{out}/log.csv")
    print(f"{name}: {pool.num_classes} classes, {len(pool)} images, final train accuracy {log['train_acc'].iloc[-1]:.3f}")


if __name__ == "__main__":
    run_stage(main, several=True)
