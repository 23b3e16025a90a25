"""Contrastive pre-training (SimCLR) and the random views of training."""

import math

import numpy as np
import pytest
import torch

from builders import glyph_table
from reprise.core.contrastive import nt_xent
from reprise.core.images import GLYPH_SPEC, ImageTable
from reprise.core.pretrain import pretrain
from reprise.core.views import contrastive_view, strong_view, weak_view


def test_nt_xent_matches_its_definition():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    total = 0.0
    for k in range(6):
        positive = (k + 3) % 6
        others = [l for l in range(6) if l != k]
        total -= math.log(math.exp(float(z[k] @ z[positive]) / 0.5) / sum(math.exp(float(z[k] @ z[l]) / 0.5) for l in others))
    assert float(nt_xent(z1, z2, 0.5)) == pytest.approx(total / 6, rel=1e-5)
    assert float(nt_xent(z1, z1.clone(), 0.5)) < float(nt_xent(z1, z2, 0.5))


def test_contrastive_pretraining_never_reads_labels(tmp_path):
    pool = glyph_table(48, 4, 0)
    shuffled = ImageTable(pool.index.assign(label=np.random.default_rng(1).permutation(pool.index["label"].to_numpy())), pool.pixels)
    weights = []
    for i, table in enumerate((pool, shuffled)):
        pretrain(
            table, table, GLYPH_SPEC, tmp_path / str(i), mode="contrastive", arch="glyph_resnet", arch_kwargs={"widths": [8, 16]},
            epochs=1, keep_epochs=[1], batch_size=16, lr=0.05, momentum=0.9, weight_decay=0.0, seed=0, device=torch.device("cpu"), progress=False,
        )
        weights.append(torch.load(tmp_path / str(i) / "epoch_001.pt", weights_only=False))
    assert weights[0]["pretrain_mode"] == "contrastive" and "source_head" not in weights[0]
    for key, value in weights[0]["backbone"].items():
        assert torch.equal(value, weights[1]["backbone"][key]), key
    assert weights[0]["projection"] == {"in_dim": 16, "hidden_dim": 16, "out_dim": 128}


def test_weak_strong_and_contrastive_views_are_random_views_of_the_batch():
    torch.manual_seed(0)
    raw = glyph_table(8, 2, 0).load_uint8(np.arange(8), 32, 1)
    g = torch.Generator().manual_seed(0)
    weak, strong = weak_view(raw, GLYPH_SPEC, g), strong_view(raw, GLYPH_SPEC, g)
    assert weak.shape == strong.shape == (8, 1, 32, 32)
    assert (weak - strong).abs().mean() > 0.1
    assert not torch.equal(contrastive_view(raw, GLYPH_SPEC, g), contrastive_view(raw, GLYPH_SPEC, g))
