"""A stage rerun on the same inputs and params writes the same bytes, so DVC sees nothing new."""

import hashlib
import shutil

import pytest

from pipeline_utils import dvc, run_module

# `make test` runs tests in two processes; those of one group share one, so the repository
# fixture they read is built once.
pytestmark = pytest.mark.xdist_group("tiny_repo")

RERUN = {
    "stages.pretrain": ["data/pretrain"],  # checkpoints and log.csv
    "stages.score": ["data/selection/scores.parquet", "data/selection/solver.json"],
    "stages.evaluate": ["results/metrics.json", "results/curves.csv", "results/p1_rank.csv", "results/curves.png", "results/p1_rank.png"],
}


def digests(root, paths) -> dict:
    files = [f for p in paths for f in ([root / p] if (root / p).is_file() else sorted((root / p).rglob("*")))]
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.mark.parametrize("stage", sorted(RERUN))
def test_a_rerun_writes_byte_identical_artifacts(tiny_repo, tmp_path, stage):
    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    before = digests(root, RERUN[stage])
    done = run_module(root, stage)
    assert done.returncode == 0, done.stderr[-2000:]
    assert digests(root, RERUN[stage]) == before
    assert "changed outs" not in dvc(root, "status").stdout


def test_a_killed_pretraining_resumes_under_dvc_repro_to_the_same_weights(tiny_repo, tmp_path):
    """SIGKILL mid-run, then `dvc repro`: the stage continues after the last finished epoch and
    writes the checkpoints an uninterrupted run writes, bit for bit."""
    import signal
    import subprocess
    import sys
    import time

    import torch
    import yaml

    from pipeline_utils import env

    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["pretrain"].update(epochs=12, keep_epochs=[4, 12])
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert run_module(root, "stages.pretrain").returncode == 0
    reference = {epoch: torch.load(root / f"data/pretrain/epoch_{epoch:03d}.pt", weights_only=True)["backbone"] for epoch in (4, 12)}
    shutil.rmtree(root / "data/pretrain")

    state = root / "data/resume/pretrain/state.pt"
    run = subprocess.Popen([sys.executable, "-m", "stages.pretrain"], cwd=root, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not state.exists() and run.poll() is None:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    saved = torch.load(state, weights_only=True)["epoch"]
    assert 1 <= saved < 12 and not (root / "data/pretrain/log.csv").exists()

    done = dvc(root, "repro", "pretrain")
    assert "resuming after epoch" in done.stdout + done.stderr
    for epoch, weights in reference.items():
        again = torch.load(root / f"data/pretrain/epoch_{epoch:03d}.pt", weights_only=True)["backbone"]
        assert all(torch.equal(weights[k], again[k]) for k in weights)
    assert not (root / "data/resume/pretrain").exists()
