"""testbed_backbone PRETRAIN_SEED: one pre-training run of the testbed's backbones, the unit of
replication of its findings: the supervised backbone (the pipeline's recipe, pretrain.*, with this
seed) for Table 1 and the sweeps, the self-supervised one (SimCLR on the pool, no labels) for
Table 1b, and the pool's features from each. Resumable: an interrupted pre-training goes on from
its last epoch (reprise.core.resume)."""

import sys

from reprise.core.artifacts import write_npy
from reprise.core.checkpoints import kept_checkpoint, load_feature_model
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.layout import POOL_TABLE, POOL_VAL_TABLE, RESUME_DIR
from reprise.core.pretrain import pretrain
from reprise.core.sections import DEVICE, PretrainSettings
from reprise.core.stage import run_stage
from reprise.reuse.settings import ExtractSettings
from reprise.reuse.suite.layout import BACKBONES, backbone_dir, pool_features
from reprise.reuse.suite.settings import TestbedSettings

READS = (TestbedSettings.keys("pretrain_seeds", "contrastive.epochs"), DEVICE, ExtractSettings.keys("layer", "batch_size"),
         PretrainSettings.keys("arch", "widths", "epochs", "batch_size", "lr", "momentum", "weight_decay", "projection_dim", "temperature"))


def main(p) -> None:
    seeds = p.testbed.pretrain_seeds
    if sys.argv[1] not in map(str, seeds):
        raise InputError(f"usage: python -m stages.testbed_backbone PRETRAIN_SEED, one of testbed.pretrain_seeds {seeds}; got {sys.argv[1]!r}")
    seed, t, device = int(sys.argv[1]), p.pretrain, pick_device(p.device)
    pool = ImageTable.read(POOL_TABLE)
    for backbone in BACKBONES:
        supervised = backbone == "supervised"
        epochs = t.epochs if supervised else p.testbed.contrastive.epochs
        log = pretrain(
            pool, ImageTable.read(POOL_VAL_TABLE) if supervised else None, GLYPH_SPEC, backbone_dir(seed, backbone), mode=backbone,
            arch=t.arch, arch_kwargs={"widths": list(t.widths)}, epochs=epochs, keep_epochs=[epochs], batch_size=t.batch_size, lr=t.lr,
            momentum=t.momentum, weight_decay=t.weight_decay, seed=seed, device=device, projection_dim=t.projection_dim,
            temperature=t.temperature, desc=f"{backbone} backbone, pre-training seed {seed}", resume_dir=f"{RESUME_DIR}/testbed_backbone_{seed}_{backbone}",
        )
        print(log.tail(1).to_string(index=False))
        model, spec, _ = load_feature_model(kept_checkpoint(backbone_dir(seed, backbone), "last"), p.extract.layer)
        write_npy(extract_features(model, spec, pool, device, p.extract.batch_size), pool_features(seed, backbone))


if __name__ == "__main__":
    run_stage(main, READS)
