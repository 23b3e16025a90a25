"""What every stage shares: a one-line error on a line of its own, exit code 2."""

import shutil
from pathlib import Path

import pytest

from reprise.core.errors import InputError
from reprise.core.messages import warn
from reprise.core.progress import progress_bar
from reprise.core.stage import run_stage

REPO_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


def test_an_error_while_a_bar_is_drawn_starts_its_own_line(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO_PARAMS, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)

    def main(params):
        bar = progress_bar(10, "train", "step")
        bar.update(3)
        raise InputError("data/x.npy is corrupt; rerun the stage that writes it")

    with pytest.raises(SystemExit) as stopped:
        run_stage(main, ())
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.endswith("\nerror: data/x.npy is corrupt; rerun the stage that writes it\n"), repr(err)
    assert err.count("error: ") == 1


def test_a_warning_while_a_bar_is_drawn_clears_the_bar_first(capsys):
    bar = progress_bar(10, "train", "step")
    warn("the solver stopped at max_iter")
    bar.close()
    err = capsys.readouterr().err
    assert "warning: the solver stopped at max_iter\n" in err
    assert "]warning" not in err, repr(err)  # not appended to the bar's text


def test_a_stage_reports_its_start_up_and_its_work_to_the_clock_file(tmp_path, monkeypatch):
    """benchmarks/repro_profile.py splits each stage's time with these lines."""
    import json
    import time

    from reprise.core.stage import CLOCK_ENV

    shutil.copy(REPO_PARAMS, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CLOCK_ENV, str(tmp_path / "clock.jsonl"))
    monkeypatch.setenv("REPRISE_CORES_DIR", str(tmp_path / "cores"))
    monkeypatch.setattr("sys.argv", ["stage", "reuse"])
    run_stage(lambda params: time.sleep(0.2), {"reuse": ()})
    line = json.loads((tmp_path / "clock.jsonl").read_text())
    assert line["argument"] == "reuse" and line["work_seconds"] >= 0.2 and line["startup_seconds"] > 0
