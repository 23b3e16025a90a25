"""pretrain: train the backbone on the pool (embedded) or import real weights, keeping checkpoints;
on distributed.processes processes (reprise.core.distributed), rank 0 writing."""

from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import checkpoint_path, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.layout import POOL_TABLE, POOL_VAL_TABLE, PRETRAIN_DIR, PRETRAIN_LOG, RESUME_DIR
from reprise.core.pretrain import pretrain
from reprise.core.sections import DEVICE, DistributedSettings, PretrainSettings, RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage
from reprise.core.weights import imported_checkpoint, real_weights

READS = (MODE, DEVICE, DistributedSettings, PretrainSettings, RealSettings.keys("weights", "weights_format", "arch", "key_prefix", "image_size"))


def main(p) -> None:
    if p.mode == "real":
        if not processes().is_main:
            return
        real = p.real
        ckpt = imported_checkpoint(real_weights(real), real.weights_format, real.arch, real.image_size, real.key_prefix)
        write_checkpoint(ckpt, checkpoint_path(PRETRAIN_DIR, 0))
        print(f"imported {ckpt['arch']} weights from {ckpt['imported_from']} ({real.weights_format})")
        return
    t = p.pretrain
    log = pretrain(
        ImageTable.read(POOL_TABLE), ImageTable.read(POOL_VAL_TABLE), GLYPH_SPEC, PRETRAIN_DIR, mode=t.mode, arch=t.arch,
        arch_kwargs={"widths": list(t.widths)}, epochs=t.epochs, keep_epochs=list(t.keep_epochs), batch_size=t.batch_size, lr=t.lr,
        momentum=t.momentum, weight_decay=t.weight_decay, seed=t.seed, device=pick_device(p.device), projection_dim=t.projection_dim,
        temperature=t.temperature, resume_dir=f"{RESUME_DIR}/pretrain",
    )
    if processes().is_main:
        write_csv(log, PRETRAIN_LOG)
        print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS, several=True)
