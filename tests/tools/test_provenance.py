"""What each committed result was computed with (tools/provenance.py, results/provenance.csv)."""

from __future__ import annotations

import csv

import yaml

from tools import provenance


def _lock(root, stages: dict) -> None:
    entries = {name: {"cmd": "x", "outs": [{"path": f"data/{name}", "md5": md5, "size": 1}] if md5 else []} for name, md5 in stages.items()}
    (root / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": entries}))


def _rows(root) -> list[dict]:
    with open(root / provenance.PROVENANCE, newline="") as f:
        return list(csv.DictReader(f))


def test_every_stage_of_both_committed_pipelines_has_the_row_of_its_outputs():
    assert provenance.stale(provenance.ROOT) == []


def test_a_stage_whose_outputs_changed_gets_a_new_row_and_the_others_keep_theirs(tmp_path, monkeypatch):
    _lock(tmp_path, {"pretrain": "a1", "score": "b1", "params": None})
    assert provenance.stale(tmp_path) == ["dvc.lock:pretrain", "dvc.lock:score"]  # a stage without outputs has no row
    assert provenance.record(tmp_path, "backfilled") == ["dvc.lock:pretrain", "dvc.lock:score"]
    assert provenance.stale(tmp_path) == []
    first = {row["stage"]: row for row in _rows(tmp_path)}
    assert set(first) == {"pretrain", "score"} and {row["recorded"] for row in first.values()} == {"backfilled"}
    assert first["score"]["torch"] not in ("", "absent") and first["score"]["cpu"]

    monkeypatch.setattr(provenance, "environment", lambda root: {"python": "3.x", "torch": "9.9", "gpu": "1 x Some GPU"})
    _lock(tmp_path, {"pretrain": "a1", "score": "b2"})
    assert provenance.stale(tmp_path) == ["dvc.lock:score"]
    assert provenance.record(tmp_path) == ["dvc.lock:score"]
    after = {row["stage"]: row for row in _rows(tmp_path)}
    assert after["pretrain"] == first["pretrain"]
    assert (after["score"]["recorded"], after["score"]["torch"], after["score"]["gpu"]) == ("at run", "9.9", "1 x Some GPU")


def test_a_version_other_than_the_pinned_one_is_named(tmp_path):
    (tmp_path / "constraints.txt").write_text("# pins\nnumpy==0.0.1\nnot-installed-anywhere==1.0\n")
    answer = provenance.environment(tmp_path)["matches_constraints"]
    assert answer.startswith("no (1 differ, e.g. numpy ")
    (tmp_path / "constraints.txt").write_text(f"numpy=={provenance._version('numpy')}\n")
    assert provenance.environment(tmp_path)["matches_constraints"] == "yes"


def test_check_names_every_stale_stage_and_writes_nothing(tmp_path, monkeypatch, capsys):
    _lock(tmp_path, {"pretrain": "a1"})
    monkeypatch.setattr(provenance, "ROOT", tmp_path)
    assert provenance.main(["--check"]) == 1
    assert "dvc.lock:pretrain" in capsys.readouterr().out
    assert not (tmp_path / provenance.PROVENANCE).exists()
