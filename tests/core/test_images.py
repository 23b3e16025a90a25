"""Image tables: the validation split that chooses hyperparameters without the test set."""

import numpy as np
import pytest

from builders import glyph_table
from reprise.core.errors import InputError
from reprise.core.images import validation_split


def test_validation_split_holds_out_a_share_of_every_class():
    train = glyph_table(50, 5, 0)  # 10 images a class
    fit, val = validation_split(train, 0.2, seed=3)
    assert np.bincount(val.labels).tolist() == [2] * 5 and np.bincount(fit.labels).tolist() == [8] * 5
    assert set(fit.index["image"]).isdisjoint(val.index["image"])
    again, _ = validation_split(train, 0.2, seed=3)
    assert fit.index.equals(again.index)
    few = train.subset(np.flatnonzero(train.index.groupby("label").cumcount().to_numpy() < 2))
    fit, val = validation_split(few, 0.2, seed=0)  # at least one held out, at least one left
    assert np.bincount(val.labels).tolist() == [1] * 5 and np.bincount(fit.labels).tolist() == [1] * 5
    with pytest.raises(InputError, match="validation split needs two a class"):
        validation_split(train.subset(np.arange(5)), 0.2, seed=0)
