"""The softmax classifier on frozen features: FE transfer (§1, §4.1) and the spectral classifiers."""

import copy

import numpy as np
import torch

from builders import glyph_table
from reprise.checkpoints.softmax_classifier import classifier_accuracy, feature_extractor_transfer, train_softmax_classifier
from reprise.checkpoints.spectral import spectral_part
from reprise.core.backbones import GlyphResNet
from reprise.core.images import GLYPH_SPEC


def test_feature_extraction_never_updates_the_backbone():
    torch.manual_seed(0)
    backbone = GlyphResNet(widths=(8, 16))
    for module in backbone.modules():  # running statistics that a train-mode forward would move
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    backbone.train()
    before = copy.deepcopy(backbone.state_dict())
    result = feature_extractor_transfer(backbone, GLYPH_SPEC, glyph_table(40, 4, 0), glyph_table(20, 4, 1), epochs=30, lr=0.01,
                                        batch_size=16, seed=0, device=torch.device("cpu"))
    after = backbone.state_dict()
    assert before.keys() == after.keys()
    for name, tensor in before.items():  # every parameter and buffer, BN running stats and counters included
        assert torch.equal(tensor, after[name]), name
    assert all(p.grad is None for p in backbone.parameters())
    assert all(m.training for m in backbone.modules())  # train/eval flags restored
    assert result.train_features.shape == (40, 16) and result.test_features.shape == (20, 16)
    assert result.accuracy > 0.25  # above chance (4 classes) on frozen random features


def test_softmax_classifier_is_seeded_and_learns_separable_features():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 30)
    features = rng.normal(size=(90, 5)) + 4 * np.eye(3, 5)[labels]
    heads = [train_softmax_classifier(features, labels, 3, epochs=20, batch_size=16, seed=7) for _ in range(2)]
    assert torch.equal(heads[0].weight, heads[1].weight)
    assert classifier_accuracy(heads[0], features, labels) > 0.95
    transform = spectral_part("F_m", 0.8)
    head = train_softmax_classifier(features, labels, 3, epochs=20, batch_size=32, seed=0, transform=transform)
    assert 0 <= classifier_accuracy(head, features, labels, batch_size=32, transform=transform) <= 1
