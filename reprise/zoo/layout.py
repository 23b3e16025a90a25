"""Where the model-selection study's artifacts live (the linearized model-selection paper),
relative to the repository root; ``dvc.yaml`` names the same paths."""

from __future__ import annotations

ZOO_DIR = "data/zoo"
ZOO_RESULTS = "results/zoo"  # metrics.json, accuracy.csv, scores.csv, selection*.csv, figures
ZOO_MULTIDOMAIN_DIR = "data/zoo/multidomain"  # <domain>.pt: one checkpoint a domain of the multi-domain expert; log.csv


def zoo_member_dir(member: str) -> str:
    """A zoo member's checkpoints (``epoch_NNN.pt``) and pre-training ``log.csv``."""
    return f"{ZOO_DIR}/models/{member}"


def zoo_multidomain(domain: str) -> str:
    return f"{ZOO_MULTIDOMAIN_DIR}/{domain}.pt"


def zoo_target_dir(target: str) -> str:
    """A zoo target: ``full``/``few``/``test`` image tables, ``score_rows_<regime>.npy``,
    ``probe_<regime>.npy`` and ``meta.json``."""
    return f"{ZOO_DIR}/targets/{target}"


def zoo_scores(member: str) -> str:
    return f"{ZOO_DIR}/scores/{member}.parquet"


def zoo_finetune(member: str) -> str:
    return f"{ZOO_DIR}/finetune/{member}.parquet"
