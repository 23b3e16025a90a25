"""extract: features (penultimate or projection head) of the pool and the target training images;
on distributed.processes processes (reprise.core.distributed), each extracting a share, rank 0 writing."""

from reprise.core.artifacts import write_npy
from reprise.core.checkpoints import kept_checkpoint, load_feature_model
from reprise.core.device import pick_device
from reprise.core.distributed import processes
from reprise.core.features import extract_features
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE, PRETRAIN_DIR, TARGET_TRAIN_TABLE
from reprise.core.sections import DEVICE, DistributedSettings, LoaderSettings
from reprise.core.stage import run_stage
from reprise.reuse.layout import POOL_FEATURES, TARGET_FEATURES
from reprise.reuse.settings import ExtractSettings

READS = (LoaderSettings, DEVICE, DistributedSettings, ExtractSettings)


def main(p) -> None:
    e = p.extract
    backbone, spec, _ = load_feature_model(kept_checkpoint(PRETRAIN_DIR, e.checkpoint), e.layer)
    device = pick_device(p.device)
    configure_loading(p.loader)
    tables = {TARGET_FEATURES: TARGET_TRAIN_TABLE, POOL_FEATURES: POOL_TABLE}
    features = {out: extract_features(backbone, spec, ImageTable.read(prefix), device, e.batch_size, desc=f"extract {prefix}") for out, prefix in tables.items()}
    if not processes().is_main:
        return
    for out, array in features.items():  # written only once all are computed: a failure leaves none
        write_npy(array, out)


if __name__ == "__main__":
    run_stage(main, READS, several=True)
