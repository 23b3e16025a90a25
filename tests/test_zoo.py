import numpy as np
import pandas as pd
import pytest

from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import GlyphResNet, GlyphVGG, last_conv
from reprise.zoo_report import selection_table
from reprise.zoo import ZooMember, few_shot, member_pool, parse_member, parse_targets


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


def test_targets_are_validated():
    parsed = parse_targets(["mnist", "greek_lower", {"name": "cub", "train_dir": "a", "test_dir": "b"}])
    assert [t.name for t in parsed] == ["mnist", "greek_lower", "cub"] and parsed[2].train_dir == "a"
    for bad, fragment in (([], "non-empty"), (["klingon"], "unknown zoo target"), (["mnist", "mnist"], "distinct"),
                          ([{"name": "cub", "train_dir": "a"}], "exactly name, train_dir and test_dir"),
                          ([{"name": "../x", "train_dir": "a", "test_dir": "b"}], "plain folder name")):
        with pytest.raises(InputError, match=fragment):
            parse_targets(bad)


def test_lgc_layer_is_the_last_conv_of_the_main_path():
    resnet, vgg = GlyphResNet(), GlyphVGG()
    assert last_conv(resnet) is resnet.stages[-1].conv2  # not the 1x1 shortcut defined after it
    assert last_conv(vgg) is [m for m in vgg.modules() if m.__class__.__name__ == "Conv2d"][-1]


@pytest.mark.filterwarnings("error::RuntimeWarning")  # LogME once divided by zero on these features (n <= d, exact fit)
def test_a_weights_file_member_is_imported_scored_and_fine_tuned_on_an_image_folder_target(tmp_path, monkeypatch):
    """Real mode's zoo: a torchvision state_dict file as member, ImageFolder directories as target
    (Domain Similarity has no pre-training data to read, so it is NaN and the report skips it)."""
    import sys

    import torch
    import torchvision

    from pipeline_utils import REPO, merged
    from test_real_mode import image_folder
    from reprise.artifacts import read_parquet
    from reprise.params import load_params
    from stages import zoo_finetune, zoo_pretrain, zoo_scores, zoo_targets

    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None, num_classes=7).state_dict(), "r18.pth")
    image_folder(tmp_path / "train", classes=3, per_class=4, seed=1)
    image_folder(tmp_path / "test", classes=3, per_class=2, seed=2)
    folders = {"name": "folders", "train_dir": str(tmp_path / "train"), "test_dir": str(tmp_path / "test")}
    params = merged(load_params(REPO / "params.yaml"), {
        "real": {"image_size": 32},
        "zoo": {"members": {"r18": {"weights": "r18.pth", "arch": "resnet18"}}, "default": "r18", "targets": ["greek_lower", folders],
                "full_per_class": 3, "few_per_class": 2, "test_per_class": 2, "score_per_class": 3, "finetune_epochs": 1,
                "probe_epochs": 1, "lgc_projection_dim": 64, "seeds": [0]},
        "finetune": {"batch_size": 16},
    })
    monkeypatch.setattr(sys, "argv", ["stage", "r18"])
    for stage in (zoo_pretrain, zoo_targets, zoo_scores, zoo_finetune):
        stage.main(params)
    scores = read_parquet("data/zoo/scores/r18.parquet").set_index(["regime", "score"])["value"]
    assert np.isnan(scores.xs("domain_similarity", level="score")).all()
    assert np.isfinite(scores.drop("domain_similarity", level="score")).all()  # LEEP and NCE read the file's 7-class fc head
    accuracy = read_parquet("data/zoo/finetune/r18.parquet")
    assert set(accuracy["regime"]) == {"full", "few"} and accuracy["top1"].between(0, 100).all()
    assert set(accuracy["target"]) == {"greek_lower", "folders"}
    few = ImageTable.read("data/zoo/targets/folders/few")
    assert np.bincount(few.labels).tolist() == [2, 2, 2]  # zoo.few_per_class of each folder class
    assert len(ImageTable.read("data/zoo/targets/folders/full")) == 12 and len(ImageTable.read("data/zoo/targets/folders/test")) == 6
