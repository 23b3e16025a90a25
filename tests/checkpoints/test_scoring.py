"""A checkpoint's transferability scores: every score but RSA on each seed's split, joined to the
study's rows one column a score, by seed."""

import numpy as np
import pandas as pd
import torch

from builders import glyph_table
from reprise.checkpoints import scoring
from reprise.core.backbones import GlyphResNet
from reprise.core.checkpoints import backbone_checkpoint, write_checkpoint
from reprise.core.images import GLYPH_SPEC
from reprise.core.score_names import SCORE_LABELS


def test_checkpoint_scores_give_every_score_but_rsa_for_each_seed(tmp_path, monkeypatch):
    torch.manual_seed(0)
    net = GlyphResNet(widths=(8, 16))
    write_checkpoint(backbone_checkpoint(net, "glyph_resnet", {"widths": (8, 16)}, GLYPH_SPEC, epoch=1,
                                         source_head=torch.nn.Linear(16, 3).state_dict()), tmp_path / "epoch_001.pt")
    monkeypatch.setattr(scoring, "seed_split", lambda settings, seed: (glyph_table(20, 2, seed), None))
    source = glyph_table(30, 3, 9)
    scores = scoring.checkpoint_scores(tmp_path / "epoch_001.pt", None, (0, 1), torch.device("cpu"), source=source, lgc_projection_dim=64,
                                       ds_min_count=5)
    assert set(scores["score"]) == set(SCORE_LABELS) - {"rsa"} and scores.groupby("seed").size().tolist() == [13, 13]
    assert np.isfinite(scores["value"]).all()  # a source head (LEEP, NCE) and source images (Domain Similarity)
    without = scoring.checkpoint_scores(tmp_path / "epoch_001.pt", None, (0,), torch.device("cpu"), source=None, lgc_projection_dim=64,
                                        ds_min_count=5)
    assert without.set_index("score")["value"].isna().loc[["domain_similarity"]].all()


def test_with_scores_adds_a_column_a_score_for_each_seed_after_the_accuracies():
    scores = pd.DataFrame({"seed": [1, 1, 2, 2], "score": ["lfc", "leep"] * 2, "value": [0.1, np.nan, 0.2, np.nan], "seconds": 0.0})
    seeds = pd.DataFrame({"epoch": [4, 4], "seed": [2, 1], "source_val_acc": [0.5, 0.5], "fe_acc": [0.6, 0.7], "ft_acc": [0.8, 0.9],
                          "train_images": [100, 100], "test_images": [50, 50]})
    out = scoring.with_scores(seeds, scores)
    assert out.columns.tolist() == ["epoch", "seed", "source_val_acc", "fe_acc", "ft_acc", "lfc", "leep", "train_images", "test_images"]
    assert out["seed"].tolist() == [2, 1] and np.allclose(out["lfc"], [0.2, 0.1]) and out["leep"].isna().all()
    assert out["fe_acc"].tolist() == [0.6, 0.7]
