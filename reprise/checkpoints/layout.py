"""Where the checkpoint study's artifacts live (the third paper), relative to the repository root;
``dvc.yaml`` names the same paths."""

from __future__ import annotations

CHECKPOINT_STUDY_DIR = "data/checkpoints"       # epoch_<N>/ per studied pre-training checkpoint
CHECKPOINT_RESULTS = "results/checkpoints"      # metrics.json, summary.md, series CSVs, figures
NEAR_SOURCE_STUDY_DIR = "data/near_source"      # the suite's study of the same run at full size: epoch_<N>/ as above
NEAR_SOURCE_RESULTS = "results/near_source"     # its report, as results/checkpoints


def checkpoint_study_dir(epoch: int, root: str = CHECKPOINT_STUDY_DIR) -> str:
    """One studied checkpoint's artifacts under ``root``; N is not zero-padded, as ``dvc.yaml``'s ``epoch_${item}``."""
    return f"{root}/epoch_{int(epoch)}"

FAR_SOURCE_PRETRAIN_DIR = "data/far_source/pretrain"  # <pretrain_seed>/<source>/: checkpoints and the source table
FAR_SOURCE_STUDY_DIR = "data/far_source/study"        # epoch_<N>.csv: every (source, pre-training run) at that checkpoint
FAR_SOURCE_SCORES = "data/far_source/scores.csv"       # every (source, pre-training run, checkpoint)'s transferability scores
FAR_SOURCE_RESULTS = "results/far_source"             # seeds.csv, findings.csv, trajectory.png, score_ranking.csv


def far_source_run_dir(source: str, pretrain_seed: int) -> str:
    """One far-source pre-training run (the stage ``far_source_pretrain@<pretrain_seed>`` writes every source's)."""
    return f"{FAR_SOURCE_PRETRAIN_DIR}/{int(pretrain_seed)}/{source}"


def far_source_rows(epoch: int) -> str:
    return f"{FAR_SOURCE_STUDY_DIR}/epoch_{int(epoch)}.csv"
