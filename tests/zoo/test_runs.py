"""One pre-training run of the paper-regime zoo, member by member: a member's rows are kept as it
finishes and read back after an interruption, and never when what they depend on changed."""

import pandas as pd
import pytest

from reprise.zoo.members import ZooMember
from reprise.zoo.runs import member_by_member


@pytest.fixture
def fake_work(tmp_path, monkeypatch):
    """Two members' checkpoints, one target, and work that records its calls (``interrupt``: the
    members whose work is cut off)."""
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / "run" / "models" / name).mkdir(parents=True)
        (tmp_path / "run" / "models" / name / "epoch_001.pt").write_bytes(name.encode())
    (tmp_path / "targets" / "t").mkdir(parents=True)
    (tmp_path / "targets" / "t" / "meta.json").write_text("{}")
    work = {"calls": [], "interrupt": set()}

    def compute(member, checkpoint):
        work["calls"].append((member.name, checkpoint.name))
        if member.name in work["interrupt"]:
            raise KeyboardInterrupt
        return pd.DataFrame([{"member": member.name, "target": "t", "regime": "full", "top1": 50.0}])

    return tmp_path, work, compute


def _run(compute, epochs=30):
    return member_by_member([ZooMember(m, "glyph_resnet") for m in ("a", "b")], "run", "targets", {"epochs": epochs}, "keep", compute)


def test_an_interrupted_run_keeps_the_finished_members_rows(fake_work):
    root, work, compute = fake_work
    work["interrupt"] = {"b"}
    with pytest.raises(KeyboardInterrupt):
        _run(compute)
    work["calls"].clear()
    work["interrupt"] = set()
    rows = _run(compute)
    assert work["calls"] == [("b", "epoch_001.pt")]  # a's rows were kept
    assert rows["member"].tolist() == ["a", "b"]


def test_kept_rows_are_not_read_when_the_settings_the_targets_or_the_checkpoint_changed(fake_work):
    root, work, compute = fake_work
    _run(compute)
    work["calls"].clear()
    _run(compute, epochs=10)
    assert [m for m, _ in work["calls"]] == ["a", "b"]
    work["calls"].clear()
    (root / "run" / "models" / "b" / "epoch_001.pt").write_bytes(b"retrained")
    _run(compute, epochs=10)
    assert [m for m, _ in work["calls"]] == ["b"]
    work["calls"].clear()
    (root / "targets" / "t" / "meta.json").write_text('{"changed": 1}')
    _run(compute, epochs=10)
    assert [m for m, _ in work["calls"]] == ["a", "b"]
