"""Which checkpoint of a run to take, and the layer LGC differentiates."""

import pytest
import torch

from reprise.core.backbones import GlyphResNet, GlyphVGG, last_conv
from reprise.core.checkpoints import backbone_checkpoint, checkpoint_path, kept_checkpoint, read_checkpoint, write_checkpoint
from reprise.core.errors import InputError
from reprise.core.images import GLYPH_SPEC


def test_kept_checkpoint_takes_the_last_or_a_kept_epoch_and_names_the_fix(tmp_path):
    with pytest.raises(InputError, match="no checkpoints in"):
        kept_checkpoint(tmp_path, "last")
    for epoch in (2, 10, 4):
        checkpoint_path(tmp_path, epoch).write_bytes(b"")
    assert kept_checkpoint(tmp_path, "last").name == "epoch_010.pt"  # numerically last, not by name
    assert kept_checkpoint(tmp_path, 4) == tmp_path / "epoch_004.pt"
    with pytest.raises(InputError, match=r"no checkpoint for epoch 3 .* kept epochs are \[2, 4, 10\] \(checkpoints.epochs\)"):
        kept_checkpoint(tmp_path, 3, fix="checkpoints.epochs")


def test_lgc_layer_is_the_last_conv_of_the_main_path():
    resnet, vgg = GlyphResNet(), GlyphVGG()
    assert last_conv(resnet) is resnet.stages[-1].conv2  # not the 1x1 shortcut defined after it
    assert last_conv(vgg) is [m for m in vgg.modules() if isinstance(m, torch.nn.Conv2d)][-1]


def test_the_same_checkpoint_saved_twice_is_the_same_bytes(tmp_path):
    torch.manual_seed(0)
    ckpt = backbone_checkpoint(GlyphResNet(), "glyph_resnet", {}, GLYPH_SPEC, epoch=3, source_head=torch.nn.Linear(4, 2).state_dict())
    write_checkpoint(ckpt, tmp_path / "epoch_003.pt")
    write_checkpoint(ckpt, tmp_path / "again" / "epoch_003.pt")
    write_checkpoint(ckpt, tmp_path / "other_name.pt")
    first = (tmp_path / "epoch_003.pt").read_bytes()
    assert (tmp_path / "again" / "epoch_003.pt").read_bytes() == first and (tmp_path / "other_name.pt").read_bytes() == first
    assert read_checkpoint(tmp_path / "other_name.pt")["epoch"] == 3
