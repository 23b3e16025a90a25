"""Co-Tuning (You et al. 2020): the category relationship from calibrated source predictions, and
fine-tuning with the source head trained towards it."""

import numpy as np
import pytest
import torch

from builders import glyph_table
from reprise.core.backbones import GlyphResNet
from reprise.core.errors import InputError
from reprise.core.finetune import finetune
from reprise.core.images import GLYPH_SPEC
from reprise.reuse.cotuning import category_relationship, cotuning_relationship, fit_temperature


def test_temperature_scaling_recovers_the_temperature_of_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(4000, 5))
    probs = np.exp(logits / 2.5) / np.exp(logits / 2.5).sum(1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in probs])  # labels drawn from softmax(z / 2.5)
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.1)


def test_relationship_rows_are_class_means_of_the_source_probabilities_and_sum_to_one():
    probs = np.array([[0.7, 0.2, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]])
    relation = category_relationship(probs, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(relation, [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(relation.sum(1), 1.0)
    with pytest.raises(InputError, match="target class 2 has no training image"):
        category_relationship(probs, np.array([0, 0, 1]), 3)


def test_cotuning_trains_the_pretrained_source_head_towards_the_relationship():
    torch.manual_seed(0)
    backbone = GlyphResNet(widths=(8, 16)).eval()
    source_head = torch.nn.Linear(16, 6).state_dict()
    target, source_val = glyph_table(40, 4, 1), glyph_table(60, 6, 2)
    relation, temperature = cotuning_relationship(backbone, GLYPH_SPEC, source_head, target, source_val, torch.device("cpu"))
    assert relation.shape == (4, 6) and np.allclose(relation.sum(1), 1.0) and temperature > 0
    uncalibrated, one = cotuning_relationship(backbone, GLYPH_SPEC, source_head, target, None, torch.device("cpu"))
    assert one == 1.0 and not np.allclose(uncalibrated, relation)
    _, _, log = finetune(backbone, GLYPH_SPEC, target, None, epochs=4, batch_size=8, lr=0.05, momentum=0.9, weight_decay=0.0, lam=1.0, seed=0,
                         device=torch.device("cpu"), relationship=relation, source_head_state=source_head, progress=False)
    entropy = float(-(relation * np.log(relation)).sum(1).mean())  # the soft cross-entropy's floor
    assert (log["source_loss"] > entropy - 1e-6).all() and log["source_loss"].iloc[-1] < log["source_loss"].iloc[0]
    with pytest.raises(InputError, match="source_head"):
        cotuning_relationship(backbone, GLYPH_SPEC, None, target, None, torch.device("cpu"))
