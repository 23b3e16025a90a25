"""checkpoint_report: FE/FT along the pre-training run, the paper's finding, the spectral table,
transferability correlations and the figures, from every checkpoint of ``checkpoints.epochs``."""

from reprise.checkpoints.records import read_studies
from reprise.checkpoints.report import write_report
from reprise.checkpoints.settings import check_epochs
from reprise.core import layout
from reprise.core.params import section
from reprise.core.stage import run_stage


def main(params: dict) -> None:
    c = section(params, "checkpoints")
    studies = read_studies(check_epochs(c["epochs"]))
    print(write_report(studies, c["target"], c["labels_per_class"], float(c["tsne_perplexity"]), layout.CHECKPOINT_RESULTS))


if __name__ == "__main__":
    run_stage(main)
