"""The checkpoint study (inadequately-pretrained-checkpoints paper): the F_m / F_r split of eq. 1-3,
the frozen-feature (FE) classifier, the report's finding and correlations, bad params."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch

from reprise.checkpoint_report import (checkpoint_roles, correlations, finding, json_safe, role_labels, spectral_evolution, spectral_table,
                                      trajectory_summary, write_report)
from reprise.errors import InputError
from reprise.images import ImageTable
from reprise.models import GLYPH_SPEC, GlyphResNet
from reprise.softmax_classifier import classifier_accuracy, feature_extractor_transfer, train_softmax_classifier
from reprise.spectral import main_rank, spectral_part, spectral_split
from reprise.trajectory import CheckpointStudy, check_epochs, settings_from_params, transferability


def orthonormal(rows: int, cols: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return q


SIGMA = torch.tensor([5.0, 3.0, 1.0, 0.5, 0.3, 0.2], dtype=torch.float64)  # sum 10: shares .5 .8 .9 .95 .98 1


@pytest.mark.parametrize("threshold, k", [(0.5, 1), (0.6, 2), (0.8, 2), (0.85, 3), (0.99, 6), (1.0, 6)])
def test_split_sums_back_and_picks_the_smallest_k(threshold, k):
    u, v = orthonormal(20, 6, 0), orthonormal(8, 6, 1)
    features = (u * SIGMA) @ v.T  # F = U Σ Vᵀ, b = 20, d = 8, rank 6
    split = spectral_split(features, threshold)
    assert split.k == k  # 0.8 sits exactly on the boundary 5 + 3 = 0.8 · 10: k = 2, not 3
    assert torch.allclose(split.singular_values[:6], SIGMA, atol=1e-12)
    assert torch.allclose(split.main + split.residual, features, atol=1e-12)
    assert torch.allclose(split.main, (u[:, :k] * SIGMA[:k]) @ v[:, :k].T, atol=1e-12)  # eq. 2
    assert torch.allclose(split.residual, (u[:, k:] * SIGMA[k:]) @ v[:, k:].T, atol=1e-12)  # eq. 3
    assert torch.linalg.matrix_rank(split.main) == k
    assert torch.allclose(split.main @ split.residual.T, torch.zeros(20, 20, dtype=torch.float64), atol=1e-12)


def test_split_edge_cases_and_bad_input():
    zero = spectral_split(torch.zeros(4, 3))
    assert zero.k == 0 and not zero.main.any() and not zero.residual.any()
    assert main_rank(torch.tensor([1.0]), 0.8) == 1
    assert spectral_part("F") is None
    part = spectral_part("F_r", 0.8)
    batch = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(part(batch) + spectral_part("F_m", 0.8)(batch), batch, atol=1e-5)
    for bad in (0, 1.5, -0.1, "0.8", None):
        with pytest.raises(InputError, match="spectral_threshold"):
            spectral_split(batch, bad)
    with pytest.raises(InputError, match="NaN"):
        spectral_split(torch.full((3, 3), float("nan")))
    with pytest.raises(InputError, match="part"):
        spectral_part("F_x")


def bar_table(n: int, classes: int, seed: int) -> ImageTable:
    """Glyph-sized images: class c has a bright bar at row 4 + 3c, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    pixels = np.zeros((n, 32, 32), dtype=np.uint8)
    for i, label in enumerate(labels):
        pixels[i, 4 + 3 * label : 6 + 3 * label, 6:26] = 255
    pixels = np.clip(pixels + rng.integers(0, 40, pixels.shape), 0, 255).astype(np.uint8)
    return ImageTable(pd.DataFrame({"image": np.arange(n), "label": labels, "class_name": [str(c) for c in labels]}), pixels)


