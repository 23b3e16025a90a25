"""near_source EPOCH: the checkpoint study of the default run's pre-training checkpoint at EPOCH at
its full embedded size (suite/dvc.yaml; near_source in suite/params.yaml): FE, FT, the spectral
parts and every transferability score, as ``checkpoint@<epoch>`` with the suite's seeds and
fine-tuning length."""

import sys

from reprise.checkpoints.layout import NEAR_SOURCE_STUDY_DIR, checkpoint_study_dir
from reprise.checkpoints.scoring import scored_study
from reprise.checkpoints.settings import CheckpointSettings, NearSourceSettings, embedded_study
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.core.layout import POOL_TABLE, PRETRAIN_DIR
from reprise.core.sections import DEVICE, JOBS
from reprise.core.stage import run_stage

READS = (
    NearSourceSettings, DEVICE, JOBS,
    CheckpointSettings.keys("target", "labels_per_class", "test_per_class", "classifier", "finetune.batch_size", "finetune.lr", "finetune.momentum",
                            "finetune.weight_decay", "spectral_threshold", "embedding_points", "lgc_projection_dim", "ds_min_count"),
)


def main(p) -> None:
    near = p.near_source
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) not in near.epochs:
        raise InputError(f"usage: python -m stages.near_source EPOCH, an epoch of near_source.epochs {near.epochs}")
    epoch = int(sys.argv[1])
    settings = embedded_study(p.checkpoints, seeds=near.seeds, finetune_epochs=near.finetune_epochs, embedding_points=p.checkpoints.embedding_points,
                              experiment="near-source study")
    study = scored_study(PRETRAIN_DIR, epoch, settings, pick_device(p.device), jobs=p.jobs, mode="embedded",
                         source=ImageTable.read(POOL_TABLE), lgc_projection_dim=p.checkpoints.lgc_projection_dim,
                         ds_min_count=p.checkpoints.ds_min_count)
    study.write(checkpoint_study_dir(epoch, NEAR_SOURCE_STUDY_DIR))
    print(study.seeds.to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
