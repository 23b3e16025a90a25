"""Real mode: ImageFolder trees and a torchvision ResNet-18 state_dict file, no glyph world."""

import json
import shutil

import numpy as np
import pytest
import torch
import torchvision
import yaml

from builders import image_folder
from pipeline_utils import CORE_STAGES, REPO, assert_one_line_error, dvc, make_repo, merged, real_params, run_module, stages_run


@pytest.fixture(scope="module")
def real_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    image_folder(root / "source", classes=4, per_class=5, seed=0)
    image_folder(root / "train", classes=2, per_class=4, seed=1)
    image_folder(root / "test", classes=2, per_class=3, seed=2)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), root / "resnet18.pth")
    return root


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
    if how == "truncated":
        jpeg = broken / "class_1" / "0.jpg"
        jpeg.write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
        return broken, "class_1/0.jpg is corrupt or truncated"
    return tmp_path / "nowhere", "which is not an existing folder"


@pytest.mark.parametrize("how", ["corrupt", "truncated", "empty file", "empty class", "missing"])
def test_bad_source_images_fail_world_with_one_line(real_world, tmp_path, how):
    source, message = corrupt(real_world, tmp_path, how)
    params = real_params(real_world)
    params["real"]["source_dir"] = str(source)
    repo = make_repo(tmp_path / "repo", params)
    done = run_module(repo, "stages.world")
    assert_one_line_error(done, message)
    assert not (repo / "data/world").exists()


def test_mismatched_weights_name_the_file(real_world, tmp_path):
    params = real_params(real_world)
    params["real"]["arch"] = "resnet50"
    repo = make_repo(tmp_path / "repo", params)
    done = run_module(repo, "stages.pretrain")
    assert done.returncode == 2
    assert "resnet18.pth does not match torchvision resnet50" in done.stderr
    assert not (repo / "data/pretrain").exists()


@pytest.mark.parametrize("key, value, stage, message", [
    ("source_dir", "real/source", "stages.world", "image folder real/source has no class sub-folders"),  # the default placeholder
    ("target_test_dir", "real/target_test", "stages.target", "image folder real/target_test has no class sub-folders"),
    ("weights", "real/weights.pt", "stages.pretrain", "real.weights is real/weights.pt, an empty file (the default is a placeholder)"),
    ("weights", None, "stages.pretrain", "real.weights must be a string"),
    ("weights", "/nowhere/r50.pth", "stages.pretrain", "real.weights is /nowhere/r50.pth, which is not an existing file"),
    ("source_concepts", "/nowhere/concepts.csv", "stages.world", "real.source_concepts is /nowhere/concepts.csv"),
])
def test_unset_placeholder_or_missing_real_inputs_name_the_key(real_world, tmp_path, key, value, stage, message):
    params = real_params(real_world)
    params["real"][key] = value
    repo = make_repo(tmp_path / "repo", params)
    assert_one_line_error(run_module(repo, stage), message)
    assert not (repo / "data").exists()


def test_a_pool_smaller_than_cluster_k_still_selects_classes(real_world, tmp_path):
    """With select.unit: class the clusters only feed the reports: k is lowered to the pool's
    size with a warning; selecting clusters from too small a pool is an error naming cluster.k."""
    params = real_params(real_world)
    params["cluster"]["k"] = 50
    repo = make_repo(tmp_path / "repo", params)
    run = dvc(repo, "repro", "select")
    assert "cluster.k = 50 exceeds the 20 source images; clustering into 20" in run.stderr
    params["select"]["unit"] = "cluster"  # the same features, now selecting clusters
    (repo / "params.yaml").write_text(yaml.safe_dump(merged(yaml.safe_load((REPO / "params.yaml").read_text()), params), sort_keys=False))
    assert_one_line_error(run_module(repo, "stages.cluster"), "cluster.k = 50 exceeds the 20 source images; lower cluster.k")


