"""Unit means (reprise.core.means)."""

import numpy as np
import pytest

from reprise.core.errors import InputError
from reprise.core.means import unit_means


def test_unit_means_and_empty_units():
    features = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    means, counts = unit_means(features, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(means, [[2.0, 1.0], [5.0, 5.0]])
    assert counts.tolist() == [2, 1]
    with pytest.raises(InputError, match="unit 2 has no images"):
        unit_means(features, np.array([0, 0, 1]), 3)
