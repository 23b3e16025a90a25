"""Real mode's quick start on a generated ImageFolder tree, as a new user runs it: a copy of the
repository's tracked files, `params.real.yaml` as `params.yaml` with the paths set (and a few
epochs, for speed), a torchvision ResNet-18 saved as a state dict, then `dvc repro`. Checks that
every stage ran and that the fine-tuned model's export reloads into plain torchvision with the
same predictions.

    python benchmarks/real_mode_quickstart.py [--classes 20] [--per-class 30] [--side 64] [--workdir DIR]

Run it with the interpreter of the environment to test (e.g. a fresh `pip install .`); prints one
JSON object and writes it to benchmarks/results/real_mode_quickstart.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torchvision
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "real_mode_quickstart.json"


def image_folder(root: Path, classes: int, per_class: int, side: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for c in range(classes):
        (root / f"class_{c:02d}").mkdir(parents=True)
        colour = rng.integers(0, 255, 3)
        for i in range(per_class):
            pixels = np.clip(colour + rng.normal(0, 40, (side, side, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / f"class_{c:02d}" / f"{i}.{'png' if i % 2 else 'jpg'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--side", type=int, default=64)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reprise-quickstart-"))
    inputs, repo = work / "inputs", work / "repo"
    image_folder(inputs / "source", args.classes, args.per_class, args.side, 0)
    image_folder(inputs / "train", 5, 12, args.side, 1)
    image_folder(inputs / "test", 5, 8, args.side, 2)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), inputs / "resnet18.pth")

    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes((REPO / name).read_bytes())
    params = yaml.safe_load((repo / "params.real.yaml").read_text())
    params["real"].update(source_dir=str(inputs / "source"), target_train_dir=str(inputs / "train"), target_test_dir=str(inputs / "test"),
                          target_concept="class_01", weights=str(inputs / "resnet18.pth"), arch="resnet18", image_size=args.side)
    params["cluster"]["k"], params["select"]["k"] = 10, 4
    params["finetune"].update(epochs=2, eval_every=1)
    params["zoo"]["members"] = {"main": {"weights": str(inputs / "resnet18.pth"), "arch": "resnet18"}}
    params["zoo"]["seeds"], params["zoo"]["finetune"]["lrs"] = [0], [0.01]
    params["zoo"]["finetune"]["epochs"]["real"] = params["zoo"]["probe"]["epochs"]["real"] = 2
    params["checkpoints"]["seeds"] = [0]
    params["checkpoints"]["finetune"]["epochs"]["real"] = 2
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "-c", "user.name=q", "-c", "user.email=q@q", "commit", "-qm", "quick start"]):
        subprocess.run(command, cwd=repo, check=True)

    dvc = str(Path(sys.executable).parent / "dvc")
    start = time.perf_counter()
    run = subprocess.run([dvc, "repro"], cwd=repo, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"dvc repro failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    stages = re.findall(r"Running stage '([^']+)'", run.stdout)
    status = subprocess.run([dvc, "status", "dvc.yaml"], cwd=repo, capture_output=True, text=True).stdout.strip()  # the pipeline; suite/dvc.yaml is the embedded testbed

    from reprise.core.checkpoints import linear_head, load_backbone
    from reprise.core.images import ImageTable

    backbone, spec, tuned = load_backbone(repo / "data/finetune/reuse/model.pt")
    test = ImageTable.read(repo / "data/target/test")
    x = torch.cat([batch for batch, _, _ in test.batches(spec, 64)])
    plain = torchvision.models.resnet18(num_classes=5)
    from safetensors.torch import load_file

    plain.load_state_dict(load_file(repo / "data/finetune/reuse/torchvision.safetensors"))
    with torch.no_grad():
        reprise_logits = linear_head(tuned["target_head"])(backbone(x))
        plain_logits = plain.eval()(x)
    result = {
        "machine": f"{platform.machine()}, python {platform.python_version()}, torch {torch.__version__}, {sys.prefix}",
        "tree": f"{args.classes} classes x {args.per_class} images at {args.side} px (+ a 5-class target, 60 train and 40 test images)",
        "dvc_repro_s": round(seconds, 1), "stages_run": len(stages), "stages": stages, "dvc_status": status,
        "export_same_predictions": bool(torch.equal(reprise_logits.argmax(1), plain_logits.argmax(1))),
        "export_max_logit_difference": float((reprise_logits - plain_logits).abs().max()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
