"""The per-checkpoint study's transferability scores (§4.5)."""

import numpy as np
import pytest
import torch

from reprise.checkpoints.study import transferability
from reprise.transferability import leep, nce


def test_transferability_without_a_source_head_leaves_leep_and_nce_undefined():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(2), 10)
    features = rng.normal(size=(20, 4)) + 3 * labels[:, None]
    head = {"weight": torch.randn(5, 4, dtype=torch.float64), "bias": torch.zeros(5, dtype=torch.float64)}
    with_head = transferability(features, labels, {"source_head": head})
    without = transferability(features, labels, {})
    probs = torch.softmax(torch.from_numpy(features) @ head["weight"].T + head["bias"], dim=1).numpy()
    assert with_head["leep"] == pytest.approx(leep(probs, labels)) and with_head["nce"] == pytest.approx(nce(probs.argmax(1), labels))
    assert without["logme"] == with_head["logme"] and np.isnan(without["leep"]) and np.isnan(without["nce"])
