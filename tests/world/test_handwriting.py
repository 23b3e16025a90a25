import numpy as np
import pytest

from reprise.core.errors import InputError
from reprise.world.handwriting import HANDWRITING, load_handwriting


@pytest.mark.parametrize("name", HANDWRITING)
def test_target_is_balanced_disjoint_and_in_pool_format(name):
    target = load_handwriting(name, labels_per_class=5, test_per_class=20, seed=0)
    assert target.name == name and target.concept == "digit"
    assert target.class_names == [str(d) for d in range(10)]
    assert target.train_images.shape == (50, 32, 32) and target.train_images.dtype == np.uint8
    assert target.test_images.shape == (200, 32, 32) and target.test_images.dtype == np.uint8
    assert target.train_labels.dtype == np.int64 and target.test_labels.dtype == np.int64
    assert np.bincount(target.train_labels).tolist() == [5] * 10
    assert np.bincount(target.test_labels).tolist() == [20] * 10
    assert not set(target.train_indices) & set(target.test_indices)
    assert len(set(target.test_indices)) == 200


@pytest.mark.parametrize("name", HANDWRITING)
def test_digits_are_white_on_black_filling_the_mnist_box(name):
    images = load_handwriting(name, labels_per_class=10, test_per_class=10, seed=0).train_images
    assert images.max() == 255
    border = np.concatenate([images[:, :2].ravel(), images[:, -2:].ravel()])
    assert border.mean() < 5 < images[:, 8:24, 8:24].mean()
    ink_rows = (images > 64).any(axis=2)
    heights = [np.ptp(np.flatnonzero(rows)) + 1 for rows in ink_rows]
    assert 16 <= np.mean(heights) <= 22  # MNIST fits digits in a 20-pixel box


def test_split_is_deterministic_per_seed():
    first = load_handwriting("digits", labels_per_class=3, test_per_class=10, seed=1)
    again = load_handwriting("digits", labels_per_class=3, test_per_class=10, seed=1)
    other = load_handwriting("digits", labels_per_class=3, test_per_class=10, seed=2)
    assert np.array_equal(first.train_indices, again.train_indices)
    assert first.test_images.tobytes() == again.test_images.tobytes()
    assert not np.array_equal(first.train_indices, other.train_indices)


def test_no_test_size_keeps_every_remaining_image_for_test():
    target = load_handwriting("digits", labels_per_class=4, test_per_class=None, seed=0)
    assert len(target.train_indices) + len(target.test_indices) == 1797
    assert sorted(np.concatenate([target.train_indices, target.test_indices])) == list(range(1797))


def test_arrays_are_read_only():
    target = load_handwriting("digits", labels_per_class=1, test_per_class=1, seed=0)
    with pytest.raises(ValueError):
        target.train_images[0, 0, 0] = 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "cifar"}, "unknown target 'cifar'; valid targets are mnist, digits"),
        ({"labels_per_class": 0}, "labels_per_class must be at least 1, got 0"),
        ({"test_per_class": 0}, "test_per_class must be at least 1 or None, got 0"),
        ({"seed": -3}, "seed must be a non-negative integer, got -3"),
        (
            {"labels_per_class": 100, "test_per_class": 80},
            r"target 'digits' has only 174 images of class '8' .*= 180 is more than that",
        ),
        (
            {"labels_per_class": 174, "test_per_class": None},
            "only 174 images of class '8' .*labels_per_class = 174 leaves no test image",
        ),
    ],
)
def test_bad_arguments_are_input_errors(arguments, message):
    call = {"name": "digits", "labels_per_class": 2, "test_per_class": 5, "seed": 0}
    with pytest.raises(InputError, match=message):
        load_handwriting(**{**call, **arguments})


def test_mnist_has_500_images_per_class():
    with pytest.raises(InputError, match="only 500 images of class '0'"):
        load_handwriting("mnist", labels_per_class=20, test_per_class=481, seed=0)
