"""Real mode's input costs on a generated ImageFolder tree: indexing (every file decoded once) in
one process and in all, DVC hashing the tree as a stage dependency (first time, then cached),
and decoding and feature extraction with DataLoader workers against the calling process alone.

    python benchmarks/real_mode_io.py [--files 100000] [--classes 100] [--side 32] [--extract 4000]

Prints one JSON object and writes it to benchmarks/results/real_mode_io.json. Timings in one run
are compared as ratios; the machine is named in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from reprise.core.backbones import torchvision_backbone
from reprise.core.features import extract_features
from reprise.core.image_folder import index_image_folder
from reprise.core.images import ImageTable, configure_loading, imagenet_spec
from reprise.core.sections import LoaderSettings

OUT = Path(__file__).parent / "results" / "real_mode_io.json"


def make_tree(root: Path, files: int, classes: int, side: int) -> None:
    rng = np.random.default_rng(0)
    for c in range(classes):
        folder = root / f"class_{c:04d}"
        folder.mkdir(parents=True)
        for i in range(files // classes):
            pixels = rng.integers(0, 255, (side, side, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i:05d}.{'png' if i % 2 else 'jpg'}")


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def dvc_hashing(tree: Path) -> dict:
    """`dvc status` on a stage that depends on the tree: the first call hashes every file, the
    second finds them in DVC's state (size and mtime)."""
    repo = Path(tempfile.mkdtemp(prefix="dvc-io-"))
    dvc = str(Path(sys.executable).parent / "dvc")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([dvc, "init", "-q"], cwd=repo, check=True)
    (repo / "dvc.yaml").write_text(f"stages:\n  index:\n    cmd: echo indexed > out.txt\n    deps: [{tree}]\n    outs: [out.txt]\n")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    run = lambda *args: subprocess.run([dvc, *args], cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    first, _ = timed(lambda: run("repro"))
    second, _ = timed(lambda: run("status"))
    (tree / "class_0000" / "00000.jpg").write_bytes((tree / "class_0001" / "00000.jpg").read_bytes())  # one image replaced
    changed, done = timed(lambda: run("status"))
    shutil.rmtree(repo)
    return {"repro_hashing_s": round(first, 2), "status_cached_s": round(second, 2), "status_after_one_change_s": round(changed, 2),
            "change_seen": "changed deps" in done.stdout.decode()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--side", type=int, default=32)
    parser.add_argument("--extract", type=int, default=4000, help="images decoded and extracted in the loader comparison")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    root = Path(tempfile.mkdtemp(prefix="reprise-tree-"))
    try:
        tree = root / "tree"
        made, _ = timed(lambda: make_tree(tree, args.files, args.classes, args.side))
        serial, index = timed(lambda: index_image_folder(tree, workers=1, progress=False))
        parallel, _ = timed(lambda: index_image_folder(tree, workers=args.workers, progress=False))
        result = {
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
            "files": len(index), "side_px": args.side, "generate_s": round(made, 1),
            "index_one_process_s": round(serial, 2), "index_one_process_files_per_s": round(len(index) / serial),
            f"index_{args.workers}_processes_s": round(parallel, 2), f"index_{args.workers}_processes_files_per_s": round(len(index) / parallel),
            "index_speedup": round(serial / parallel, 2),
        }
        table = ImageTable(index).subset(np.random.default_rng(0).permutation(len(index))[: args.extract])
        spec = imagenet_spec(64)
        backbone, _ = torchvision_backbone("resnet18")
        for workers in (0, args.workers):
            configure_loading(LoaderSettings.parse({"num_workers": workers, "prefetch_factor": 4}))
            fresh = ImageTable(table.index)
            decode, _ = timed(lambda: sum(len(x) for x, _, _ in fresh.batches(spec, 256)))
            extract, _ = timed(lambda: extract_features(backbone, spec, ImageTable(table.index), torch.device("cpu"), 256, progress=False))
            result[f"decode_{workers}_workers_img_per_s"] = round(len(table) / decode)
            result[f"extract_resnet18_64px_{workers}_workers_img_per_s"] = round(len(table) / extract)
        result["decode_speedup"] = round(result[f"decode_{args.workers}_workers_img_per_s"] / result["decode_0_workers_img_per_s"], 2)
        result["extract_speedup"] = round(result[f"extract_resnet18_64px_{args.workers}_workers_img_per_s"] / result["extract_resnet18_64px_0_workers_img_per_s"], 2)
        result["dvc"] = dvc_hashing(tree)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
