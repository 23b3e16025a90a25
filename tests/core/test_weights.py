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
