"""Weights as people have them: torchvision state dicts, weights named as torchvision and timm
name them, and MoCo-v2 checkpoints, imported into one checkpoint format."""

import pytest
import torch
import torchvision

from builders import moco_v2_checkpoint
from pipeline_utils import REPO, merged
from reprise.core.checkpoints import checkpoint_path, load_backbone, load_feature_model, read_checkpoint, write_checkpoint
from reprise.core.errors import InputError
from reprise.core.images import ImageSpec
from reprise.core.layout import PRETRAIN_DIR
from reprise.core.params import load_params
from reprise.core.sections import RealSettings
from reprise.core.settings import StageParams
from reprise.core.weights import export_torchvision, import_moco_v2, imported_checkpoint, real_weights
from stages import pretrain
from weight_caches import cached_torchvision_weights


def test_moco_v2_checkpoint_loads_and_gives_128d_features(tmp_path):
    reference = moco_v2_checkpoint(tmp_path / "moco.pth.tar").eval()
    backbone, head = import_moco_v2(tmp_path / "moco.pth.tar")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        features = head(backbone(x))
        assert features.shape == (2, 128)
        torch.testing.assert_close(features, reference(x))
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}}, tmp_path / "plain.pth")
    with pytest.raises(InputError, match="not a MoCo checkpoint"):
        import_moco_v2(tmp_path / "plain.pth")


def test_torchvision_weights_keep_their_classifier_as_the_source_head(tmp_path):
    """The pretrain stage (real mode) and the zoo's weight-file members both import through
    imported_checkpoint, so both keep the file's fc for LEEP and NCE."""
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None, num_classes=7).eval()
    torch.save({"state_dict": {f"module.{k}": v for k, v in resnet.state_dict().items()}}, tmp_path / "r18.pth")
    ckpt = imported_checkpoint(tmp_path / "r18.pth", "torchvision", "resnet18", 48)
    assert ckpt["epoch"] == 0 and ckpt["image"]["size"] == 48 and ckpt["imported_from"].endswith("r18.pth")
    torch.testing.assert_close(ckpt["source_head"]["weight"], resnet.fc.weight)
    write_checkpoint(ckpt, tmp_path / "epoch_000.pt")
    backbone, spec, _ = load_backbone(tmp_path / "epoch_000.pt")
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        logits = torch.nn.functional.linear(backbone(x), ckpt["source_head"]["weight"], ckpt["source_head"]["bias"])
        torch.testing.assert_close(logits, resnet(x))
    with pytest.raises(InputError, match="weights format must be one of torchvision, moco_v2"):
        imported_checkpoint(tmp_path / "r18.pth", "onnx", "resnet18", 48)


def test_moco_v2_import_keeps_the_projection_head(tmp_path):
    reference = moco_v2_checkpoint(tmp_path / "moco.pth.tar").eval()
    write_checkpoint(imported_checkpoint(tmp_path / "moco.pth.tar", "moco_v2", "resnet18", 64), tmp_path / "epoch_000.pt")
    model, spec, ckpt = load_feature_model(tmp_path / "epoch_000.pt", "projection")
    assert ckpt["arch"] == "resnet50" and "source_head" not in ckpt and model.feature_dim == 128
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))


def test_any_torchvision_architecture_from_safetensors_keeps_its_classifier(tmp_path):
    """get_model by name: the classifier (the last Linear, here MobileNetV3's classifier.3) is
    taken off the backbone and kept as the source head; the file is read as safetensors."""
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = torchvision.models.get_model("mobilenet_v3_small", weights=None, num_classes=5).eval()
    save_file(model.state_dict(), tmp_path / "mbv3.safetensors")
    ckpt = imported_checkpoint(tmp_path / "mbv3.safetensors", "torchvision", "mobilenet_v3_small", 64)
    write_checkpoint(ckpt, tmp_path / "epoch_000.pt")
    backbone, _, _ = load_backbone(tmp_path / "epoch_000.pt")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = torch.nn.functional.linear(backbone(x), ckpt["source_head"]["weight"], ckpt["source_head"]["bias"])
        torch.testing.assert_close(logits, model(x))


