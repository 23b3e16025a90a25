"""Image tables: the validation split that chooses hyperparameters without the test set; image
files indexed, decoded by torchvision's reference recipe or the spec's own resize and filter, and
loaded in worker processes; in-memory images resized with antialiasing."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from builders import glyph_table, image_folder
from reprise.core.errors import InputError
from reprise.core.image_folder import index_image_folder
from reprise.core.images import (ImageSpec, ImageTable, configure_loading, decode_for, decode_image, imagenet_spec, random_resized_box,
                                 random_resized_crops, validation_split)
from reprise.core.sections import LoaderSettings


def test_validation_split_holds_out_a_share_of_every_class():
    train = glyph_table(50, 5, 0)  # 10 images a class
    fit, val = validation_split(train, 0.2, seed=3)
    assert np.bincount(val.labels).tolist() == [2] * 5 and np.bincount(fit.labels).tolist() == [8] * 5
    assert set(fit.index["image"]).isdisjoint(val.index["image"])
    again, _ = validation_split(train, 0.2, seed=3)
    assert fit.index.equals(again.index)
    few = train.subset(np.flatnonzero(train.index.groupby("label").cumcount().to_numpy() < 2))
    fit, val = validation_split(few, 0.2, seed=0)  # at least one held out, at least one left
    assert np.bincount(val.labels).tolist() == [1] * 5 and np.bincount(fit.labels).tolist() == [1] * 5
    with pytest.raises(InputError, match="validation split needs two a class"):
        validation_split(train.subset(np.arange(5)), 0.2, seed=0)


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    grey = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "scan.png")
    decoded = decode_image(str(tmp_path / "scan.png"), 64, 1).float()
    assert abs(decoded.mean().item() - 127.5) < 3  # clipped at 255, the mean would be ~254


def test_the_evaluation_crop_is_the_centre_after_resizing_to_size_over_0875(tmp_path):
    image = np.zeros((64, 128, 3), dtype=np.uint8)
    image[:, 60:68] = 255  # a bar at the centre; the resize to 73 x 146 keeps the centre 64 x 64
    image[:, :8] = 255  # a bar at the left edge, cropped away
    Image.fromarray(image).save(tmp_path / "wide.png")
    decoded = decode_image(str(tmp_path / "wide.png"), 64, 3)
    assert decoded.shape == (3, 64, 64)
    columns = decoded[0].float().mean(0)
    assert columns[:20].max() < 10 and columns[28:36].min() > 200


@pytest.mark.parametrize("width,height", [(224, 224), (300, 200), (400, 50), (50, 400), (8, 1), (1, 4000), (4000, 1), (1, 1)])
def test_crop_boxes_are_torchvisions_for_any_aspect(width, height):
    """The same generator state gives torchvision's RandomResizedCrop box, its centre-crop fallback
    included (always taken for 1 x 4000, most of the time at 8:1)."""
    from torchvision.transforms import RandomResizedCrop

    for seed in range(200):
        torch.manual_seed(seed)
        top, left, h, w = RandomResizedCrop.get_params(torch.empty(1, height, width), (0.08, 1.0), (3 / 4, 4 / 3))
        assert random_resized_box(width, height, torch.Generator().manual_seed(seed)) == (left, top, left + w, top + h)


@pytest.mark.parametrize("width,height", [(400, 50), (50, 400), (1, 4000)])
def test_wide_and_tall_images_train(tmp_path, width, height):
    Image.fromarray(np.full((height, width, 3), 90, dtype=np.uint8)).save(tmp_path / "strip.png")
    for seed in range(20):
        assert decode_image(str(tmp_path / "strip.png"), 32, 3, seed=seed, flip=True).shape == (3, 32, 32)


def test_exif_orientation_is_applied(tmp_path):
    """A photo stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise to show) is
    decoded as shown: its stored top half becomes the right half."""
    stored = np.zeros((32, 64, 3), dtype=np.uint8)
    stored[:16] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    Image.fromarray(stored).save(tmp_path / "plain.jpg", quality=95)
    upright = decode_image(str(tmp_path / "phone.jpg"), 32, 1)[0].float()
    plain = decode_image(str(tmp_path / "plain.jpg"), 32, 1)[0].float()
    assert upright[:, 20:].mean() > 200 and upright[:, :12].mean() < 50
    assert plain[:12].mean() > 200 and plain[20:].mean() < 50


def test_truncated_and_unreadable_files_fail_indexing_or_are_skipped(tmp_path):
    root = image_folder(tmp_path / "tree", classes=2, per_class=6, seed=0, size=64)
    jpeg = root / "class_1" / "2.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
    with pytest.raises(InputError, match=r"class_1/2.jpg is corrupt or truncated"):
        index_image_folder(root, workers=2, progress=False)
    index = index_image_folder(root, workers=2, bad_images="skip", progress=False)
    assert len(index) == 11 and str(jpeg) not in set(index["path"])


def test_training_crops_depend_on_the_seed_not_on_the_loader_workers(tmp_path):
    """The random resized crops are drawn from the training generator, so worker processes (which
    decode in any order) give the same batches as decoding in the calling process."""
    root = image_folder(tmp_path / "tree", classes=2, per_class=6, seed=0, size=48)
    table = ImageTable(index_image_folder(root, workers=1, progress=False))
    spec = imagenet_spec(32)

    def epoch(workers: int, seed: int) -> torch.Tensor:
        configure_loading(LoaderSettings.parse({"num_workers": workers, "prefetch_factor": 2}))
        batches = ImageTable(table.index).raw_batches(spec, 5, shuffle=True, generator=torch.Generator().manual_seed(seed), train=True)
        return torch.cat([raw for raw, _, _ in batches])

    try:
        inline, workers = epoch(0, 1), epoch(2, 1)
    finally:
        configure_loading(LoaderSettings.parse({"num_workers": 0, "prefetch_factor": 2}))
    assert inline.shape == (12, 3, 32, 32) and torch.equal(inline, workers)
    assert not torch.equal(inline, epoch(0, 2))


def _in_memory(images: np.ndarray) -> ImageTable:
    return ImageTable(pd.DataFrame({"image": np.arange(len(images)), "label": np.zeros(len(images), dtype=int)}), images)


@pytest.mark.parametrize("side", [28, 8])
def test_antialiasing_leaves_the_embedded_worlds_upsampling_bit_identical(side):
    """MNIST (28) and scikit-learn's digits (8) are upsampled to the glyph side 32: with or without
    antialiasing, the same uint8 images (antialiasing only acts when an image shrinks)."""
    images = np.random.default_rng(side).integers(0, 256, (500, side, side), dtype=np.uint8)
    plain = F.interpolate(torch.from_numpy(images)[:, None].float(), size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.equal(_in_memory(images).load_uint8(np.arange(500), 32, 1), plain.round().clamp(0, 255).byte())


def test_shrinking_in_memory_images_is_antialiased():
    """A one-pixel checkerboard shrunk threefold comes out its mean grey (without antialiasing,
    bilinear sampling at a factor of 3 picks single pixels: black and white)."""
    checkerboard = ((np.add.outer(np.arange(96), np.arange(96)) % 2) * 255).astype(np.uint8)[None]
    small = _in_memory(checkerboard).load_uint8(np.arange(1), 32, 1).float()
    assert small.shape == (1, 1, 32, 32) and (small - 127.5).abs().max() <= 2
    spec = ImageSpec(size=16, channels=1, mean=(0.5,), std=(0.5,), flip=False, recipe="imagenet")
    crops = random_resized_crops(torch.from_numpy(checkerboard)[None], spec, np.arange(20)).float()  # random boxes, each shrunk to 16
    assert (crops - 127.5).abs().max() <= 2  # without antialiasing, up to 119.5 away


def test_an_image_file_is_resized_and_filtered_as_its_spec_says(tmp_path):
    """Named weights bring their own resize side and filter: the shorter side to ``resize`` with
    the filter, then the centre square, as torchvision's Resize and CenterCrop on a PIL image."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (120, 90, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    spec = ImageSpec(size=32, channels=3, mean=(0.5,) * 3, std=(0.5,) * 3, flip=True, recipe="imagenet", resize=40, interpolation="bicubic")
    with Image.open(tmp_path / "photo.png") as img:
        expected = np.asarray(img.convert("RGB").resize((40, 53), Image.BICUBIC).crop((4, 10, 36, 42)))
    assert np.array_equal(decode_for(str(tmp_path / "photo.png"), spec).permute(1, 2, 0).numpy(), expected)
    assert decode_for(str(tmp_path / "photo.png"), spec, seed=3).shape == (3, 32, 32)
    with pytest.raises(InputError, match="image interpolation must be one of nearest, .*, got 'cubic'"):
        ImageSpec(size=32, channels=3, mean=(0.5,), std=(0.5,), flip=True, interpolation="cubic")


