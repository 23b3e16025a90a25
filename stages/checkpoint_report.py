"""checkpoint_report: FE/FT along the pre-training run, the paper's finding, the spectral table,
transferability correlations and the figures, from every checkpoint of ``checkpoints.epochs``."""

from reprise import layout
from reprise.checkpoint_report import load_studies, write_report
from reprise.params import section
from reprise.stage import run_stage
from reprise.trajectory import check_epochs


def main(params: dict) -> None:
    c = section(params, "checkpoints")
    studies = load_studies(check_epochs(c["epochs"]), layout.CHECKPOINT_STUDY_DIR)
    print(write_report(studies, c["target"], c["labels_per_class"], float(c["tsne_perplexity"]), layout.CHECKPOINT_RESULTS))


if __name__ == "__main__":
    run_stage(main)