def test_a_key_prefix_is_stripped_and_a_projection_head_is_not_a_source_head(tmp_path):
    """MoCo-v3-style: the encoder under module.base_encoder., its fc an MLP (not a classifier)."""
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None).eval()
    state = {f"module.base_encoder.{k}": v for k, v in resnet.state_dict().items() if not k.startswith("fc.")}
    state.update({"module.base_encoder.fc.0.weight": torch.randn(16, 512), "module.momentum_encoder.conv1.weight": torch.randn(1)})
    torch.save({"state_dict": state}, tmp_path / "v3.pth")
    ckpt = imported_checkpoint(tmp_path / "v3.pth", "torchvision", "resnet18", 32, key_prefix="module.base_encoder.")
    assert "source_head" not in ckpt
    torch.testing.assert_close(ckpt["backbone"]["layer4.1.conv2.weight"], resnet.layer4[1].conv2.weight)
    with pytest.raises(InputError, match="unexpected"):  # without the prefix the momentum encoder's keys do not fit
        imported_checkpoint(tmp_path / "v3.pth", "torchvision", "resnet18", 32)
    with pytest.raises(InputError, match="no key starting with real.key_prefix 'encoder.'"):
        imported_checkpoint(tmp_path / "v3.pth", "torchvision", "resnet18", 32, key_prefix="encoder.")


def test_damaged_unsafe_and_unknown_weights_are_one_line_errors(tmp_path):
    state = torchvision.models.resnet18(weights=None).state_dict()
    state["layer2.0.bn1.running_var"][3] = float("nan")
    torch.save(state, tmp_path / "nan.pth")
    with pytest.raises(InputError, match="nan.pth holds NaN or infinite values in layer2.0.bn1.running_var"):
        imported_checkpoint(tmp_path / "nan.pth", "torchvision", "resnet18", 32)
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "pickled.pth")  # a whole module: code, refused by weights_only
    with pytest.raises(InputError, match="cannot load weights .*pickled.pth"):
        imported_checkpoint(tmp_path / "pickled.pth", "torchvision", "resnet18", 32)
    with pytest.raises(InputError, match="unknown architecture 'resnet19'"):
        imported_checkpoint(tmp_path / "nan.pth", "torchvision", "resnet19", 32)
    (tmp_path / "empty.pt").write_bytes(b"")  # a download that never arrived
    with pytest.raises(InputError, match=r"cannot load weights .*empty.pt: the file is empty \(0 bytes\)"):
        imported_checkpoint(tmp_path / "empty.pt", "torchvision", "resnet18", 32)
    (tmp_path / "blank.pt").write_bytes(b"\n")  # a file whose loader error has an empty message
    with pytest.raises(InputError, match=r"cannot load weights .*blank.pt \(\w+"):
        imported_checkpoint(tmp_path / "blank.pt", "torchvision", "resnet18", 32)


def test_a_fine_tuned_model_exports_as_plain_torchvision(tmp_path):
    from safetensors.torch import load_file

    from reprise.core.backbones import torchvision_backbone

    torch.manual_seed(0)
    backbone, _ = torchvision_backbone("resnet18")
    head = torch.nn.Linear(backbone.feature_dim, 3)
    backbone.eval()
    export_torchvision(backbone, head, "resnet18", tmp_path / "model")
    x = torch.randn(2, 3, 32, 32)
    for state in (torch.load(tmp_path / "model.pt", weights_only=True), load_file(tmp_path / "model.safetensors")):
        plain = torchvision.models.resnet18(num_classes=3)
        plain.load_state_dict(state)
        with torch.no_grad():
            torch.testing.assert_close(plain.eval()(x), head(backbone(x)))


def _real_settings(**real):
    """Real mode's settings as the pretrain stage builds them: params.real.yaml's real section,
    with ``real`` set."""
    return RealSettings.parse({**load_params(REPO / "params.real.yaml")["real"], **real}, "real")


