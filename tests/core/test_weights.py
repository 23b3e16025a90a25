"""Weights as people have them: torchvision state dicts and MoCo-v2 checkpoints, imported into one
checkpoint format."""

import pytest
import torch
import torchvision

from builders import moco_v2_checkpoint
from reprise.core.checkpoints import load_backbone, load_feature_model, write_checkpoint
from reprise.core.errors import InputError
from reprise.core.weights import import_moco_v2, imported_checkpoint


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
    from reprise.core.weights import export_torchvision

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
