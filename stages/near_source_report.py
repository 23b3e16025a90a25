"""near_source_report: the checkpoint report (as checkpoint_report) of the suite's near-source
study: FE/FT along the pre-training run, the paper's finding, the spectral table, the scores'
correlations, the figures and the findings."""

from reprise.checkpoints.layout import NEAR_SOURCE_RESULTS, NEAR_SOURCE_STUDY_DIR
from reprise.checkpoints.records import read_studies
from reprise.checkpoints.report import write_report
from reprise.checkpoints.settings import CheckpointSettings, NearSourceSettings
from reprise.core.stage import run_stage

READS = (NearSourceSettings.keys("epochs"), CheckpointSettings.keys("target", "labels_per_class", "tsne_perplexity"))


def main(p) -> None:
    c = p.checkpoints
    print(write_report(read_studies(p.near_source.epochs, NEAR_SOURCE_STUDY_DIR), c.target, c.labels_per_class, float(c.tsne_perplexity),
                       NEAR_SOURCE_RESULTS))


if __name__ == "__main__":
    run_stage(main, READS)
