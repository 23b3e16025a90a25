"""checkpoint: FE, FT, spectral components and every transferability score of one kept pre-training
checkpoint (``python -m stages.checkpoint <epoch>``; dvc.yaml runs one per ``checkpoints.epochs``)."""

import sys

from reprise.checkpoints.layout import checkpoint_study_dir
from reprise.checkpoints.scoring import scored_study
from reprise.checkpoints.settings import CheckpointSettings, study_settings
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE, PRETRAIN_DIR
from reprise.core.sections import DEVICE, JOBS, LoaderSettings, RealSettings
from reprise.core.settings import MODE
from reprise.core.stage import run_stage

READS = (
    LoaderSettings, MODE, DEVICE, JOBS, RealSettings.keys("target_train_dir", "target_test_dir"),
    CheckpointSettings.keys("target", "labels_per_class", "test_per_class", "seeds", "classifier", "finetune", "spectral_threshold", "embedding_points",
                             "lgc_projection_dim", "ds_min_count"),
)


def main(p) -> None:
    configure_loading(p.loader)
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise InputError("usage: python -m stages.checkpoint <pre-training epoch>, an epoch of checkpoints.epochs")
    epoch = int(sys.argv[1])
    settings = study_settings(p.checkpoints, p.mode, p.real)
    pool = ImageTable.read(POOL_TABLE) if p.mode == "embedded" else None  # the pool it was pre-trained on; imported weights have none here
    study = scored_study(PRETRAIN_DIR, epoch, settings, pick_device(p.device), jobs=p.jobs, mode=p.mode, source=pool,
                         lgc_projection_dim=p.checkpoints.lgc_projection_dim, ds_min_count=p.checkpoints.ds_min_count)
    study.write(checkpoint_study_dir(epoch))
    print(study.seeds.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