def quick_start(world, root) -> dict:
    """params.real.yaml's overrides for a tiny run: the paths, and one epoch wherever it trains."""
    return {
        "real": {"source_dir": str(root / "source"), "target_train_dir": str(root / "train"), "target_test_dir": str(root / "test"),
                 "target_concept": "class_1", "weights": str(root / "resnet18.pth"), "arch": "resnet18", "image_size": 64},
        "loader": {"num_workers": 2},
        "cluster": {"k": 3},
        "select": {"k": 2},
        "finetune": {"epochs": 1, "batch_size": 4},
        "zoo": {"members": {"main": {"weights": str(root / "resnet18.pth"), "arch": "resnet18"}}, "seeds": [0],
                "probe": {"epochs": {"embedded": 15, "real": 1}}, "finetune": {"lrs": [0.01], "epochs": {"embedded": 10, "real": 1}}},
        "checkpoints": {"seeds": [0], "embedding_points": 6, "classifier": {"fe_epochs": 2, "spectral_epochs": 2},
                        "finetune": {"epochs": {"embedded": 40, "real": 1}}},
    }


def test_params_real_yaml_runs_every_stage_and_dvc_tracks_the_real_inputs(real_world, tmp_path):
    """The documented real-mode params file (paths set, one epoch): `dvc repro` runs every stage of
    all three studies, the imported weights' own head kept and the fine-tuned model exported as
    torchvision's state dict. The folders and the weights file are DVC dependencies: a new class folder,
    a replaced image or other weights at the same path make `dvc status` name what they affect."""
    inputs = tmp_path / "inputs"
    shutil.copytree(real_world, inputs)
    repo = make_repo(tmp_path / "repo", quick_start(real_world, inputs), base="params.real.yaml")
    run = dvc(repo, "repro")
    stages = set(stages_run(run.stdout))
    assert CORE_STAGES | {"params", "zoo_multidomain", "zoo_targets", "zoo_pretrain@main", "zoo_scores@main", "zoo_finetune@main", "zoo_report",
                          "checkpoint@0", "checkpoint_report"} == stages
    assert "up to date" in dvc(repo, "status").stdout
    assert json.loads((repo / "results/live/finetune_reuse/metrics.json").read_text())["step"] == 1  # one epoch (1-based), through DVCLive
    metrics = json.loads((repo / "results/metrics.json").read_text())
    assert metrics["selection"]["units_selected"] == 2 and metrics["selection"]["images_selected"] == 10
    checkpoint = torch.load(repo / "data/pretrain/epoch_000.pt", weights_only=False)
    assert checkpoint["arch"] == "resnet18" and checkpoint["image"]["size"] == 64
    assert checkpoint["source_head"]["weight"].shape == (1000, 512)  # the file's fc, for LEEP and NCE
    assert np.load(repo / "data/features/pool.npy").shape == (20, 512)
    # the fine-tuned model, exported as torchvision's own state dict, predicts as Reprise's copy does
    from reprise.core.checkpoints import linear_head, load_backbone
    from reprise.core.images import ImageTable

    backbone, spec, tuned = load_backbone(repo / "data/finetune/reuse/model.pt")
    x = next(ImageTable.read(repo / "data/target/test").batches(spec, 6))[0]
    plain = torchvision.models.resnet18(num_classes=2)
    plain.load_state_dict(torch.load(repo / "data/finetune/reuse/torchvision.pt", weights_only=True))
    with torch.no_grad():
        torch.testing.assert_close(plain.eval()(x), linear_head(tuned["target_head"])(backbone(x)))

    shutil.copytree(inputs / "source" / "class_0", inputs / "source" / "class_9")
    image = next((inputs / "test" / "class_1").glob("*.png"))
    image.write_bytes((inputs / "test" / "class_0" / image.name).read_bytes())
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), inputs / "resnet18.pth")
    status = dvc(repo, "status").stdout
    for stage in ("world:", "target:", "pretrain:", "zoo_targets:", "checkpoint@0:"):
        assert stage in status, status


def test_an_image_damaged_after_indexing_fails_extract_with_its_path_and_no_features(real_world, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(real_world, inputs)
    params = real_params(inputs)
    repo = make_repo(tmp_path / "repo", params)
    for stage in ("stages.world", "stages.target", "stages.pretrain"):
        assert run_module(repo, stage).returncode == 0
    jpeg = inputs / "source" / "class_3" / "0.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
    assert_one_line_error(run_module(repo, "stages.extract"), "cannot read image", "class_3/0.jpg")
    assert not (repo / "data/features").exists()  # the target's features, computed first, are not written either
