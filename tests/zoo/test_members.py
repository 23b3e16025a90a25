"""Zoo members: params validated, each member's share of the pool."""

import numpy as np
import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.zoo.members import ZooMember, member_pool, parse_member
from reprise.zoo.targets import few_shot


def glyph_pool() -> ImageTable:
    index = pd.DataFrame({
        "image": np.arange(12),
        "label": np.repeat([0, 1, 2], 4),
        "class_name": np.repeat(["0", "A", "α"], 4),
        "concept": np.repeat(["digit", "latin_upper", "greek_lower"], 4),
    })
    return ImageTable(index, np.zeros((12, 32, 32), dtype=np.uint8))


def test_member_pool_takes_its_concepts_caps_images_and_renumbers_labels():
    pool = member_pool(glyph_pool(), ZooMember("m", "glyph_resnet", concepts=("digit", "greek_lower")), images_per_class=3)
    assert pool.index["class_name"].tolist() == ["0"] * 3 + ["α"] * 3
    assert pool.labels.tolist() == [0, 0, 0, 1, 1, 1]
    everything = member_pool(glyph_pool(), ZooMember("all", "glyph_resnet"), images_per_class=10)
    assert len(everything) == 12 and everything.num_classes == 3
    assert few_shot(everything, 2).labels.tolist() == [0, 0, 1, 1, 2, 2]


def test_members_are_validated():
    assert parse_member("g", {"concepts": ["greek_lower"], "arch": "glyph_vgg"}).concepts == ("greek_lower",)
    assert parse_member("r", {"weights": "w.pth", "arch": "resnet18"}).weights == "w.pth"
    for bad in ({"concepts": ["klingon"], "arch": "glyph_resnet"}, {"arch": "glyph_resnet"}, {"concepts": "all", "weights": "w", "arch": "x"}):
        with pytest.raises(InputError, match="zoo.members.x"):
            parse_member("x", bad)


def test_a_member_whose_concepts_the_pool_lacks_is_a_one_line_error():
    with pytest.raises(InputError, match="zoo member cyr: the pool has no class of concepts cyrillic_upper"):
        member_pool(glyph_pool(), ZooMember("cyr", "glyph_resnet", concepts=("cyrillic_upper",)), images_per_class=3)
