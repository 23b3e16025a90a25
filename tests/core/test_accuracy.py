"""Top-1 accuracy: one definition, on features or through the backbone."""

import numpy as np
import torch

from builders import glyph_table
from reprise.core.accuracy import accuracy, head_accuracy
from reprise.core.backbones import GlyphResNet
from reprise.core.features import extract_features
from reprise.core.images import GLYPH_SPEC


def test_accuracy_through_the_backbone_is_head_accuracy_on_its_features():
    torch.manual_seed(0)
    table, backbone, head = glyph_table(300, 4, 0), GlyphResNet(widths=(8, 16)), torch.nn.Linear(16, 4)
    features = extract_features(backbone, GLYPH_SPEC, table, torch.device("cpu"), progress=False)
    predicted = head(torch.from_numpy(features)).argmax(1).numpy()
    expected = float((predicted == table.labels).mean())
    assert accuracy(backbone, head, table, GLYPH_SPEC, torch.device("cpu")) == expected
    assert head_accuracy(head, features, table.labels, batch_size=7) == expected
    labels = predicted.copy()
    labels[:30] = (labels[:30] + 1) % 4  # 30 of 300 wrong
    assert head_accuracy(head, features, labels) == 0.9
    assert np.isclose(head_accuracy(head, features, predicted), 1.0)
