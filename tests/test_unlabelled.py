"""The unlabelled path: contrastive pre-training, clusters, eq. 7, and MoCo-v2 checkpoints."""

import math
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision

from pipeline_utils import TINY, env, make_repo, merged
from reprise.contrastive import nt_xent
from reprise.images import ImageTable
from reprise.models import GLYPH_SPEC, import_moco_v2
from reprise.pretrain import pretrain
from reprise.pseudolabel import pseudo_label_loss
from reprise.views import contrastive_view, strong_view, weak_view
from test_training import glyph_table


def test_nt_xent_matches_its_definition():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    total = 0.0
    for k in range(6):
        positive = (k + 3) % 6
        others = [l for l in range(6) if l != k]
        total -= math.log(math.exp(float(z[k] @ z[positive]) / 0.5) / sum(math.exp(float(z[k] @ z[l]) / 0.5) for l in others))
    assert float(nt_xent(z1, z2, 0.5)) == pytest.approx(total / 6, rel=1e-5)
    assert float(nt_xent(z1, z1.clone(), 0.5)) < float(nt_xent(z1, z2, 0.5))


def test_contrastive_pretraining_never_reads_labels(tmp_path):
    pool = glyph_table(48, 4, 0)
    shuffled = ImageTable(pool.index.assign(label=np.random.default_rng(1).permutation(pool.index["label"].to_numpy())), pool.pixels)
    weights = []
    for i, table in enumerate((pool, shuffled)):
        pretrain(
            table, table, GLYPH_SPEC, tmp_path / str(i), mode="contrastive", arch="glyph_resnet", arch_kwargs={"widths": [8, 16]},
            epochs=1, keep_epochs=[1], batch_size=16, lr=0.05, momentum=0.9, weight_decay=0.0, seed=0, device=torch.device("cpu"), progress=False,
        )
        weights.append(torch.load(tmp_path / str(i) / "epoch_001.pt", weights_only=False))
    assert weights[0]["pretrain_mode"] == "contrastive" and "source_head" not in weights[0]
    for key, value in weights[0]["backbone"].items():
        assert torch.equal(value, weights[1]["backbone"][key]), key
    assert weights[0]["projection"] == {"in_dim": 16, "hidden_dim": 16, "out_dim": 128}


def test_weak_and_strong_views_differ_and_pseudo_label_has_no_gradient():
    torch.manual_seed(0)
    raw = glyph_table(8, 2, 0).load_uint8(np.arange(8), 32, 1)
    g = torch.Generator().manual_seed(0)
    weak, strong = weak_view(raw, GLYPH_SPEC, g), strong_view(raw, GLYPH_SPEC, g)
    assert weak.shape == strong.shape == (8, 1, 32, 32)
    assert (weak - strong).abs().mean() > 0.1
    assert not torch.equal(contrastive_view(raw, GLYPH_SPEC, g), contrastive_view(raw, GLYPH_SPEC, g))
    logits_weak = torch.randn(8, 10, requires_grad=True)
    logits_strong = torch.randn(8, 10, requires_grad=True)
    loss = pseudo_label_loss(logits_strong, logits_weak)
    loss.backward()
    assert logits_weak.grad is None and logits_strong.grad.abs().sum() > 0
    # The soft target is softmax(weak) itself: no temperature, no threshold.
    expected = -(logits_weak.detach().softmax(1) * logits_strong.detach().log_softmax(1)).sum(1).mean()
    assert loss.item() == pytest.approx(expected.item())


def moco_v2_checkpoint(path):
    """A file in the layout of moco_v2_800ep_pretrain.pth.tar, with random weights."""
    torch.manual_seed(0)
    resnet = torchvision.models.resnet50(weights=None)
    resnet.fc = torch.nn.Sequential(torch.nn.Linear(2048, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 128))
    state = {}
    for encoder in ("encoder_q", "encoder_k"):
        state.update({f"module.{encoder}.{k}": v for k, v in resnet.state_dict().items()})
    state["module.queue"] = torch.randn(128, 64)
    state["module.queue_ptr"] = torch.zeros(1, dtype=torch.long)
    torch.save({"epoch": 800, "arch": "resnet50", "state_dict": state, "optimizer": {}}, path)
    return resnet


def test_moco_v2_checkpoint_loads_and_gives_128d_features(tmp_path):
    reference = moco_v2_checkpoint(tmp_path / "moco.pth.tar").eval()
    backbone, head = import_moco_v2(tmp_path / "moco.pth.tar")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        features = head(backbone(x))
        assert features.shape == (2, 128)
        torch.testing.assert_close(features, reference(x))
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}}, tmp_path / "plain.pth")
    with pytest.raises(Exception, match="not a MoCo checkpoint"):
        import_moco_v2(tmp_path / "plain.pth")


def run(root, *stages):
    for stage in stages:
        done = subprocess.run([sys.executable, "-m", *stage.split()], cwd=root, env=env(), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]


UNLABELLED = merged(TINY, {"pretrain": {"mode": "contrastive", "epochs": 1, "keep_epochs": [1]}, "extract": {"layer": "projection"}, "select": {"unit": "cluster", "k": 3}})


def test_cluster_selection_reads_no_source_label(tmp_path):
    """Shuffling the pool's labels after `world` changes nothing up to the manifest."""
    repo = make_repo(tmp_path / "repo", UNLABELLED)
    after_world = ["stages.target", "stages.pretrain", "stages.extract", "stages.cluster", "stages.means", "stages.score", "stages.select"]
    run(repo, "stages.world", *after_world)
    first = pd.read_parquet(repo / "data/selection/manifest.parquet")
    features = np.load(repo / "data/features/pool.npy")
    pool = pd.read_parquet(repo / "data/world/pool.parquet")
    pool["label"] = np.random.default_rng(0).permutation(pool["label"].to_numpy())
    pool.to_parquet(repo / "data/world/pool.parquet", index=False)
    shutil.rmtree(repo / "data/pretrain")
    run(repo, *after_world)
    assert np.array_equal(np.load(repo / "data/features/pool.npy"), features)
    pd.testing.assert_frame_equal(pd.read_parquet(repo / "data/selection/manifest.parquet"), first)
    run(repo, "stages.finetune reuse")
    log = pd.read_csv(repo / "data/finetune/reuse/log.csv")
    assert (log["source_loss"] > 0).all()  # eq. 7's pseudo-label term was trained


def test_real_mode_imports_moco_v2_and_extracts_head_features(tmp_path):
    from test_real_mode import image_folder, real_params

    world = tmp_path / "world"
    image_folder(world / "source", classes=3, per_class=4, seed=0)
    image_folder(world / "train", classes=2, per_class=3, seed=1)
    image_folder(world / "test", classes=2, per_class=2, seed=2)
    moco_v2_checkpoint(world / "moco.pth.tar")
    params = merged(real_params(world), {"real": {"weights": str(world / "moco.pth.tar"), "weights_format": "moco_v2"}, "extract": {"layer": "projection"}})
    repo = make_repo(tmp_path / "repo", params)
    run(repo, "stages.world", "stages.target", "stages.pretrain", "stages.extract")
    assert np.load(repo / "data/features/pool.npy").shape == (12, 128)
    checkpoint = torch.load(repo / "data/pretrain/epoch_000.pt", weights_only=False)
    assert checkpoint["arch"] == "resnet50" and checkpoint["image"]["size"] == 64
    assert checkpoint["projection"] == {"in_dim": 2048, "hidden_dim": 2048, "out_dim": 128}
