"""What the study of one checkpoint writes and the report reads back (no torch here, so the report
does not load the training stack).

Under ``data/checkpoints/epoch_<N>/`` (:func:`reprise.core.checkpoint_study_dir`):

- ``seeds.parquet``: one row per seed: ``epoch, seed, source_val_acc, fe_acc, ft_acc``, a column
  for every score of :mod:`reprise.checkpoints.scoring`, ``train_images, test_images``
  (accuracies 0-1; LEEP/NCE NaN without a source head, Domain Similarity without source images);
- ``spectral.parquet``: ``epoch, seed, model`` (``pretrained`` | ``finetuned``), ``part``
  (``F_m`` | ``F_r``), ``acc``, ``k_mean`` (mean rank of F_m over the training batches),
  ``feature_dim``;
- ``finetune_log.csv``: the fine-tuning log of every seed (``seed`` + the columns of
  :func:`reprise.core.finetune.finetune`'s log);
- ``embedding.parquet`` (``test_row, label``) with ``embedding_pretrained.npy`` and
  ``embedding_finetuned.npy``: float32 ``[points, d]`` features of those test images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reprise.checkpoints.layout import CHECKPOINT_STUDY_DIR, checkpoint_study_dir
from reprise.core.artifacts import read_csv, read_npy, read_parquet, write_csv, write_npy, write_parquet


@dataclass
class CheckpointStudy:
    seeds: pd.DataFrame          # seeds.parquet
    spectral: pd.DataFrame       # spectral.parquet
    finetune_log: pd.DataFrame   # finetune_log.csv
    embedding: pd.DataFrame      # test_row, label
    embedding_pretrained: np.ndarray
    embedding_finetuned: np.ndarray

    def write(self, out_dir: str | Path) -> None:
        out = Path(out_dir)
        write_parquet(self.seeds, out / "seeds.parquet")
        write_parquet(self.spectral, out / "spectral.parquet")
        write_csv(self.finetune_log, out / "finetune_log.csv")
        write_npy(self.embedding_pretrained, out / "embedding_pretrained.npy")
        write_npy(self.embedding_finetuned, out / "embedding_finetuned.npy")
        write_parquet(self.embedding, out / "embedding.parquet")

    @classmethod
    def read(cls, out_dir: str | Path) -> "CheckpointStudy":
        out = Path(out_dir)
        log_path = out / "finetune_log.csv"
        return cls(
            read_parquet(out / "seeds.parquet"),
            read_parquet(out / "spectral.parquet"),
            read_csv(log_path) if log_path.exists() else pd.DataFrame(),
            read_parquet(out / "embedding.parquet"),
            read_npy(out / "embedding_pretrained.npy"),
            read_npy(out / "embedding_finetuned.npy"),
        )


def read_studies(epochs: list[int], root: str = CHECKPOINT_STUDY_DIR) -> dict[int, CheckpointStudy]:
    """The study of every epoch under ``root`` (a missing one is an :class:`~reprise.core.errors.InputError`)."""
    return {epoch: CheckpointStudy.read(checkpoint_study_dir(epoch, root)) for epoch in epochs}
