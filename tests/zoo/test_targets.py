"""Zoo targets: params validated; a weights-file member scored and fine-tuned on a folder target."""

from types import SimpleNamespace
import sys

import numpy as np
import pytest
import torch
import torchvision

from builders import image_folder
from pipeline_utils import REPO, merged
from reprise.core.artifacts import read_npy, read_parquet
from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.core.params import load_params
from reprise.zoo.targets import parse_targets
from reprise.core.settings import StageParams
from stages import zoo_finetune, zoo_pretrain, zoo_scores, zoo_targets


def test_targets_are_validated():
    parsed = parse_targets(["mnist", "greek_lower", {"name": "cub", "train_dir": "a", "test_dir": "b"}, "target"],
                           SimpleNamespace(target_train_dir="t", target_test_dir="u"))
    assert [t.name for t in parsed] == ["mnist", "greek_lower", "cub", "target"] and parsed[2].train_dir == "a"
    assert (parsed[3].train_dir, parsed[3].test_dir) == ("t", "u")  # real mode's own target, from the real params
    for bad, fragment in (([], "non-empty"), (["klingon"], "unknown zoo target"), (["mnist", "mnist"], "distinct"),
                          ([{"name": "cub", "train_dir": "a"}], "exactly name, train_dir and test_dir"),
                          ([{"name": "../x", "train_dir": "a", "test_dir": "b"}], "plain folder name")):
        with pytest.raises(InputError, match=fragment):
            parse_targets(bad)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # LogME once divided by zero on these features (n <= d, exact fit)
def test_a_weights_file_member_is_imported_scored_and_fine_tuned_on_an_image_folder_target(tmp_path, monkeypatch):
    """Real mode's zoo: a torchvision state_dict file as member, ImageFolder directories as target
    (Domain Similarity has no pre-training data to read, so it is NaN and the report skips it)."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None, num_classes=7).state_dict(), "r18.pth")
    image_folder(tmp_path / "train", classes=3, per_class=4, seed=1)
    image_folder(tmp_path / "test", classes=3, per_class=2, seed=2)
    folders = {"name": "folders", "train_dir": str(tmp_path / "train"), "test_dir": str(tmp_path / "test")}
    params = merged(load_params(REPO / "params.yaml"), {
        "mode": "real",  # RSA's probe is then the paper's ResNet-18
        "real": {"image_size": 32},
        "zoo": {"members": {"r18": {"weights": "r18.pth", "arch": "resnet18"}}, "default": "r18", "targets": ["greek_lower", folders],
                "full_per_class": 3, "few_per_class": 2, "test_per_class": 2, "score_per_class": 3,
                "finetune": {"lrs": [0.01, 0.001], "epochs": 1, "milestones": []}, "probe": {"epochs": 1}, "lgc_projection_dim": 64, "seeds": [0]},
        "finetune": {"batch_size": 16},
    })
    monkeypatch.setattr(sys, "argv", ["stage", "r18"])
    for stage in (zoo_pretrain, zoo_targets, zoo_scores, zoo_finetune):
        stage.main(StageParams({"params.yaml": params}, stage.READS, argument="r18"))
    scores = read_parquet("data/zoo/scores/r18.parquet").set_index(["regime", "score"])["value"]
    assert np.isnan(scores.xs("domain_similarity", level="score")).all()
    assert np.isfinite(scores.drop("domain_similarity", level="score")).all()  # LEEP and NCE read the file's 7-class fc head
    accuracy = read_parquet("data/zoo/finetune/r18.parquet")
    assert set(accuracy["regime"]) == {"full", "few"} and accuracy["top1"].between(0, 100).all()
    assert len(accuracy) == 2 * 2 * 2 and accuracy.groupby(["target", "regime"])["chosen"].sum().eq(1).all()  # 2 rates, one chosen
    assert read_npy("data/zoo/targets/folders/probe_full.npy").shape[1] == 512  # a ResNet-18 probe in real mode
    assert set(accuracy["target"]) == {"greek_lower", "folders"}
    few = ImageTable.read("data/zoo/targets/folders/few")
    assert np.bincount(few.labels).tolist() == [2, 2, 2]  # zoo.few_per_class of each folder class
    assert len(ImageTable.read("data/zoo/targets/folders/full")) == 12 and len(ImageTable.read("data/zoo/targets/folders/test")) == 6
