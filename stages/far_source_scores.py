"""far_source_scores: every transferability score of every far-source run's kept checkpoint on that
run's target split (suite/dvc.yaml; reprise.checkpoints.scoring), to rank the checkpoints against
their FE and FT accuracy (far_source_report)."""

from reprise.checkpoints.far_source import far_source_study
from reprise.checkpoints.layout import FAR_SOURCE_SCORES, far_source_run_dir
from reprise.checkpoints.scoring import far_source_scores
from reprise.checkpoints.settings import CheckpointSettings, FarSourceSettings
from reprise.core.artifacts import write_csv
from reprise.core.device import pick_device
from reprise.core.sections import DEVICE
from reprise.core.stage import run_stage

READS = (FarSourceSettings.keys("sources", "pretrain_seeds", "checkpoints", "finetune_epochs"), DEVICE,
         CheckpointSettings.keys("target", "labels_per_class", "test_per_class", "classifier", "finetune.batch_size", "finetune.lr", "finetune.momentum",
                                 "finetune.weight_decay", "spectral_threshold", "lgc_projection_dim", "ds_min_count"))


def main(p) -> None:
    c = p.checkpoints
    scores = far_source_scores(p.far_source, far_source_study(c, p.far_source.finetune_epochs), far_source_run_dir, pick_device(p.device),
                               lgc_projection_dim=c.lgc_projection_dim, ds_min_count=c.ds_min_count)
    write_csv(scores, FAR_SOURCE_SCORES)


if __name__ == "__main__":
    run_stage(main, READS)
