"""Real mode: ImageFolder trees and a torchvision ResNet-18 state_dict file, no glyph world."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from pipeline_utils import TINY, dvc, env, make_repo, merged, stages_run
from conftest import CORE_STAGES


def image_folder(root, classes: int, per_class: int, seed: int, size: int = 40):
    rng = np.random.default_rng(seed)
    for c in range(classes):
        folder = root / f"class_{c}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            base = np.zeros((size, size, 3), dtype=np.uint8)
            base[..., c % 3] = 80 + 40 * c  # each class its own colour, plus noise
            noisy = np.clip(base + rng.integers(0, 60, base.shape), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(folder / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


@pytest.fixture(scope="module")
def real_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    image_folder(root / "source", classes=4, per_class=5, seed=0)
    image_folder(root / "train", classes=2, per_class=4, seed=1)
    image_folder(root / "test", classes=2, per_class=3, seed=2)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), root / "resnet18.pth")
    return root


def real_params(world) -> dict:
    return merged(
        TINY,
        {
            "mode": "real",
            "real": {
                "source_dir": str(world / "source"),
                "target_train_dir": str(world / "train"),
                "target_test_dir": str(world / "test"),
                "target_concept": "class_1",
                "weights": str(world / "resnet18.pth"),
                "arch": "resnet18",
                "image_size": 64,
            },
            "cluster": {"k": 3},
            "select": {"k": 2},
            "finetune": {"epochs": 1, "batch_size": 4},
        },
    )


def test_real_mode_pipeline_runs_end_to_end(real_world, tmp_path):
    repo = make_repo(tmp_path / "repo", real_params(real_world))
    run = dvc(repo, "repro", "evaluate")
    assert set(stages_run(run.stdout)) == CORE_STAGES
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert metrics["selection"]["units_selected"] == 2 and metrics["selection"]["images_selected"] == 10
    checkpoint = torch.load(repo / "data/pretrain/epoch_000.pt", weights_only=False)
    assert checkpoint["arch"] == "resnet18" and checkpoint["image"]["size"] == 64
    features = np.load(repo / "data/features/pool.npy")
    assert features.shape == (20, 512)


def corrupt(world, tmp_path, how: str):
    broken = tmp_path / "broken"
    image_folder(broken, classes=2, per_class=2, seed=3)
    if how == "corrupt":
        (broken / "class_0" / "0.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
        return broken, "class_0/0.jpg is corrupt"
    if how == "empty file":
        (broken / "class_1" / "1.png").write_bytes(b"")
        return broken, "class_1/1.png is empty"
    if how == "empty class":
        (broken / "class_2").mkdir()
        return broken, "class_2 holds no images"
    return tmp_path / "nowhere", "does not exist"


@pytest.mark.parametrize("how", ["corrupt", "empty file", "empty class", "missing"])
def test_bad_source_images_fail_world_with_one_line(real_world, tmp_path, how):
    source, message = corrupt(real_world, tmp_path, how)
    params = real_params(real_world)
    params["real"]["source_dir"] = str(source)
    repo = make_repo(tmp_path / "repo", params)
    done = subprocess.run([sys.executable, "-m", "stages.world"], cwd=repo, env=env(), capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and message in done.stderr and "Traceback" not in done.stderr
    assert not (repo / "data/world").exists()


def test_mismatched_weights_name_the_file(real_world, tmp_path):
    params = real_params(real_world)
    params["real"]["arch"] = "resnet50"
    repo = make_repo(tmp_path / "repo", params)
    done = subprocess.run([sys.executable, "-m", "stages.pretrain"], cwd=repo, env=env(), capture_output=True, text=True)
    assert done.returncode == 2
    assert "resnet18.pth does not match torchvision resnet50" in done.stderr
    assert not (repo / "data/pretrain").exists()
