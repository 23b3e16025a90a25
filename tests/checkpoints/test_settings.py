"""The checkpoints section of params.yaml: bad values are one-line errors; the study's settings."""

import pytest

from reprise.checkpoints.settings import CheckpointSettings, study_settings
from reprise.core.errors import InputError


GOOD = {"epochs": [16, 1, 4], "target": "mnist", "labels_per_class": 5, "test_per_class": None, "seeds": [0, 1],
        "classifier": {"lr": 0.01, "batch_size": 128, "fe_epochs": 10, "spectral_epochs": 5},
        "finetune": {"epochs": {"embedded": 1, "real": 100}, "batch_size": 32, "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0},
        "spectral_threshold": 0.8, "embedding_points": 50, "tsne_perplexity": 30, "lgc_projection_dim": 64, "ds_min_count": 5}


@pytest.mark.parametrize("key, value, fragment", [
    ("seeds", [], "checkpoints.seeds"), ("seeds", [0, 0], "checkpoints.seeds"), ("labels_per_class", 0, "labels_per_class"),
    ("spectral_threshold", 1.2, "spectral_threshold"), ("classifier", {"lr": 0.01, "batch_size": 128, "fe_epochs": 0, "spectral_epochs": 5}, "fe_epochs"),
    ("finetune", {"epochs": 1, "batch_size": 32, "lr": -1, "momentum": 0.9, "weight_decay": 0.0}, "finetune.lr"),
    ("embedding_points", "many", "embedding_points"), ("epochs", [], "checkpoints.epochs"), ("epochs", [1, 1], "checkpoints.epochs"),
    ("epochs", [-1], "checkpoints.epochs"), ("epochs", "all", "checkpoints.epochs"), ("epochs", [1.5], "checkpoints.epochs"),
])
def test_bad_settings_are_one_line_errors(key, value, fragment):
    CheckpointSettings.parse(GOOD)
    with pytest.raises(InputError, match=fragment) as err:
        CheckpointSettings.parse({**GOOD, key: value})
    assert "\n" not in str(err.value)


def test_epochs_are_sorted_and_values_by_mode_resolved_once():
    embedded, real = CheckpointSettings.parse(GOOD), CheckpointSettings.parse(GOOD, mode="real")
    assert embedded.epochs == [1, 4, 16]
    assert (embedded.finetune.epochs, real.finetune.epochs) == (1, 100)


def test_real_mode_own_target_needs_real_mode():
    c = CheckpointSettings.parse({**GOOD, "target": "target"})
    with pytest.raises(InputError, match="real mode's own target"):
        study_settings(c, "embedded")
    assert study_settings(CheckpointSettings.parse(GOOD), "embedded").target_dirs is None
