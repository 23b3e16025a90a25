"""One pre-training run of the paper-regime zoo, member by member: a member's rows are kept as it
finishes and read back after an interruption, and never when what they depend on changed."""

import pandas as pd
import pytest

from reprise.zoo import runs as zoo_runs
from reprise.zoo.members import ZooMember


@pytest.fixture
def fake_work(tmp_path, monkeypatch):
    """Two members' checkpoints, one target, and scoring and fine-tuning that record their calls
    (``interrupt``: the members whose fine-tuning is cut off)."""
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / "run" / "models" / name).mkdir(parents=True)
        (tmp_path / "run" / "models" / name / "epoch_001.pt").write_bytes(name.encode())
    (tmp_path / "targets" / "t").mkdir(parents=True)
    (tmp_path / "targets" / "t" / "meta.json").write_text("{}")
    work = {"calls": [], "interrupt": set()}

    def score(member, checkpoint, pool, targets, **kwargs):
        work["calls"].append(("score", member.name))
        return pd.DataFrame([{"member": member.name, "target": "t", "regime": "full", "score": "lfc", "value": 1.0, "seconds": 0.1}])

    def finetune(name, checkpoint, targets, seeds, **kwargs):
        work["calls"].append(("finetune", name))
        if name in work["interrupt"]:
            raise KeyboardInterrupt
        return pd.DataFrame([{"member": name, "target": "t", "regime": "full", "seed": seeds[0], "top1": 50.0, "chosen": True}])

    monkeypatch.setattr(zoo_runs, "score_zoo_member", score)
    monkeypatch.setattr(zoo_runs, "finetune_member", finetune)
    return tmp_path, work


def _run(epochs=30):
    return zoo_runs.score_and_finetune([ZooMember(m, "glyph_resnet") for m in ("a", "b")], "run", ["t"], "targets", pool=None, seed=0,
                                       scoring={}, ground_truth={"epochs": epochs}, device="cpu", jobs=1, keep_dir="keep")


def test_an_interrupted_run_keeps_the_finished_members_rows(fake_work):
    root, work = fake_work
    work["interrupt"] = {"b"}
    with pytest.raises(KeyboardInterrupt):
        _run()
    work["calls"].clear()
    work["interrupt"] = set()
    scores, accuracy = _run()
    assert work["calls"] == [("score", "b"), ("finetune", "b")]  # a's rows were kept
    assert accuracy["member"].tolist() == ["a", "b"] and scores["member"].tolist() == ["a", "b"]


def test_kept_rows_are_not_read_when_the_settings_or_the_checkpoint_changed(fake_work):
    root, work = fake_work
    _run()
    work["calls"].clear()
    _run(epochs=10)
    assert ("finetune", "a") in work["calls"] and ("finetune", "b") in work["calls"]
    work["calls"].clear()
    (root / "run" / "models" / "b" / "epoch_001.pt").write_bytes(b"retrained")
    _run(epochs=10)
    assert work["calls"] == [("score", "b"), ("finetune", "b")]
