"""Where the model-selection study's artifacts live (the linearized model-selection paper),
relative to the repository root; ``dvc.yaml`` and ``suite/dvc.yaml`` name the same paths.

The default pipeline's zoo lives under ``data/zoo``; the suite's zoo in the paper's regime under
``data/zoo_paper``: its targets once, a folder a pre-training run (``runs/<pretrain_seed>``)
laid out as ``data/zoo`` is (``models/``, ``multidomain/``), and that run's rows
(``rows/<pretrain_seed>/scores.csv``, ``accuracy.csv``). A path function's ``root`` is the
zoo (or the targets' folder) it belongs to."""

from __future__ import annotations

ZOO_DIR = "data/zoo"
ZOO_TARGETS = "data/zoo/targets"
ZOO_RESULTS = "results/zoo"  # metrics.json, accuracy.csv, scores.csv, selection*.csv, figures
ZOO_MULTIDOMAIN_DIR = "data/zoo/multidomain"  # <domain>.pt: one checkpoint a domain of the multi-domain expert; log.csv
PAPER_ZOO_DIR = "data/zoo_paper"
PAPER_ZOO_TARGETS = "data/zoo_paper/targets"
PAPER_ZOO_RESULTS = "results/zoo_paper"  # accuracy.csv, scores.csv (every run's rows), selection*.csv, findings.csv, figures


def zoo_member_dir(member: str, root: str = ZOO_DIR) -> str:
    """A zoo member's checkpoints (``epoch_NNN.pt``) and pre-training ``log.csv``."""
    return f"{root}/models/{member}"


def zoo_multidomain(domain: str, root: str = ZOO_DIR) -> str:
    return f"{root}/multidomain/{domain}.pt"


def zoo_target_dir(target: str, root: str = ZOO_TARGETS) -> str:
    """A zoo target: one image table a regime (``full``, and the few-shot ones), ``test``,
    ``score_rows_<regime>.npy``, ``probe_<regime>.npy`` and ``meta.json``."""
    return f"{root}/{target}"


def zoo_scores(member: str) -> str:
    return f"{ZOO_DIR}/scores/{member}.parquet"


def zoo_finetune(member: str) -> str:
    return f"{ZOO_DIR}/finetune/{member}.parquet"


def paper_zoo_run(pretrain_seed: int) -> str:
    """One pre-training run of the paper-regime zoo: every member (``models/``) and the multi-domain
    expert (``multidomain/``), pre-trained with this seed."""
    return f"{PAPER_ZOO_DIR}/runs/{pretrain_seed}"


def paper_zoo_scores(pretrain_seed: int) -> str:
    """One run's scores (every member, target, regime and score); the report gathers every run's
    into ``results/zoo_paper``."""
    return f"{PAPER_ZOO_DIR}/rows/{pretrain_seed}/scores.csv"


def paper_zoo_accuracy(pretrain_seed: int) -> str:
    """One run's fine-tunings (every member, target, regime and learning rate)."""
    return f"{PAPER_ZOO_DIR}/rows/{pretrain_seed}/accuracy.csv"
