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
