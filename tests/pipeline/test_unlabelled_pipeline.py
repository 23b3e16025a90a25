"""The unlabelled path through the pipeline: contrastive backbone, clusters, eq. 7; and MoCo-v2
weights in real mode."""

import shutil

import numpy as np
import pandas as pd
import torch

from builders import image_folder, moco_v2_checkpoint
from pipeline_utils import TINY, make_repo, merged, real_params, run_module


def run(root, *stages):
    for stage in stages:
        done = run_module(root, *stage.split())
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
    # Eq. 7 reads no source label at all: scrambling the manifest's source_label changes nothing.
    manifest = pd.read_parquet(repo / "data/selection/manifest.parquet")
    manifest["source_label"] = np.random.default_rng(1).integers(0, 50, len(manifest))
    manifest.to_parquet(repo / "data/selection/manifest.parquet", index=False)
    run(repo, "stages.finetune reuse")
    pd.testing.assert_frame_equal(pd.read_csv(repo / "data/finetune/reuse/log.csv"), log)


def test_real_mode_imports_moco_v2_and_extracts_head_features(tmp_path):
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
