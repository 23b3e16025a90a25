"""Sampling the target before scoring: at most a cap a class, seeded, one-line errors."""

import numpy as np
import pytest

from reprise.core.errors import InputError
from reprise.core.sampling import sample_per_class


def test_sample_per_class_caps_classes_and_is_seeded():
    y = np.array([0] * 40 + [1] * 10 + [2] * 30)
    idx = sample_per_class(y, max_per_class=25, seed=0)
    assert np.bincount(y[idx]).tolist() == [25, 10, 25]
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, sample_per_class(y, 25, seed=0))
    assert not np.array_equal(idx, sample_per_class(y, 25, seed=1))


@pytest.mark.parametrize("labels", [np.array([]), np.array([[0, 1]]), np.array([0.5, 1.0])])
def test_sample_per_class_rejects_labels_that_are_not_class_ids(labels):
    with pytest.raises(InputError, match="labels"):
        sample_per_class(labels)