def test_named_torchvision_weights_come_from_the_torch_hub_cache_with_their_preprocessing(tmp_path, monkeypatch):
    """real.arch names the weights, real.weights left at its empty placeholder: the pretrain stage
    imports the torch hub cache's file with the weights' own preprocessing (232 -> 224 bilinear for
    RegNetY-400MF's IMAGENET1K_V2), the file's classifier kept as the source head."""
    model, cached = cached_torchvision_weights(monkeypatch, tmp_path, "regnet_y_400mf", "IMAGENET1K_V2")
    (tmp_path / "placeholder.pt").write_bytes(b"")
    real = {"arch": "regnet_y_400mf.IMAGENET1K_V2", "weights": str(tmp_path / "placeholder.pt"), "image_size": 64}
    assert real_weights(_real_settings(**real)) is None
    monkeypatch.chdir(tmp_path)
    pretrain.main(StageParams({"params.yaml": merged(load_params(REPO / "params.real.yaml"), {"real": real})}, pretrain.READS))
    ckpt = read_checkpoint(checkpoint_path(PRETRAIN_DIR, 0))
    preset = torchvision.models.get_model_weights("regnet_y_400mf")["IMAGENET1K_V2"].transforms()
    assert ckpt["arch"] == "regnet_y_400mf" and ckpt["imported_from"] == str(cached)
    stored = ImageSpec.from_dict(ckpt["image"])
    assert (stored.resize, stored.size, stored.interpolation) == (*preset.resize_size, *preset.crop_size, "bilinear") == (232, 224, "bilinear")
    backbone, spec, _ = load_backbone(checkpoint_path(PRETRAIN_DIR, 0))
    assert (spec.resize, spec.size, list(spec.mean)) == (232, 224, preset.mean)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(torch.nn.functional.linear(backbone(x), ckpt["source_head"]["weight"], ckpt["source_head"]["bias"]), model(x))
    torch.save(model.state_dict(), tmp_path / "mine.pth")  # a file of the named weights, named by real.weights
    real = _real_settings(arch="regnet_y_400mf.IMAGENET1K_V2", weights=str(tmp_path / "mine.pth"))
    assert real_weights(real) == str(tmp_path / "mine.pth")
    assert imported_checkpoint(real_weights(real), "torchvision", real.arch, 64)["imported_from"] == str(tmp_path / "mine.pth")
    with pytest.raises(InputError, match="real.weights is .*placeholder.pt, an empty file"):  # a file of an architecture is never the cache's
        real_weights(_real_settings(arch="regnet_y_400mf", weights=str(tmp_path / "placeholder.pt")))
    with pytest.raises(InputError, match="names weights of their own, which are a state dict: use weights_format torchvision"):
        imported_checkpoint(tmp_path / "mine.pth", "moco_v2", "regnet_y_400mf.IMAGENET1K_V2", 64)


def test_a_timm_model_imports_by_name_and_file_with_timms_preprocessing(tmp_path):
    """A timm model's state dict, loaded back by name and file: the same outputs (its classifier,
    head.fc, kept as the source head), timm's own preprocessing, rebuilt from the checkpoint, and
    exported as the timm model's own state dict."""
    timm = pytest.importorskip("timm")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = timm.create_model("test_convnext.r160_in1k", pretrained=False).eval()
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    ckpt = imported_checkpoint(tmp_path / "model.safetensors", "torchvision", "timm:test_convnext.r160_in1k", 224)
    data = timm.data.resolve_data_config({}, model=model)
    assert ckpt["arch"] == "timm:test_convnext.r160_in1k" and ckpt["image"]["size"] == data["input_size"][-1] == 160
    assert (ckpt["image"]["resize"], ckpt["image"]["interpolation"], tuple(ckpt["image"]["mean"])) == (168, data["interpolation"], data["mean"])
    write_checkpoint(ckpt, tmp_path / "epoch_000.pt")
    backbone, spec, _ = load_backbone(tmp_path / "epoch_000.pt")
    assert (spec.size, spec.resize, spec.interpolation) == (160, 168, "bicubic")
    x = torch.randn(2, 3, 160, 160)
    head = torch.nn.Linear(backbone.feature_dim, 1000)
    head.load_state_dict(ckpt["source_head"])
    with torch.no_grad():
        torch.testing.assert_close(head(backbone(x)), model(x))
        torch.testing.assert_close(backbone(x), model.forward_head(model.forward_features(x), pre_logits=True))
    target_head = torch.nn.Linear(backbone.feature_dim, 3)
    export_torchvision(backbone, target_head, ckpt["arch"], tmp_path / "fine_tuned")
    plain = timm.create_model("test_convnext.r160_in1k", pretrained=False, num_classes=3)
    plain.load_state_dict(torch.load(tmp_path / "fine_tuned.pt", weights_only=True))
    with torch.no_grad():
        torch.testing.assert_close(plain.eval()(x), target_head(backbone(x)))
    torch.save({k: v for k, v in model.state_dict().items() if not k.startswith("stages.1")}, tmp_path / "partial.pth")
    with pytest.raises(InputError, match="partial.pth does not match timm:test_convnext.r160_in1k: .* missing"):
        imported_checkpoint(tmp_path / "partial.pth", "torchvision", "timm:test_convnext.r160_in1k", 224)
