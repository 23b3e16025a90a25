"""Real mode: ImageFolder trees and a torchvision ResNet-18 state_dict file, no glyph world."""

import json

import numpy as np
import pytest
import torch
import torchvision

from builders import image_folder
from pipeline_utils import CORE_STAGES, dvc, make_repo, real_params, run_module, stages_run


@pytest.fixture(scope="module")
def real_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    image_folder(root / "source", classes=4, per_class=5, seed=0)
    image_folder(root / "train", classes=2, per_class=4, seed=1)
    image_folder(root / "test", classes=2, per_class=3, seed=2)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), root / "resnet18.pth")
    return root


def test_real_mode_pipeline_runs_end_to_end(real_world, tmp_path):
    repo = make_repo(tmp_path / "repo", real_params(real_world))
    run = dvc(repo, "repro", "evaluate")
    assert set(stages_run(run.stdout)) == CORE_STAGES
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert metrics["selection"]["units_selected"] == 2 and metrics["selection"]["images_selected"] == 10
    checkpoint = torch.load(repo / "data/pretrain/epoch_000.pt", weights_only=False)
    assert checkpoint["arch"] == "resnet18" and checkpoint["image"]["size"] == 64
    assert checkpoint["source_head"]["weight"].shape == (1000, 512)  # the file's fc, for LEEP and NCE
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
    done = run_module(repo, "stages.world")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and message in done.stderr and "Traceback" not in done.stderr
    assert not (repo / "data/world").exists()


def test_mismatched_weights_name_the_file(real_world, tmp_path):
    params = real_params(real_world)
    params["real"]["arch"] = "resnet50"
    repo = make_repo(tmp_path / "repo", params)
    done = run_module(repo, "stages.pretrain")
    assert done.returncode == 2
    assert "resnet18.pth does not match torchvision resnet50" in done.stderr
    assert not (repo / "data/pretrain").exists()
