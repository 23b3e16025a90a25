"""testbed_backbone: the self-supervised backbone of the testbed's Table 1b (SimCLR on the pool, no labels)."""

from reprise.core.device import pick_device
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.layout import POOL_TABLE
from reprise.core.pretrain import pretrain
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage
from reprise.reuse.suite.layout import CONTRASTIVE_DIR
from reprise.reuse.suite.settings import TestbedSettings

READS = (TestbedSettings.keys("contrastive.epochs"), DEVICE,
         PretrainSettings.keys("arch", "widths", "batch_size", "lr", "momentum", "weight_decay", "seed", "projection_dim", "temperature"))


def main(p) -> None:
    t, epochs = p.pretrain, p.testbed.contrastive.epochs
    log = pretrain(
        ImageTable.read(POOL_TABLE), None, GLYPH_SPEC, CONTRASTIVE_DIR, mode="contrastive", arch=t.arch, arch_kwargs={"widths": list(t.widths)},
        epochs=epochs, keep_epochs=[epochs], batch_size=t.batch_size, lr=t.lr, momentum=t.momentum, weight_decay=t.weight_decay, seed=t.seed,
        device=pick_device(p.device), projection_dim=t.projection_dim, temperature=t.temperature,
    )
    print(log.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
