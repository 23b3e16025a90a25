"""Indexing image trees with any file kinds, sizes, names, links and modes: an index whose every
image decodes, or a one-line error."""

import io
import os

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from builders import png_header
from fuzz_contract import record
from reprise.core.errors import InputError
from reprise.core.image_folder import index_image_folder
from reprise.core.images import decode_image

KINDS = ["png", "jpg", "png", "jpg", "gray16", "wide", "empty", "garbage", "truncated", "dangling", "loop", "other_class", "own_folder",
         "subfolder", "huge", "fifo", "text", "unreadable"]
NAMES = st.one_of(st.sampled_from(["a", "b", ".git", ".ipynb_checkpoints", "__MACOSX", "with space", "ünï", "a" * 120]),
                  st.binary(min_size=1, max_size=12).map(lambda b: os.fsdecode(b.replace(b"/", b"_").replace(b"\0", b"_"))).filter(lambda n: n not in (".", "..")))


def image_bytes(fmt: str, width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    array = np.random.default_rng(width * 31 + height).integers(0, 255 if mode != "I;16" else 65535, (height, width, 3) if mode == "RGB" else (height, width))
    Image.fromarray(array.astype(np.uint8 if mode != "I;16" else np.uint16)).save(buffer, format=fmt)
    return buffer.getvalue()


def make(entry, kind: str, classes: list) -> None:
    """Create one tree entry of the given kind at ``entry`` (a path ending in a file name)."""
    if kind in ("png", "jpg"):
        entry.with_suffix("." + kind).write_bytes(image_bytes("PNG" if kind == "png" else "JPEG", 12, 9))
    elif kind == "gray16":
        entry.with_suffix(".png").write_bytes(image_bytes("PNG", 10, 10, "I;16"))
    elif kind == "wide":
        entry.with_suffix(".png").write_bytes(image_bytes("PNG", 90, 3))
    elif kind == "empty":
        entry.with_suffix(".jpg").write_bytes(b"")
    elif kind == "garbage":
        entry.with_suffix(".png").write_bytes(os.urandom(50))
    elif kind == "truncated":
        entry.with_suffix(".jpg").write_bytes(image_bytes("JPEG", 40, 40)[:200])
    elif kind == "dangling":
        os.symlink(entry.parent / "nowhere.jpg", entry.with_suffix(".jpg"))
    elif kind == "loop":
        os.symlink(entry.with_suffix(".jpg"), entry.with_suffix(".jpg"))
    elif kind == "other_class":
        os.symlink(classes[0], entry)
    elif kind == "own_folder":
        os.symlink(entry.parent, entry)
    elif kind == "subfolder":
        entry.mkdir()
        (entry / "inner.png").write_bytes(image_bytes("PNG", 8, 8))
    elif kind == "huge":
        entry.with_suffix(".png").write_bytes(png_header(40_000))
    elif kind == "fifo":
        os.mkfifo(entry.with_suffix(".png"))
    elif kind == "text":
        entry.with_suffix(".txt").write_text("notes")
    elif kind == "unreadable":
        entry.with_suffix(".png").write_bytes(image_bytes("PNG", 8, 8))
        os.chmod(entry.with_suffix(".png"), 0)


@given(classes=st.lists(st.tuples(NAMES, st.lists(st.tuples(NAMES, st.sampled_from(KINDS)), max_size=4)), min_size=1, max_size=3,
                        unique_by=lambda c: c[0]),
       bad_images=st.sampled_from(["fail", "skip"]), linked_class=st.booleans())
def test_an_index_decodes_or_is_one_line(tmp_path_factory, classes, bad_images, linked_class):
    root = tmp_path_factory.mktemp("tree")
    folders = []
    for name, entries in classes:
        folder = root / name
        folder.mkdir()
        folders.append(folder)
        for i, (entry_name, kind) in enumerate(entries):
            make(folder / f"{i}{entry_name}", kind, folders)
    if linked_class:
        os.symlink(folders[0], root / "linked")
    try:
        table = index_image_folder(root, workers=1, bad_images=bad_images, progress=False)
    except InputError as exc:  # printed by reprise.core.messages.error on one line
        record(f"error: {exc}", root)
        return
    record("indexed", root)
    assert len(table) and table.groupby("class_name")["label"].nunique().eq(1).all()
    identities = {(os.stat(p).st_dev, os.stat(p).st_ino): name for p, name in zip(table["path"], table["class_name"])}
    assert len(identities) == len(table)  # each file once
    for path in table["path"]:
        assert decode_image(path, 16, 3).shape == (3, 16, 16)
        assert decode_image(path, 16, 1, seed=7, flip=True).shape == (1, 16, 16)
