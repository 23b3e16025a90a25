import numpy as np
import pandas as pd
import pytest

from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import GlyphResNet, GlyphVGG, last_conv
from reprise.zoo_report import selection_table
from reprise.zoo import ZooMember, few_shot, member_pool, parse_member


def accuracies(values: dict, target="t", regime="full", seed=0) -> pd.DataFrame:
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "seed": seed, "top1": v, "seconds": 10.0} for m, v in values.items()])


def scores(values: dict, name: str, target="t", regime="full") -> pd.DataFrame:
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "score": name, "value": v, "seconds": 2.0} for m, v in values.items()])


def test_selection_table_rewards_a_score_that_ranks_like_fine_tuning():
    acc = accuracies({"a": 90.0, "b": 80.0, "c": 70.0, "d": 60.0})
    table = selection_table(
        pd.concat([scores({"a": 4, "b": 3, "c": 2, "d": 1}, "good"), scores({"a": 1, "b": 2, "c": 3, "d": 4}, "bad")]), acc, default_member="c", top=2
    ).set_index("score")
    assert table.loc["good", "spearman"] == pytest.approx(1.0) and table.loc["bad", "spearman"] == pytest.approx(-1.0)
    assert table.loc["good", "trials_to_best"] == 1 and table.loc["bad", "trials_to_best"] == 4
    assert table.loc["good", "top_gain"] == 20.0 and table.loc["bad", "top_gain"] == 0.0  # best of {a, b} / {d, c} minus c
    assert table.loc["good", "relative_cost"] == pytest.approx(0.2)
    assert table.loc["random", "trials_to_best"] == 2.5
    # Expected best of two random members: pairs ab, ac, ad, bc, bd, cd -> 90, 90, 90, 80, 80, 70.
    assert table.loc["random", "top_gain"] == pytest.approx(500 / 6 - 70)
    assert table.loc["oracle", "top_gain"] == 20.0 and table.loc["oracle", "relative_cost"] == 4.0  # fine-tune every member


def test_a_score_missing_for_a_member_is_left_out():
    acc = accuracies({"a": 90.0, "b": 80.0})
    table = selection_table(scores({"a": 1.0, "b": float("nan")}, "leep"), acc, default_member="a")
    assert "leep" not in set(table["score"])


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


def test_lgc_layer_is_the_last_conv_of_the_main_path():
    resnet, vgg = GlyphResNet(), GlyphVGG()
    assert last_conv(resnet) is resnet.stages[-1].conv2  # not the 1x1 shortcut defined after it
    assert last_conv(vgg) is [m for m in vgg.modules() if m.__class__.__name__ == "Conv2d"][-1]
