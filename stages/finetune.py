"""finetune: fine-tune the backbone on the target, alone (baseline) or with the manifest (reuse).

Usage: python -m stages.finetune baseline|reuse; on distributed.processes processes
(reprise.core.distributed), rank 0 logging and writing.
"""

import sys

from reprise.core import layout
from reprise.core.artifacts import read_parquet, write_csv
from reprise.core.backbones import GLYPH_ARCHS
from reprise.core.checkpoints import backbone_checkpoint, kept_checkpoint, load_backbone, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.errors import InputError
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable, configure_loading
from reprise.core.live import EpochLog
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.core.weights import export_torchvision
from reprise.reuse.cotuning import cotuning_relationship
from reprise.reuse.manifest import reused_source


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    run = sys.argv[1] if len(sys.argv) > 1 else ""
    if run not in layout.FINETUNE_RUNS:
        raise InputError(f"usage: python -m stages.finetune {'|'.join(layout.FINETUNE_RUNS)}")
    f = section(params, "finetune")
    device = pick_device(params["device"])
    main_process = processes().is_main
    backbone, spec, ckpt = load_backbone(kept_checkpoint(layout.PRETRAIN_DIR, section(params, "extract")["checkpoint"]))
    target = ImageTable.read(layout.TARGET_TRAIN_TABLE)
    source, relationship, labelled = None, None, True
    if run == "reuse":
        s = section(params, "select")
        if s["method"] == "cotuning":
            pool_val = ImageTable.read(layout.POOL_VAL_TABLE)
            relationship, temperature = cotuning_relationship(backbone, spec, ckpt.get("source_head"), target, pool_val, device)
            if main_process:
                print(f"Co-Tuning: {relationship.shape[0]} target classes over {relationship.shape[1]} source classes, temperature {temperature:.3f}")
        else:
            source = reused_source(ImageTable.read(layout.POOL_TABLE), read_parquet(layout.MANIFEST))
            labelled = s["unit"] != "cluster"  # clusters: eq. 7, no label read
    live = EpochLog(f"{layout.LIVE_DIR}/finetune_{run}", ("target_loss", "source_loss", "train_acc", "test_acc")) if main_process else None
    backbone, head, log = finetune(
        backbone,
        spec,
        target,
        source,
        epochs=f["epochs"],
        batch_size=f["batch_size"],
        lr=f["lr"],
        momentum=f["momentum"],
        weight_decay=f["weight_decay"],
        lam=f["lambda"],
        seed=f["seed"],
        device=device,
        source_labels=labelled,
        test=ImageTable.read(layout.TARGET_TEST_TABLE),
        eval_every=f["eval_every"],
        relationship=relationship,
        source_head_state=ckpt.get("source_head"),
        desc=f"finetune {run}",
        resume_dir=f"{layout.RESUME_DIR}/finetune_{run}",
        on_epoch=live,
    )
    if not main_process:
        return
    live.close()
    out = layout.finetune_dir(run)
    write_checkpoint(backbone_checkpoint(backbone, ckpt["arch"], ckpt.get("arch_kwargs", {}), spec, target_head=head.state_dict()), f"{out}/model.pt")
    if ckpt["arch"] not in GLYPH_ARCHS:  # a torchvision model: also as its plain state dict, for use without Reprise
        export_torchvision(backbone, head, ckpt["arch"], f"{out}/torchvision")
    write_csv(log, f"{out}/log.csv")
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, several=True)
