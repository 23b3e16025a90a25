"""``reprise rank``: models ranked for an image-folder target without the pipeline: glyph
checkpoints, torchvision weight files and named weights side by side, one table and one CSV,
one-line errors."""

import pandas as pd
import pytest
import torch
import torchvision

from builders import image_folder
from reprise.__main__ import main as cli
from reprise.core.backbones import GlyphResNet
from reprise.core.checkpoints import backbone_checkpoint, write_checkpoint
from reprise.core.errors import InputError
from reprise.core.images import GLYPH_SPEC
from reprise.zoo.rank import RANKABLE, load_model, parse_scores
from weight_caches import cached_torchvision_weights


@pytest.fixture
def models(tmp_path):
    """Two glyph checkpoints (one with a source head) and a torchvision ResNet-18 state dict."""
    torch.manual_seed(0)
    write_checkpoint(backbone_checkpoint(GlyphResNet(), "glyph_resnet", {}, GLYPH_SPEC, epoch=1), tmp_path / "glyph_a.pt")
    net = GlyphResNet()
    head = torch.nn.Linear(net.feature_dim, 5).state_dict()
    write_checkpoint(backbone_checkpoint(net, "glyph_resnet", {}, GLYPH_SPEC, epoch=1, source_head=head), tmp_path / "glyph_b.pt")
    torch.save(torchvision.models.resnet18(weights=None, num_classes=4).state_dict(), tmp_path / "r18.pth")
    image_folder(tmp_path / "train", classes=3, per_class=6, seed=1)
    return [str(tmp_path / "glyph_a.pt"), str(tmp_path / "glyph_b.pt"), f"resnet18={tmp_path / 'r18.pth'}"]


def test_rank_prints_the_table_and_writes_every_score_of_every_model(tmp_path, models, capsys):
    out = tmp_path / "ranking.csv"
    code = cli(["rank", "--train", str(tmp_path / "train"), "--models", *models, "--per-class", "4", "--image-size", "32",
                "--lgc-projection-dim", "64", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["model", "score", "value", "seconds", "rank"]
    assert set(table["score"]) == set(RANKABLE) and len(table) == 3 * len(RANKABLE)
    defined = table.dropna(subset=["value"])
    assert defined.groupby("score")["rank"].min().eq(1).all() and (defined["rank"] <= 3).all()
    no_head = table[table["score"].isin(["leep", "nce"]) & (table["model"] == models[0])]
    assert no_head["value"].isna().all()  # glyph_a has no source head; the ResNet-18 file's fc is one
    assert table.loc[table["score"].isin(["leep", "nce"]) & (table["model"] == models[2]), "value"].notna().all()
    assert "12 images of 3 classes" in printed and all(m in printed for m in models)
    for score in ("lfc", "nleep", "lgc"):
        best = defined[(defined["score"] == score) & (defined["rank"] == 1)]["model"].iloc[0]
        assert f"{score}: {best} > " in printed


def test_rank_scores_choose_what_a_model_and_a_folder_give():
    assert parse_scores("all") == list(RANKABLE)
    assert parse_scores("nleep, lfc") == ["lfc", "nleep"]
    for bad, message in (("rsa", "network trained on the target"), ("domain_similarity", "pre-training data"), ("lfcc", "unknown score")):
        with pytest.raises(InputError, match=message):
            parse_scores(bad)


def _one_line_error(capsys, argv, fragment):
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err


def test_rank_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path, models, capsys):
    out = tmp_path / "ranking.csv"
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "nowhere"), "--models", *models, "--out", str(out)], "no such folder")
    image_folder(tmp_path / "one", classes=1, per_class=3, seed=0)
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "one"), "--models", *models, "--out", str(out)], "at least two classes")
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "train"), "--models", str(tmp_path / "broken.pt"), "--out", str(out)],
                    "cannot load weights")
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "train"), "--models", str(tmp_path / "missing.pt")], "no such file")
    missing = tmp_path / "missing.pt"
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "train"), "--models", f"resnet18={missing}"], f"no such file: {missing}")
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "train"), "--models", *models, "--scores", "rsa"], "rsa needs")
    assert not out.exists()


def test_rank_reads_named_weights_from_the_local_cache_or_a_file(tmp_path, monkeypatch, capsys):
    """ARCH.ENUM from the torch hub cache, torchvision:ARCH (its DEFAULT) and ARCH.ENUM=FILE are
    one model, resolved by the same code, each with the weights' own preprocessing (232 -> 224);
    a file missing from the cache is a one-line error naming it."""
    model, cached = cached_torchvision_weights(monkeypatch, tmp_path, "regnet_y_400mf", "IMAGENET1K_V2")
    torch.save(model.state_dict(), tmp_path / "mine.pth")
    x = torch.randn(1, 3, 64, 64)
    loaded = [load_model(name, "resnet50", 32) for name in ("regnet_y_400mf.IMAGENET1K_V2", "torchvision:regnet_y_400mf",
                                                             f"regnet_y_400mf.IMAGENET1K_V2={tmp_path / 'mine.pth'}")]
    with torch.no_grad():
        for backbone, spec, head in loaded:
            assert (spec.resize, spec.size, spec.interpolation) == (232, 224, "bilinear")
            torch.testing.assert_close(torch.nn.functional.linear(backbone(x), head["weight"], head["bias"]), model(x))
    image_folder(tmp_path / "train", classes=2, per_class=3, seed=1)
    assert cli(["rank", "--train", str(tmp_path / "train"), "--models", "regnet_y_400mf.IMAGENET1K_V2", "torchvision:regnet_y_400mf",
                "--scores", "lfc,leep"]) == 0
    assert "lfc: " in capsys.readouterr().out
    cached.unlink()
    _one_line_error(capsys, ["rank", "--train", str(tmp_path / "train"), "--models", "regnet_y_400mf.IMAGENET1K_V2"],
                    f"the local torch hub cache's {cached} is missing, and Reprise never downloads weights")
