"""finetune: fine-tune the backbone on the target, alone (baseline) or with what the selection
reuses (reuse: the manifest's images, or Co-Tuning's relationship).

Usage: python -m stages.finetune baseline|reuse; on distributed.processes processes
(reprise.core.distributed), rank 0 logging and writing.
"""

import sys

from reprise.core.artifacts import read_parquet, write_csv
from reprise.core.backbones import GLYPH_ARCHS
from reprise.core.checkpoints import backbone_checkpoint, kept_checkpoint, load_backbone, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.finetune import finetune
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import LIVE_DIR, POOL_TABLE, POOL_VAL_TABLE, PRETRAIN_DIR, RESUME_DIR, TARGET_TEST_TABLE, TARGET_TRAIN_TABLE
from reprise.core.live import EpochLog
from reprise.core.sections import DEVICE, DistributedSettings, FinetuneSettings, LoaderSettings
from reprise.core.stage import run_stage
from reprise.core.weights import export_torchvision
from reprise.reuse.layout import FINETUNE_RUNS, MANIFEST, finetune_dir
from reprise.reuse.reused import reused_data
from reprise.reuse.settings import ExtractSettings, SelectSettings

BASELINE = (LoaderSettings, DEVICE, DistributedSettings, FinetuneSettings, ExtractSettings.keys("checkpoint"))
READS = {FINETUNE_RUNS[0]: BASELINE, FINETUNE_RUNS[1]: (*BASELINE, SelectSettings.keys("method", "unit"))}  # by the stage's argument


def main(p) -> None:
    run = sys.argv[1]
    configure_loading(p.loader)
    f = p.finetune
    device = pick_device(p.device)
    main_process = processes().is_main
    backbone, spec, ckpt = load_backbone(kept_checkpoint(PRETRAIN_DIR, p.extract.checkpoint))
    target = ImageTable.read(TARGET_TRAIN_TABLE)
    source, labelled, relationship = None, True, None
    if run == "reuse":
        reused = reused_data(p.select.method, p.select.unit, read_parquet(MANIFEST), lambda: ImageTable.read(POOL_TABLE), backbone=backbone,
                             spec=spec, source_head=ckpt.get("source_head"), target=target, pool_val=lambda: ImageTable.read(POOL_VAL_TABLE),
                             device=device)
        source, labelled, relationship = reused.source, reused.source_labels, reused.relationship
        if main_process:
            print(reused.description)
    metrics = ("target_loss", "source_loss", "train_acc", "test_acc") if run == "reuse" else ("target_loss", "train_acc", "test_acc")  # baseline: no source term
    live = EpochLog(f"{LIVE_DIR}/finetune_{run}", metrics, percent=("train_acc", "test_acc")) if main_process else None
    backbone, head, log = finetune(
        backbone, spec, target, source, epochs=f.epochs, batch_size=f.batch_size, lr=f.lr, momentum=f.momentum, weight_decay=f.weight_decay,
        lam=f.lambda_, seed=f.seed, device=device, source_labels=labelled, test=ImageTable.read(TARGET_TEST_TABLE), eval_every=f.eval_every,
        relationship=relationship, source_head_state=ckpt.get("source_head"), desc=f"finetune {run}", resume_dir=f"{RESUME_DIR}/finetune_{run}",
        on_epoch=live,
    )
    if not main_process:
        return
    live.close()
    out = finetune_dir(run)
    write_checkpoint(backbone_checkpoint(backbone, ckpt["arch"], ckpt.get("arch_kwargs", {}), spec, target_head=head.state_dict()), f"{out}/model.pt")
    if ckpt["arch"] not in GLYPH_ARCHS:  # a torchvision model: also as its plain state dict, for use without Reprise
        export_torchvision(backbone, head, ckpt["arch"], f"{out}/torchvision")
    write_csv(log, f"{out}/log.csv")
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS, several=True)
