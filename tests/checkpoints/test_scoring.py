"""A checkpoint's transferability scores join its study's rows, one column a score, by seed."""

import numpy as np
import pandas as pd

from reprise.checkpoints import scoring


def test_with_scores_adds_a_column_a_score_for_each_seed_after_the_accuracies(monkeypatch):
    def fake_scores(path, settings, seed, device):
        return [{"score": "lfc", "value": 0.1 * seed, "seconds": 0.0}, {"score": "leep", "value": float("nan"), "seconds": float("nan")}]

    monkeypatch.setattr(scoring, "checkpoint_scores", fake_scores)
    seeds = pd.DataFrame({"epoch": [4, 4], "seed": [2, 1], "source_val_acc": [0.5, 0.5], "fe_acc": [0.6, 0.7], "ft_acc": [0.8, 0.9],
                          "train_images": [100, 100], "test_images": [50, 50]})
    out = scoring.with_scores(seeds, "ckpt.pt", None, "cpu")
    assert out.columns.tolist() == ["epoch", "seed", "source_val_acc", "fe_acc", "ft_acc", "lfc", "leep", "train_images", "test_images"]
    assert out["seed"].tolist() == [2, 1] and np.allclose(out["lfc"], [0.2, 0.1]) and out["leep"].isna().all()
    assert out["fe_acc"].tolist() == [0.6, 0.7]