def test_a_spec_saved_without_resize_and_filter_reads_as_the_reference_recipe(tmp_path):
    """Checkpoints written before specs carried a resize side and a filter: 256 -> 224 bilinear."""
    old = {"size": 224, "channels": 3, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "flip": True, "recipe": "imagenet"}
    assert ImageSpec.from_dict(old) == imagenet_spec(224) and imagenet_spec(224).resize is None
    named = ImageSpec.from_dict({**old, "resize": 232, "interpolation": "bicubic"})
    assert (named.resize, named.interpolation) == (232, "bicubic")
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    reference = dataclasses.replace(imagenet_spec(32), resize=round(32 / 0.875))
    assert torch.equal(decode_for(str(tmp_path / "a.png"), imagenet_spec(32)), decode_for(str(tmp_path / "a.png"), reference))


def test_a_checkpoint_of_the_reference_recipe_stores_no_resampling_keys_and_any_spec_round_trips():
    from reprise.core.images import GLYPH_SPEC, IMAGENET_SPEC, ImageSpec

    assert set(GLYPH_SPEC.to_dict()) == set(IMAGENET_SPEC.to_dict()) == {"size", "channels", "mean", "std", "flip", "recipe"}
    named = ImageSpec(224, 3, (0.5,) * 3, (0.25,) * 3, True, "imagenet", resize=232, interpolation="bicubic")
    assert named.to_dict()["resize"] == 232 and ImageSpec.from_dict(named.to_dict()) == named
    assert ImageSpec.from_dict(GLYPH_SPEC.to_dict()) == GLYPH_SPEC