def test_feature_extraction_never_updates_the_backbone():
    torch.manual_seed(0)
    backbone = GlyphResNet(widths=(8, 16))
    for module in backbone.modules():  # running statistics that a train-mode forward would move
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    backbone.train()
    before = copy.deepcopy(backbone.state_dict())
    result = feature_extractor_transfer(backbone, GLYPH_SPEC, bar_table(40, 4, 0), bar_table(20, 4, 1), epochs=30, lr=0.01,
                                        batch_size=16, seed=0, device=torch.device("cpu"))
    after = backbone.state_dict()
    assert before.keys() == after.keys()
    for name, tensor in before.items():  # every parameter and buffer, BN running stats and counters included
        assert torch.equal(tensor, after[name]), name
    assert all(p.grad is None for p in backbone.parameters())
    assert all(m.training for m in backbone.modules())  # train/eval flags restored
    assert result.train_features.shape == (40, 16) and result.test_features.shape == (20, 16)
    assert result.accuracy > 0.25  # above chance (4 classes) on frozen random features


def test_softmax_classifier_is_seeded_and_learns_separable_features():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 30)
    features = rng.normal(size=(90, 5)) + 4 * np.eye(3, 5)[labels]
    heads = [train_softmax_classifier(features, labels, 3, epochs=20, batch_size=16, seed=7) for _ in range(2)]
    assert torch.equal(heads[0].weight, heads[1].weight)
    assert classifier_accuracy(heads[0], features, labels) > 0.95
    transform = spectral_part("F_m", 0.8)
    head = train_softmax_classifier(features, labels, 3, epochs=20, batch_size=32, seed=0, transform=transform)
    assert 0 <= classifier_accuracy(head, features, labels, batch_size=32, transform=transform) <= 1


def test_transferability_without_a_source_head_leaves_leep_and_nce_undefined():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(2), 10)
    features = rng.normal(size=(20, 4)) + 3 * labels[:, None]
    head = {"weight": torch.randn(5, 4, dtype=torch.float64), "bias": torch.zeros(5, dtype=torch.float64)}
    with_head = transferability(features, labels, {"source_head": head})
    without = transferability(features, labels, {})
    assert all(np.isfinite(v) for v in with_head.values())
    assert without["logme"] == with_head["logme"] and np.isnan(without["leep"]) and np.isnan(without["nce"])


