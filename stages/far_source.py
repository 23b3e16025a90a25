"""far_source EPOCH: the checkpoint study of every far-source run's checkpoint kept at EPOCH
(suite/dvc.yaml; reprise.checkpoints.far_source): source top-1, FE, FT, F_m and F_r."""

import sys

from reprise.checkpoints.far_source import far_source_study, study_epoch
from reprise.checkpoints.layout import far_source_rows, far_source_run_dir
from reprise.checkpoints.settings import CheckpointSettings, FarSourceSettings
from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.errors import InputError
from reprise.core.sections import DEVICE, JOBS
from reprise.core.stage import run_stage

READS = (FarSourceSettings.keys("sources", "pretrain_seeds", "finetune_epochs"), DEVICE, JOBS,
         CheckpointSettings.keys("target", "labels_per_class", "test_per_class", "classifier", "finetune.batch_size", "finetune.lr", "finetune.momentum",
                                 "finetune.weight_decay", "spectral_threshold"))


def main(p) -> None:
    cfg = p.far_source
    if not sys.argv[1].isdigit():
        raise InputError(f"usage: python -m stages.far_source EPOCH, an epoch of far_source.checkpoints; got {sys.argv[1]!r}")
    epoch = int(sys.argv[1])
    rows = study_epoch(cfg, epoch, far_source_study(p.checkpoints, cfg.finetune_epochs), far_source_run_dir, pick_device(p.device), p.jobs, "embedded")
    write_csv(rows, far_source_rows(epoch))
    print(rows.round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
