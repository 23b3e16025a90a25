"""Every score a model's features give, in one call: the names and order the reports use, LEEP and
NCE only with a source head, and each value the score's own function gives."""

import numpy as np
import pytest
import torch

from reprise.core.score_names import FEATURE_SCORES
from reprise.transferability import SCORES, leep, nce
from reprise.transferability.on_features import scores_on_features


def test_scores_on_features_gives_every_feature_score_and_leep_and_nce_only_with_a_source_head():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(2), 10)
    features = rng.normal(size=(20, 4)) + 3 * labels[:, None]
    head = {"weight": torch.randn(5, 4, dtype=torch.float64), "bias": torch.zeros(5, dtype=torch.float64)}
    with_head = {r["score"]: r for r in scores_on_features(features, labels, head, seed=0)}
    without = {r["score"]: r for r in scores_on_features(features, labels, None, seed=0)}
    assert list(with_head) == list(FEATURE_SCORES) == list(without)
    probs = torch.softmax(torch.from_numpy(features) @ head["weight"].T + head["bias"], dim=1).numpy()
    assert with_head["leep"]["value"] == pytest.approx(leep(probs, labels))
    assert with_head["nce"]["value"] == pytest.approx(nce(probs.argmax(1), labels))
    assert np.isnan(without["leep"]["value"]) and np.isnan(without["nce"]["seconds"])
    for name in ("lfc", "logme", "h_score", "shrinkage_h_score", "transrate", "sfda", "parc"):
        assert with_head[name]["value"] == pytest.approx(SCORES[name](features, labels)) == without[name]["value"]
    assert with_head["nleep"]["value"] == pytest.approx(SCORES["nleep"](features, labels, seed=0))
    assert all(r["seconds"] >= 0 for r in with_head.values())
