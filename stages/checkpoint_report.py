"""checkpoint_report: FE/FT along the pre-training run, the paper's finding, the spectral table,
transferability correlations and the figures, from every checkpoint of ``checkpoints.epochs``."""

from reprise.checkpoints.layout import CHECKPOINT_RESULTS
from reprise.checkpoints.records import read_studies
from reprise.checkpoints.report import write_report
from reprise.checkpoints.settings import CheckpointSettings
from reprise.core.stage import run_stage

READS = (CheckpointSettings.keys("epochs", "target", "labels_per_class", "tsne_perplexity"),)


def main(p) -> None:
    c = p.checkpoints
    print(write_report(read_studies(c.epochs), c.target, c.labels_per_class, float(c.tsne_perplexity), CHECKPOINT_RESULTS))


if __name__ == "__main__":
    run_stage(main, READS)
