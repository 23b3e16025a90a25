"""Where the checkpoint study's artifacts live (the third paper), relative to the repository root;
``dvc.yaml`` names the same paths."""

from __future__ import annotations

CHECKPOINT_STUDY_DIR = "data/checkpoints"       # epoch_<N>/ per studied pre-training checkpoint
CHECKPOINT_RESULTS = "results/checkpoints"      # metrics.json, summary.md, series CSVs, figures


def checkpoint_study_dir(epoch: int) -> str:
    """One studied checkpoint's artifacts; N is not zero-padded, as ``dvc.yaml``'s ``epoch_${item}``."""
    return f"{CHECKPOINT_STUDY_DIR}/epoch_{int(epoch)}"
