"""Shared test fixtures: where the paper's class means live (``../shared`` beside the repo)."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

if "PYTEST_XDIST_WORKER" in os.environ:
    # `make test` runs two pytest processes on two cores: each, and every stage it starts, keeps to
    # one thread, as two threads a process oversubscribe the cores and slow the tiny runs down.
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


FIRST_GROUPS = ("tiny_repo", "suite")  # the two longest xdist groups: the default pipeline's tests and the suite's


def pytest_collection_modifyitems(items) -> None:
    """The two longest groups first, one after the other: pytest-xdist's ``loadgroup`` hands the
    first work units out one a worker, so each worker starts on one of them and the rest is
    shared out as they finish (collected in file order, the two could land on one worker)."""
    def rank(item) -> int:
        marker = item.get_closest_marker("xdist_group")
        group = (marker.args[0] if marker.args else marker.kwargs.get("name")) if marker else None
        return FIRST_GROUPS.index(group) if group in FIRST_GROUPS else len(FIRST_GROUPS)

    items.sort(key=rank)


def shared_dir() -> Path | None:
    candidates = [os.environ.get("REPRISE_SHARED"), REPO.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "paper-class-means").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def paper_means() -> Path:
    """The folder of the paper's class means; the test is skipped where it is absent."""
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/paper-class-means not found (set REPRISE_SHARED)")
    return shared / "paper-class-means"


@pytest.fixture(scope="session")
def tiny_repo(tmp_path_factory) -> Path:
    """A repository copy where ``dvc repro`` has run on the tiny world, committed."""
    from pipeline_utils import CHECKPOINT_STAGES, CORE_STAGES, TINY, ZOO_STAGES, dvc, git, make_repo, stages_run

    root = make_repo(tmp_path_factory.mktemp("pipeline") / "repo", TINY)
    first = dvc(root, "repro")
    assert CORE_STAGES | ZOO_STAGES | CHECKPOINT_STAGES <= set(stages_run(first.stdout))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "default run")
    return root


@pytest.fixture
def tiny_copy(tiny_repo, tmp_path) -> Path:
    """A copy of the tiny repository that one test may change."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(tiny_repo, root, symlinks=True)
    return root
