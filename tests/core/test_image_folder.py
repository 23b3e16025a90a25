"""Indexing ImageFolder trees as users' disks hold them: links, hidden folders, huge headers."""

import os

import pytest
from PIL import Image

from builders import image_folder, png_header
from reprise.core.errors import InputError
from reprise.core.image_folder import index_image_folder


def index(root, **kwargs):
    return index_image_folder(root, workers=1, progress=False, **kwargs)


def test_broken_links_and_link_loops_are_named_and_skipped(tmp_path, capsys):
    root = image_folder(tmp_path / "tree", classes=2, per_class=3, seed=0)
    os.symlink(tmp_path / "gone.jpg", root / "class_0" / "dangling.jpg")
    os.symlink(root / "class_1" / "loop.jpg", root / "class_1" / "loop.jpg")
    with pytest.raises(InputError, match=r"class_0/dangling.jpg is a broken link \(to .*gone.jpg\); remove or replace it \(1 more bad files"):
        index(root)
    kept = index(root, bad_images="skip")
    assert len(kept) == 6 and not kept["path"].str.contains("dangling|loop").any()
    assert "loop.jpg (is a loop of symbolic links)" in capsys.readouterr().err


def test_hidden_and_version_control_folders_are_not_classes(tmp_path):
    root = image_folder(tmp_path / "tree", classes=2, per_class=2, seed=0)
    for hidden in (".git/objects", ".ipynb_checkpoints", "__MACOSX", "class_0/.thumbnails"):
        (root / hidden).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(root / hidden / "0.png")
    Image.new("RGB", (8, 8)).save(root / "class_1" / "._0.png")  # a macOS resource fork
    table = index(root)
    assert sorted(set(table["class_name"])) == ["class_0", "class_1"] and len(table) == 4


def test_a_class_folder_linked_to_another_is_refused(tmp_path):
    root = image_folder(tmp_path / "tree", classes=2, per_class=2, seed=0)
    os.symlink(root / "class_0", root / "class_2")
    with pytest.raises(InputError, match=r"class_2/0.jpg \(class class_2\) is the same file as .*class_0/0.jpg \(class class_0\), through a link"):
        index(root)


def test_a_folder_linked_inside_its_class_is_walked_once(tmp_path):
    root = image_folder(tmp_path / "tree", classes=2, per_class=2, seed=0)
    os.symlink(root / "class_0", root / "class_0" / "again")  # a loop: class_0/again/again/...
    os.symlink(root / "class_0" / "1.png", root / "class_0" / "copy.png")
    table = index(root)
    assert len(table) == 4 and table["label"].tolist() == [0, 0, 1, 1]


def test_a_huge_image_is_refused_as_too_large_with_the_limit(tmp_path):
    root = image_folder(tmp_path / "tree", classes=2, per_class=2, seed=0)
    (root / "class_1" / "bomb.png").write_bytes(png_header(50_000))
    message = r"bomb.png is too large \(50000x50000 = 2500000000 pixels, more than real.max_image_pixels = 178956970.*raise real.max_image_pixels"
    with pytest.raises(InputError, match=message):
        index(root)
    assert len(index(root, bad_images="skip")) == 4
    (root / "class_1" / "bomb.png").write_bytes(png_header(100))
    with pytest.raises(InputError, match=r"bomb.png is too large \(100x100 = 10000 pixels, more than real.max_image_pixels = 5000"):
        index(root, max_pixels=5000)


def test_a_name_that_is_not_utf8_is_named_and_skipped(tmp_path):
    """Found by the fuzzer: the index is stored as Parquet, which holds UTF-8 text only."""
    root = image_folder(tmp_path / "tree", classes=2, per_class=2, seed=0)
    odd = root / "class_0" / os.fsdecode(b"caf\xe9.png")
    Image.new("RGB", (8, 8)).save(odd, format="PNG")
    with pytest.raises(InputError, match="has a name that is not UTF-8 text, which the index \\(Parquet\\) cannot store; rename it"):
        index(root)
    assert len(index(root, bad_images="skip")) == 4
    (root / os.fsdecode(b"\xff")).mkdir()
    with pytest.raises(InputError, match="class folder .* has a name that is not UTF-8 text"):
        index(root, bad_images="skip")
