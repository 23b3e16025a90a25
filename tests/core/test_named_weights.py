"""Weights by name: torchvision weight enums (``resnet50.IMAGENET1K_V2``) and timm names
(``timm:convnext_tiny.fb_in1k``), each with its own preprocessing and its file in the local cache,
never downloaded."""

import math
import sys

import pytest
import torchvision

from reprise.core.errors import InputError
from reprise.core.images import imagenet_spec
from reprise.core.named_weights import is_named, named_weights
from weight_caches import cache_hugging_face_file, cached_torchvision_weights, hugging_face_cache, torch_hub_cache


def test_names_are_told_from_architectures():
    for name in ("resnet50.IMAGENET1K_V2", "resnet50.DEFAULT", "vit_b_16.IMAGENET1K_SWAG_E2E_V1", "timm:convnext_tiny.fb_in1k", "timm:resnet18"):
        assert is_named(name)
    for arch in ("resnet50", "glyph_resnet", "resnet50.imagenet1k_v2", "weights.pt", "torchvision:resnet50"):
        assert not is_named(arch)


@pytest.mark.parametrize("name", ["resnet50.IMAGENET1K_V2", "resnet50.IMAGENET1K_V1", "efficientnet_b0.IMAGENET1K_V1", "vit_b_16.IMAGENET1K_SWAG_E2E_V1"])
def test_a_torchvision_enum_brings_its_own_preprocessing(name, monkeypatch, tmp_path):
    torch_hub_cache(monkeypatch, tmp_path)
    arch, enum = name.split(".")
    preset = torchvision.models.get_model_weights(arch)[enum].transforms()
    named = named_weights(name)
    assert named.arch == arch and named.cached is None
    spec = named.spec
    assert ([spec.size], [spec.resize], spec.interpolation) == (preset.crop_size, preset.resize_size, preset.interpolation.value)
    assert spec.mean == tuple(preset.mean) and spec.std == tuple(preset.std) and spec.channels == 3 and spec.flip and spec.recipe == "imagenet"


def test_resnet50_v2_is_232_then_224_bilinear_and_default_is_v2(monkeypatch, tmp_path):
    torch_hub_cache(monkeypatch, tmp_path)
    spec = named_weights("resnet50.IMAGENET1K_V2").spec
    assert (spec.resize, spec.size, spec.interpolation) == (232, 224, "bilinear")
    assert named_weights("resnet50.DEFAULT").spec == spec
    v1 = named_weights("resnet50.IMAGENET1K_V1").spec  # the reference recipe, 256 -> 224 bilinear, written out
    assert (v1.resize, v1.size, v1.interpolation, v1.mean, v1.std) == (256, 224, "bilinear", imagenet_spec(224).mean, imagenet_spec(224).std)


def test_the_file_is_the_torch_hub_caches_unless_one_is_named(monkeypatch, tmp_path):
    _, path = cached_torchvision_weights(monkeypatch, tmp_path, "regnet_y_400mf", "IMAGENET1K_V2")
    assert path.name == "regnet_y_400mf-e6988f5f.pth"
    named = named_weights("regnet_y_400mf.DEFAULT")
    assert named.file() == path and named.file(tmp_path / "mine.pth") == tmp_path / "mine.pth"


def test_bad_names_and_missing_files_are_one_line_errors(monkeypatch, tmp_path):
    folder = torch_hub_cache(monkeypatch, tmp_path)
    for name, fragment in (("resnet5.IMAGENET1K_V2", "torchvision has no classification model 'resnet5'"),
                           ("fasterrcnn_resnet50_fpn.DEFAULT", "no classification model"),
                           ("resnet50.IMAGENET1K_V9", "resnet50 weights are IMAGENET1K_V1, IMAGENET1K_V2, DEFAULT, not IMAGENET1K_V9"),
                           ("resnet-50.DEFAULT", "does not name weights")):
        with pytest.raises(InputError, match=fragment) as error:
            named_weights(name)
        assert "\n" not in str(error.value)
    with pytest.raises(InputError) as error:
        named_weights("resnet50.IMAGENET1K_V2").file()
    message = str(error.value)
    assert "\n" not in message and str(folder / "resnet50-11ad3fa6.pth") in message and "Reprise never downloads" in message
    assert "torchvision.models.get_model('resnet50', weights='IMAGENET1K_V2')" in message


def test_a_timm_name_brings_timms_preprocessing_and_its_hugging_face_file(monkeypatch, tmp_path):
    timm = pytest.importorskip("timm")
    cache = hugging_face_cache(monkeypatch, tmp_path)
    named = named_weights("timm:test_convnext.r160_in1k")
    data = timm.data.resolve_data_config({}, model=timm.create_model("test_convnext.r160_in1k", pretrained=False))
    spec = named.spec
    assert (3, spec.size, spec.size) == data["input_size"] and spec.resize == math.floor(spec.size / data["crop_pct"]) == 168
    assert (spec.interpolation, spec.mean, spec.std) == (data["interpolation"], data["mean"], data["std"]) == ("bicubic", (0.5,) * 3, (0.5,) * 3)
    assert named.arch == "timm:test_convnext.r160_in1k" and named.cached is None
    with pytest.raises(InputError) as error:
        named.file()
    message = str(error.value)
    assert "\n" not in message and str(cache) in message and "timm/test_convnext.r160_in1k" in message and "never downloads" in message
    path = cache_hugging_face_file(cache, "timm/test_convnext.r160_in1k", "model.safetensors", b"weights")
    assert named_weights("timm:test_convnext.r160_in1k").file() == path


def test_unknown_timm_names_and_a_missing_timm_are_one_line_errors(monkeypatch):
    pytest.importorskip("timm")
    with pytest.raises(InputError, match="timm has no pretrained model 'no_such_model'"):
        named_weights("timm:no_such_model")
    with pytest.raises(InputError, match="Invalid pretrained tag"):
        named_weights("timm:convnext_tiny.no_such_tag")
    monkeypatch.setitem(sys.modules, "timm", None)  # as if timm were not installed
    with pytest.raises(InputError, match="timm:convnext_tiny.fb_in1k needs timm, an optional dependency: pip install timm"):
        named_weights("timm:convnext_tiny.fb_in1k")
