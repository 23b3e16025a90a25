"""make suite's driver (tools/suite.py): its progress line and the timings it keeps."""

from __future__ import annotations

import pandas as pd
import pytest

from tools import suite


def _timings(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"stage": s, "rows": r, "seconds": t, "machine": "x86_64, 2 cores"} for s, r, t in rows], columns=list(suite.COLUMNS))


def test_the_progress_line_counts_rows_and_sums_the_recorded_seconds_of_the_stages_left():
    timings = _timings(("testbed@k", 60, 600.0), ("testbed@deciles", 66, 1200.0), ("findings", 150, 2.0))
    assert suite.progress_line(["testbed@k", "testbed@deciles"], 10, timings) == "suite: 10 of 136 rows done, 2 stages to run, about 30 min left"
    line = suite.progress_line(["testbed@k", "far_source@200"], 0, timings)
    assert line == "suite: 0 of 60+ rows done, 2 stages to run, about 10 min left plus 1 stage never timed"  # a lower bound, said
    assert suite.progress_line([], 126, timings) == "suite: 126 of 126 rows done, 0 stages to run, about 0 min left"
    assert suite.progress_line(["far_source@200"], 5, timings) == "suite: 5 rows done, 1 stage to run, none timed yet (no estimate)"
    assert suite.duration(3 * 3600 + 61) == "3 h 01 min"


def test_a_stage_run_again_replaces_its_timing_and_the_file_is_written_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(suite, "TIMINGS", tmp_path / "timings.csv")
    timings = suite.record(suite.read_timings(), "testbed@k", 60, 612.34)
    timings = suite.record(timings, "findings", 150, 1.0)
    timings = suite.record(timings, "testbed@k", 30, 300.0)
    written = pd.read_csv(tmp_path / "timings.csv")
    assert written[["stage", "rows", "seconds"]].values.tolist() == [["findings", 150, 1.0], ["testbed@k", 30, 300.0]]
    assert list(tmp_path.iterdir()) == [tmp_path / "timings.csv"]


def test_a_stages_rows_are_the_data_rows_of_its_csv_outputs():
    assert suite.stage_outputs("testbed@k") == [suite.ROOT / "results/testbed/k.csv"]
    assert suite.stage_outputs("far_source@13") == [suite.ROOT / "data/far_source/study/epoch_13.csv"]
    assert suite.rows_of("testbed_backbone@0") == 1  # a folder: one row


def test_rerun_runs_the_named_stages_forced_before_the_stale_ones(monkeypatch, tmp_path):
    monkeypatch.setattr(suite, "TIMINGS", tmp_path / "timings.csv")
    calls = []
    monkeypatch.setattr(suite.subprocess, "run", lambda args, cwd: calls.append(args[2:]) or suite.subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(suite, "pending", lambda: ["findings"])
    monkeypatch.setattr(suite, "up_to_date", lambda stage: False)
    monkeypatch.setattr(suite.sys, "argv", ["suite.py", "--rerun", "testbed_backbone@0"])
    suite.main()
    assert calls == [["--force", "--single-item", "suite/dvc.yaml:testbed_backbone@0"], ["--single-item", "suite/dvc.yaml:findings"]]
    assert set(pd.read_csv(tmp_path / "timings.csv")["stage"]) == {"testbed_backbone@0", "findings"}
    monkeypatch.setattr(suite.sys, "argv", ["suite.py", "--rerun", "no_such_stage"])
    with pytest.raises(SystemExit, match="no_such_stage not a stage of suite/dvc.yaml"):
        suite.main()


def test_a_stage_up_to_date_when_its_turn_comes_is_skipped_and_keeps_its_timing(monkeypatch, tmp_path):
    monkeypatch.setattr(suite, "TIMINGS", tmp_path / "timings.csv")
    _timings(("testbed@k", 60, 600.0)).to_csv(tmp_path / "timings.csv", index=False)
    calls = []
    monkeypatch.setattr(suite.subprocess, "run", lambda args, cwd: calls.append(args[2:]) or suite.subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(suite, "pending", lambda: ["testbed@k", "findings"])
    monkeypatch.setattr(suite, "up_to_date", lambda stage: stage == "testbed@k")
    monkeypatch.setattr(suite.sys, "argv", ["suite.py"])
    suite.main()
    assert calls == [["--single-item", "suite/dvc.yaml:findings"]]
    assert pd.read_csv(tmp_path / "timings.csv").set_index("stage").loc["testbed@k", "seconds"] == 600.0
