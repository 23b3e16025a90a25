"""pretrain: train the backbone on the pool (embedded) or import real weights, keeping checkpoints;
on distributed.processes processes (reprise.core.distributed), rank 0 writing."""

from reprise.core import layout
from reprise.core.artifacts import write_csv
from reprise.core.checkpoints import checkpoint_path, write_checkpoint
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.params import real_input, section
from reprise.core.pretrain import pretrain
from reprise.core.stage import run_stage
from reprise.core.weights import imported_checkpoint


def main(params: dict) -> None:
    if params["mode"] == "real":
        if not processes().is_main:
            return
        real = section(params, "real")
        ckpt = imported_checkpoint(real_input(real, "weights"), real["weights_format"], real["arch"], real["image_size"], real["key_prefix"])
        write_checkpoint(ckpt, checkpoint_path(layout.PRETRAIN_DIR, 0))
        print(f"imported {ckpt['arch']} weights from {real['weights']} ({real['weights_format']})")
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
        resume_dir=f"{layout.RESUME_DIR}/pretrain",
    )
    if processes().is_main:
        write_csv(log, layout.PRETRAIN_LOG)
        print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, several=True)
