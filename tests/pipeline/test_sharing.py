"""Results shared through a DVC remote instead of recomputed, and experiments queued side by side."""

import json
import subprocess
import sys
import time

import pytest

from pipeline_utils import REPO, dvc, env, git, stages_run

pytestmark = pytest.mark.xdist_group("tiny_repo")


@pytest.fixture
def repo(tiny_copy):
    return tiny_copy


def test_the_default_remote_is_a_folder_of_the_user():
    config = (REPO / ".dvc/config").read_text()
    assert "remote = shared" in config and "url = ~/.cache/reprise/dvc-remote" in config


def test_a_clone_pulls_what_was_pushed_and_is_up_to_date_without_recomputing(repo, tmp_path):
    remote = tmp_path / "remote"
    dvc(repo, "remote", "add", "--local", "-f", "team", str(remote))
    pushed = dvc(repo, "push", "-r", "team")
    assert "pushed" in pushed.stdout + pushed.stderr
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    assert not (clone / "data").exists()
    dvc(clone, "remote", "add", "--local", "-f", "team", str(remote))
    dvc(clone, "pull", "-r", "team")
    assert "Data and pipelines are up to date" in dvc(clone, "status").stdout
    again = dvc(clone, "repro")
    assert stages_run(again.stdout) == []
    assert (clone / "data/pretrain/epoch_002.pt").read_bytes() == (repo / "data/pretrain/epoch_002.pt").read_bytes()


def test_two_queued_experiments_run_side_by_side_and_show_in_make_exps(repo):
    for k in (3, 4):
        dvc(repo, "exp", "run", "--queue", "-S", f"select.k={k}", "--name", f"k{k}")
    dvc(repo, "queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while True:
        status = dvc(repo, "queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        assert time.monotonic() < deadline, status
        time.sleep(2)
    assert status.count("Success") == 2, status
    for k in (3, 4):
        log = dvc(repo, "queue", "logs", f"k{k}").stdout
        assert {"select", "finetune_reuse", "evaluate"} <= set(stages_run(log)) and "pretrain" not in stages_run(log), log[-2000:]
    shown = json.loads(dvc(repo, "exp", "show", "--json").stdout)
    runs = {e["name"]: e["revs"][0]["data"] for row in shown for e in row.get("experiments") or []}
    assert {name: data["params"]["params.yaml"]["data"]["select"]["k"] for name, data in runs.items()} == {"k3": 3, "k4": 4}
    assert all(data["metrics"]["results/metrics.json"]["data"]["selection"]["units_selected"] == k for k, data in zip((3, 4), (runs["k3"], runs["k4"])))
    table = subprocess.run([sys.executable, str(REPO / "tools/exps.py"), "--width", "120"], cwd=repo, env=env(), capture_output=True, text=True, check=True).stdout
    lines = table.splitlines()
    assert max(map(len, lines)) <= 120 and lines[0].split()[:4] == ["Experiment", "created", "state", "k"]
    assert any(line.split()[0] == "k3" for line in lines) and any(line.split()[0] == "k4" for line in lines)
