"""testbed_backbone: the self-supervised backbone of the testbed's Table 1b (SimCLR on the pool, no labels)."""

from reprise.core import layout
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.params import section
from reprise.core.device import pick_device
from reprise.core.pretrain import pretrain
from reprise.core.stage import run_stage
from reprise.reuse import suite


def main(params: dict) -> None:
    p, epochs = section(params, "pretrain"), suite.load_testbed()["contrastive"]["epochs"]
    log = pretrain(
        ImageTable.read(layout.POOL_TABLE), None, GLYPH_SPEC, suite.CONTRASTIVE_DIR, mode="contrastive", arch=p["arch"],
        arch_kwargs={"widths": list(p["widths"])}, epochs=epochs, keep_epochs=[epochs], batch_size=p["batch_size"], lr=p["lr"],
        momentum=p["momentum"], weight_decay=p["weight_decay"], seed=p["seed"], device=pick_device(params["device"]),
        projection_dim=p["projection_dim"], temperature=p["temperature"],
    )
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
