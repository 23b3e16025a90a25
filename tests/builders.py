"""Small inputs that several test folders build: image tables, ImageFolder trees, weight files."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd
import torch
from PIL import Image

from reprise.core.images import ImageTable


def glyph_table(n: int, classes: int, seed: int) -> ImageTable:
    """``n`` 32×32 images of ``classes`` easily separated classes (class c: a bright bar at row
    4 + 3c, plus noise)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    pixels = np.zeros((n, 32, 32), dtype=np.uint8)
    for i, label in enumerate(labels):
        pixels[i, 4 + 3 * label : 6 + 3 * label, 6:26] = 255
    pixels = np.clip(pixels + rng.integers(0, 40, pixels.shape), 0, 255).astype(np.uint8)
    index = pd.DataFrame({"image": np.arange(n), "label": labels, "class_name": [str(c) for c in labels]})
    return ImageTable(index, pixels)


def blobs(seed: int, n_per: int = 20, k: int = 4, d: int = 16, sep: float = 3.0):
    """(separating features, pure-noise features, labels): class-dependent means + noise vs noise
    of the same overall scale."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per)
    means = rng.normal(size=(k, d)) * sep
    good = means[y] + rng.normal(size=(y.size, d))
    noise = rng.normal(size=(y.size, d)) * np.sqrt(sep**2 + 1)
    return good, noise, y


def image_folder(root, classes: int, per_class: int, seed: int, size: int = 40):
    """An ImageFolder tree ``root/class_<c>/<i>.{png,jpg}``: each class its own colour, plus noise."""
    rng = np.random.default_rng(seed)
    for c in range(classes):
        folder = root / f"class_{c}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            base = np.zeros((size, size, 3), dtype=np.uint8)
            base[..., c % 3] = 80 + 40 * c
            noisy = np.clip(base + rng.integers(0, 60, base.shape), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(folder / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def png_header(side: int) -> bytes:
    """A valid PNG header announcing ``side`` x ``side`` pixels, with almost no pixel data behind it
    (a decompression bomb's shape)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def moco_v2_checkpoint(path):
    """A file in the layout of moco_v2_800ep_pretrain.pth.tar, with random weights; returns the
    ResNet-50 with its MLP head as ``fc``, the network the file describes."""
    import torchvision

    torch.manual_seed(0)
    resnet = torchvision.models.resnet50(weights=None)
    resnet.fc = torch.nn.Sequential(torch.nn.Linear(2048, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 128))
    state = {}
    for encoder in ("encoder_q", "encoder_k"):
        state.update({f"module.{encoder}.{k}": v for k, v in resnet.state_dict().items()})
    state["module.queue"] = torch.randn(128, 64)
    state["module.queue_ptr"] = torch.zeros(1, dtype=torch.long)
    torch.save({"epoch": 800, "arch": "resnet50", "state_dict": state, "optimizer": {}}, path)
    return resnet


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


def clustered(seed: int = 0, n_source: int = 60, n_target: int = 5, d: int = 8):
    """A pool where source units 0..9 sit next to the target units and the rest far away."""
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(n_target, d))
    near = target[rng.integers(0, n_target, 10)] + 0.05 * rng.normal(size=(10, d))
    far = rng.normal(size=(n_source - 10, d)) - 3.0 * np.sign(target.mean(0))
    return np.vstack([near, far]), target