def fake_seeds(fe: dict, ft: dict, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Per-seed results with FE/FT means from ``fe``/``ft`` (epoch → %), a small seed offset."""
    rows = []
    for seed in seeds:
        for epoch in fe:
            jitter = 0.05 * (seed - 1)
            rows.append({"epoch": epoch, "seed": seed, "source_val_acc": epoch / 20, "fe_acc": (fe[epoch] + jitter) / 100,
                         "ft_acc": (ft[epoch] + jitter) / 100, "logme": ft[epoch] / 100, "leep": -epoch / 10,
                         "nce": float(seed == 0) * epoch, "train_images": 100, "test_images": 50})
    return pd.DataFrame(rows)


def test_finding_holds_only_for_a_middle_fe_peak_with_ft_improving():
    middle = finding(fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 97, 16: 98}))
    assert middle["best_fe_epoch"] == 4 and middle["last_epoch"] == 16 and middle["holds"]
    assert middle["fe_gap_best_minus_last"] == pytest.approx(3.0) and middle["ft_gain_last_minus_best_fe"] == pytest.approx(1.0)
    monotone = finding(fake_seeds({1: 90, 4: 92, 16: 95}, {1: 96, 4: 97, 16: 98}))
    assert monotone["best_fe_epoch"] == 16 and not monotone["holds"] and not monotone["fe_best_before_last"]
    ft_flat = finding(fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 98, 16: 97}))
    assert ft_flat["fe_best_before_last"] and not ft_flat["ft_better_from_last"] and not ft_flat["holds"]
    assert checkpoint_roles(middle) == {"best_fe": 4, "last": 16}
    assert checkpoint_roles(monotone) == {"first": 1, "best_fe": 16, "last": 16}  # an early checkpoint still faces the last
    assert role_labels(checkpoint_roles(monotone)) == {1: "first", 16: "best FE, last"}


def test_correlations_and_spectral_table():
    seeds = fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 97, 16: 98})
    corr = correlations(seeds, "ft_acc")
    assert corr["logme"]["kendall_tau"] == pytest.approx(1.0) and corr["logme"]["pearson"] == pytest.approx(1.0)
    assert corr["leep"]["kendall_tau"] == pytest.approx(-1.0)
    assert corr["nce"]["kendall_tau_per_seed"][1] is None  # constant within seed 1: undefined, not a crash
    spectral = pd.DataFrame([{"epoch": e, "seed": s, "model": m, "part": p, "acc": 0.5, "k_mean": 3.0, "feature_dim": 8}
                             for e in (1, 4, 16) for s in (0, 1, 2) for m in ("pretrained", "finetuned") for p in ("F_m", "F_r")])
    table = spectral_table(trajectory_summary(seeds), spectral_evolution(spectral), {"best_fe": 4, "last": 16})
    assert table["best_fe"]["FE"]["F"] == pytest.approx(95) and table["last"]["FT"]["F"] == pytest.approx(98)
    assert table["last"]["FE"]["F_m"] == pytest.approx(50) and table["best_fe"]["epoch"] == 4
    assert json_safe({"a": float("nan"), "b": np.float64(1.23456), "c": [np.int64(2)]}) == {"a": None, "b": 1.2346, "c": [2]}


GOOD = {"target": "mnist", "labels_per_class": 5, "test_per_class": None, "seeds": [0, 1],
        "classifier": {"lr": 0.01, "batch_size": 128, "fe_epochs": 10, "spectral_epochs": 5},
        "finetune": {"epochs": 1, "batch_size": 32, "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0},
        "spectral_threshold": 0.8, "embedding_points": 50}


@pytest.mark.parametrize("key, value, fragment", [
    ("seeds", [], "checkpoints.seeds"), ("seeds", [0, 0], "checkpoints.seeds"), ("labels_per_class", 0, "labels_per_class"),
    ("spectral_threshold", 1.2, "spectral_threshold"), ("classifier", {"lr": 0.01, "batch_size": 128, "fe_epochs": 0, "spectral_epochs": 5}, "fe_epochs"),
    ("finetune", {"epochs": 1, "batch_size": 32, "lr": -1}, "finetune.lr"), ("embedding_points", "many", "embedding_points"),
])
def test_bad_settings_are_one_line_errors(key, value, fragment):
    settings_from_params(GOOD)
    with pytest.raises(InputError, match=fragment) as err:
        settings_from_params({**GOOD, key: value})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("epochs", [[], [1, 1], [-1], "all", [1.5]])
def test_bad_epoch_lists(epochs):
    with pytest.raises(InputError, match="checkpoints.epochs"):
        check_epochs(epochs)
    assert check_epochs([16, 1, 4]) == [1, 4, 16]


def fake_study(epoch: int, fe: float, ft: float, seed_count: int = 2) -> CheckpointStudy:
    seeds = fake_seeds({epoch: fe}, {epoch: ft}, seeds=range(seed_count))
    spectral = pd.DataFrame([{"epoch": epoch, "seed": s, "model": m, "part": p, "acc": 0.5, "k_mean": 3.0, "feature_dim": 4}
                             for s in range(seed_count) for m in ("pretrained", "finetuned") for p in ("F_m", "F_r")])
    rng = np.random.default_rng(epoch)
    points = pd.DataFrame({"test_row": np.arange(12), "label": np.arange(12) % 3})
    return CheckpointStudy(seeds, spectral, pd.DataFrame(), points, rng.normal(size=(12, 4)).astype(np.float32), rng.normal(size=(12, 4)).astype(np.float32))


@pytest.mark.parametrize("studies", [{0: (90, 95)}, {1: (90, 95), 4: (93, 96), 8: (92, 97)}], ids=["one checkpoint", "three"])
def test_report_writes_every_artifact(tmp_path, studies):
    statement = write_report({e: fake_study(e, *acc) for e, acc in studies.items()}, "mnist", 5, 5.0, tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())  # strict JSON: NaN written as null
    assert metrics["finding"]["holds"] is (len(studies) == 3) and "finding" in statement
    for name in ("trajectory.png", "spectral.png", "scores.png", "tsne.png", "summary.md", "trajectory.csv", "spectral.csv", "scores.csv"):
        assert (tmp_path / name).stat().st_size > 0
