"""Zoo members: params validated, each member's share of the pool; named weights imported from
the local cache."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline_utils import REPO, merged
from reprise.core.checkpoints import load_backbone
from reprise.core.errors import InputError
from reprise.core.images import ImageTable
from reprise.core.params import load_params
from reprise.core.settings import StageParams
from reprise.zoo.layout import zoo_member_dir
from reprise.zoo.members import ZooMember, member_pool, parse_member
from reprise.zoo.settings import MEMBER
from reprise.zoo.targets import few_shot
from stages import zoo_pretrain
from weight_caches import cached_torchvision_weights


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


def test_a_member_may_be_named_weights_alone_or_with_their_file():
    named = parse_member("r50", {"arch": "resnet50.IMAGENET1K_V2"})
    assert named.imported and named.weights is None and named.arch == "resnet50.IMAGENET1K_V2"
    assert parse_member("timm", {"arch": "timm:convnext_tiny.fb_in1k"}).imported
    with_file = parse_member("r50f", {"arch": "resnet50.IMAGENET1K_V2", "weights": "/models/r50.pth"})
    assert with_file.imported and with_file.weights == "/models/r50.pth"
    assert not parse_member("g", {"concepts": "all", "arch": "resnet18"}).imported
    MEMBER.check({"arch": "resnet50.IMAGENET1K_V2"}, "zoo.members.r50", "params.yaml")
    with pytest.raises(InputError, match=r"zoo.members.bare needs exactly one of .*\{arch: WEIGHTS_NAME\}"):
        parse_member("bare", {"arch": "resnet18"})  # an architecture alone has no weights


def test_zoo_pretrain_imports_a_named_member_from_the_local_cache(tmp_path, monkeypatch):
    """The zoo_pretrain stage imports {arch: regnet_y_400mf.DEFAULT} from the torch hub cache, with
    the weights' own preprocessing, not real.image_size's reference recipe."""
    model, cached = cached_torchvision_weights(monkeypatch, tmp_path, "regnet_y_400mf", "IMAGENET1K_V2")
    monkeypatch.chdir(tmp_path)
    members = {"members": {"rg": {"arch": "regnet_y_400mf.DEFAULT"}}, "default": "rg"}
    params = merged(load_params(REPO / "params.real.yaml"), {"real": {"image_size": 64}, "zoo": members})
    monkeypatch.setattr(sys, "argv", ["stage", "rg"])
    zoo_pretrain.main(StageParams({"params.yaml": params}, zoo_pretrain.READS, argument="rg"))
    backbone, spec, ckpt = load_backbone(f"{zoo_member_dir('rg')}/epoch_000.pt")
    assert ckpt["imported_from"] == str(cached) and (spec.resize, spec.size, spec.interpolation) == (232, 224, "bilinear")
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(torch.nn.functional.linear(backbone(x), ckpt["source_head"]["weight"], ckpt["source_head"]["bias"]), model(x))
