"""Run the DVC pipeline in a throw-away copy of the repository, on a tiny world set by params."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
COPIED = ["dvc.yaml", "params.yaml", "stages", "reprise", "real", ".dvc/config", ".dvc/plots", ".dvcignore", ".gitignore"]

TINY = {
    "world": {"concepts": ["digit", "latin_upper", "greek_lower"], "images_per_class": 6, "val_per_class": 2},
    "target": {"labels_per_class": 5, "test_per_class": 10},
    "pretrain": {"epochs": 2, "keep_epochs": [1, 2], "batch_size": 64},
    "cluster": {"k": 6, "iterations": 5},
    "select": {"k": 5},
    "finetune": {"epochs": 2, "eval_every": 1, "batch_size": 16},
    "zoo": {
        "members": {
            "digits_latin": {"concepts": ["digit", "latin_upper"], "arch": "glyph_resnet"},
            "greek": {"concepts": ["greek_lower"], "arch": "glyph_resnet"},
            "all_vgg": {"concepts": "all", "arch": "glyph_vgg"},
            "mbn_greek": {"multidomain": "greek"},
        },
        "multidomain": {"domains": {"digits_latin": ["digit", "latin_upper"], "greek": ["greek_lower"]}, "epochs": 1},
        "default": "digits_latin",
        "images_per_class": 6,
        "pretrain_epochs": 1,
        "targets": ["digits", "greek_lower"],
        "full_per_class": 6,
        "few_per_class": 2,
        "test_per_class": 4,
        "score_per_class": 4,
        "finetune": {"lrs": [0.01, 0.001], "epochs": 1, "milestones": []},
        "probe": {"epochs": 1},
        "lgc_projection_dim": 500,
        "ds_min_count": 2,  # the tiny few-shot regime has 2 images a class (the paper's threshold: 5)
    },
    "checkpoints": {
        "epochs": [1, 2],
        "labels_per_class": 5,
        "test_per_class": 10,
        "seeds": [0],
        "classifier": {"fe_epochs": 5, "spectral_epochs": 3, "batch_size": 16},
        "finetune": {"epochs": 1, "batch_size": 16},
        "embedding_points": 30,
        "tsne_perplexity": 5,
        "lgc_projection_dim": 64,
    },
}
REPLACED = {"members", "domains"}  # override dicts under these keys replace the default dict whole

# The stages that `dvc repro` runs on TINY, per study.
CORE_STAGES = {"world", "target", "pretrain", "extract", "cluster", "means", "score", "select", "finetune_baseline", "finetune_reuse", "evaluate"}
CHECKPOINT_STAGES = {"checkpoint@1", "checkpoint@2", "checkpoint_report"}
ZOO_STAGES = {f"{stage}@{member}" for stage in ("zoo_pretrain", "zoo_scores", "zoo_finetune") for member in ("digits_latin", "greek", "all_vgg", "mbn_greek")} | {
    "zoo_multidomain", "zoo_targets", "zoo_report"}  # override dicts under these keys replace the default dict whole


def merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        nested = isinstance(value, dict) and key not in REPLACED
        out[key] = merged(base.get(key, {}), value) if nested else value
    return out


def make_repo(root: Path, overrides: dict, base: str = "params.yaml") -> Path:
    """A git + DVC repository at ``root`` holding the pipeline with ``overrides`` applied to the
    repository's ``base`` params file (``params.real.yaml``: real mode's)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src, dst = REPO / name, root / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    params = yaml.safe_load((REPO / base).read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(merged(params, overrides), sort_keys=False))
    (root / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pipeline")
    return root


def env() -> dict:
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    e["GIT_AUTHOR_NAME"] = e["GIT_COMMITTER_NAME"] = "test"
    e["GIT_AUTHOR_EMAIL"] = e["GIT_COMMITTER_EMAIL"] = "test@example.com"
    e["DVC_NO_ANALYTICS"] = "1"
    return e


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env=env(), check=True, capture_output=True, text=True).stdout


def dvc(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "dvc"
    done = subprocess.run([str(exe), *args], cwd=root, env=env(), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def stages_run(output: str) -> list[str]:
    """Names of the stages that DVC ran, in order, from its output."""
    return re.findall(r"Running stage '([^']+)'", output)


def real_params(world: Path) -> dict:
    """TINY in real mode, on the ImageFolder trees ``world/{source,train,test}`` and the weights
    file ``world/resnet18.pth``."""
    return merged(
        TINY,
        {
            "mode": "real",
            "real": {
                "source_dir": str(world / "source"),
                "target_train_dir": str(world / "train"),
                "target_test_dir": str(world / "test"),
                "target_concept": "class_1",
                "weights": str(world / "resnet18.pth"),
                "arch": "resnet18",
                "image_size": 64,
            },
            "cluster": {"k": 3},
            "select": {"k": 2},
            "finetune": {"epochs": 1, "batch_size": 4},
        },
    )


def run_module(root: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m <args>`` in the repository copy (a stage script, e.g. ``stages.score``)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=root, env=env(), capture_output=True, text=True)


def assert_one_line_error(done, *fragments) -> None:
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in errors[0]
