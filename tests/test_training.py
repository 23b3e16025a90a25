import numpy as np
import pandas as pd
import pytest
import torch

from reprise.clustering import cluster_summary, spherical_kmeans
from reprise.errors import InputError
from reprise.finetune import endless_batches, finetune
from reprise.images import ImageTable
from reprise.manifest import build_manifest
from reprise.models import GLYPH_SPEC, GlyphResNet
from reprise.training import step_schedule
from reprise.units import cluster_units, unit_means


def glyph_table(n: int, classes: int, seed: int) -> ImageTable:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    pixels = np.zeros((n, 32, 32), dtype=np.uint8)
    for i, label in enumerate(labels):  # class c: a bright bar at row 4 + 3c, plus noise
        pixels[i, 4 + 3 * label : 6 + 3 * label, 6:26] = 255
    pixels = np.clip(pixels + rng.integers(0, 40, pixels.shape), 0, 255).astype(np.uint8)
    index = pd.DataFrame({"image": np.arange(n), "label": labels, "class_name": [str(c) for c in labels]})
    return ImageTable(index, pixels)


def test_step_schedule_divides_by_ten_at_60_and_80_percent():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedule = step_schedule(opt, 100)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert lrs[59] == 1.0 and lrs[60] == pytest.approx(0.1) and lrs[79] == pytest.approx(0.1) and lrs[80] == pytest.approx(0.01)


def test_endless_batches_are_full_and_cover_every_image_each_pass():
    table = glyph_table(10, 2, 0)
    batches = endless_batches(table, GLYPH_SPEC, 4, torch.Generator().manual_seed(0))
    drawn = [next(batches) for _ in range(5)]  # 20 images: two passes over the 10
    assert [len(y) for _, y in drawn] == [4] * 5
    images = torch.cat([x for x, _ in drawn])
    first, second = images[:10].flatten(1), images[10:].flatten(1)
    assert sorted(map(bytes, first.numpy())) == sorted(map(bytes, second.numpy()))


def run_finetune(source, seed=0, lam=1.0, epochs=3):
    torch.manual_seed(123)
    backbone = GlyphResNet(widths=(8, 16))
    return finetune(
        backbone, GLYPH_SPEC, glyph_table(40, 4, 1), source, epochs=epochs, batch_size=8, lr=0.05, momentum=0.9,
        weight_decay=0.0, lam=lam, seed=seed, device=torch.device("cpu"), test=glyph_table(24, 4, 2), eval_every=1, progress=False,
    )


def test_finetune_is_seeded_and_learns():
    source = glyph_table(30, 3, 3)
    backbone_a, head_a, log_a = run_finetune(source)
    backbone_b, head_b, log_b = run_finetune(source)
    for a, b in zip(backbone_a.state_dict().values(), backbone_b.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(head_a.weight, head_b.weight)
    pd.testing.assert_frame_equal(log_a, log_b)
    assert log_a["target_loss"].iloc[-1] < log_a["target_loss"].iloc[0]
    assert (log_a["source_loss"] > 0).all()
    _, _, other_seed = run_finetune(source, seed=1)
    assert not other_seed["target_loss"].equals(log_a["target_loss"])


def test_source_loss_weight_changes_training_and_baseline_has_no_source_loss():
    source = glyph_table(30, 3, 3)
    _, _, weighted = run_finetune(source, lam=1.0)
    _, _, light = run_finetune(source, lam=0.1)
    assert not weighted["target_loss"].equals(light["target_loss"])
    _, head, baseline = run_finetune(None)
    assert (baseline["source_loss"] == 0).all() and head.out_features == 4


def test_finetune_rejects_bad_settings():
    with pytest.raises(InputError, match="lambda must be non-negative"):
        run_finetune(None, lam=-1.0)
    with pytest.raises(InputError, match="must be positive"):
        run_finetune(None, epochs=0)


def test_unit_means_and_empty_units():
    features = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    means, counts = unit_means(features, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(means, [[2.0, 1.0], [5.0, 5.0]])
    assert counts.tolist() == [2, 1]
    with pytest.raises(InputError, match="unit 2 has no images"):
        unit_means(features, np.array([0, 0, 1]), 3)


def test_manifest_lists_the_images_of_selected_units_in_rank_order():
    pool_units = np.array([0, 1, 2, 1, 0, 3, 2])
    manifest = build_manifest(pool_units, np.array([2, 0]), np.array([0.5, 0.1, 0.9, 0.0]))
    assert manifest["row"].tolist() == [0, 2, 4, 6]
    assert manifest["unit"].tolist() == [0, 2, 0, 2]
    assert manifest["source_label"].tolist() == [1, 0, 1, 0]
    assert manifest["rank"].tolist() == [2, 1, 2, 1]
    assert manifest["score"].tolist() == [0.5, 0.9, 0.5, 0.9]


def test_spherical_kmeans_is_seeded_and_cosine():
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(4, 16))
    # Points at very different norms along 4 directions: cosine k-means ignores the norm.
    features = np.vstack([d * s + 0.05 * rng.normal(size=16) for d in directions for s in rng.uniform(1, 20, 25)])
    first, centroids = spherical_kmeans(features, 4, 20, seed=3)
    again, _ = spherical_kmeans(features, 4, 20, seed=3)
    assert np.array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, rtol=1e-5)
    for block in range(4):
        assert len(set(first[block * 25 : (block + 1) * 25])) == 1
    summary = cluster_summary(first, 4)
    assert summary["size_min"] == summary["size_max"] == 25 and summary["empty_clusters"] == 0
    means, table = cluster_units(first, features)
    assert table["count"].tolist() == [25] * 4 and means.shape == (4, 16)
    with pytest.raises(InputError, match="exceeds the 100 source images"):
        spherical_kmeans(features, 101, 5, 0)


def test_manifest_of_single_images_carries_their_classes_for_the_source_head():
    pool_classes = np.array([5, 5, 9, 2, 9])
    manifest = build_manifest(np.arange(5), np.array([4, 0, 2]), np.linspace(0, 1, 5), head_labels=pool_classes)
    assert manifest["row"].tolist() == [0, 2, 4]
    assert manifest["rank"].tolist() == [2, 3, 1]
    assert manifest["source_label"].tolist() == [0, 1, 1]  # classes 5, 9, 9 renumbered
