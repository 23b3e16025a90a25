"""The checkpoints section of params.yaml: bad values are one-line errors."""

import pytest

from reprise.checkpoints.settings import check_epochs, settings_from_params
from reprise.core.errors import InputError


GOOD = {"target": "mnist", "labels_per_class": 5, "test_per_class": None, "seeds": [0, 1],
        "classifier": {"lr": 0.01, "batch_size": 128, "fe_epochs": 10, "spectral_epochs": 5},
        "finetune": {"epochs": 1, "batch_size": 32, "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0},
        "spectral_threshold": 0.8, "embedding_points": 50}


@pytest.mark.parametrize("key, value, fragment", [
    ("seeds", [], "checkpoints.seeds"), ("seeds", [0, 0], "checkpoints.seeds"), ("labels_per_class", 0, "labels_per_class"),
    ("spectral_threshold", 1.2, "spectral_threshold"), ("classifier", {"lr": 0.01, "batch_size": 128, "fe_epochs": 0, "spectral_epochs": 5}, "fe_epochs"),
    ("finetune", {"epochs": 1, "batch_size": 32, "lr": -1}, "finetune.lr"), ("embedding_points", "many", "embedding_points"),
])
def test_bad_settings_are_one_line_errors(key, value, fragment):
    settings_from_params(GOOD)
    with pytest.raises(InputError, match=fragment) as err:
        settings_from_params({**GOOD, key: value})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("epochs", [[], [1, 1], [-1], "all", [1.5]])
def test_bad_epoch_lists(epochs):
    with pytest.raises(InputError, match="checkpoints.epochs"):
        check_epochs(epochs)
    assert check_epochs([16, 1, 4]) == [1, 4, 16]
