"""The testbed suite's resumable runner (reprise.reuse.suite.execution), without fine-tuning."""

import pandas as pd
import pytest

from reprise.reuse.suite import execution
from reprise.reuse.suite.execution import run_experiment
from reprise.reuse.suite.plan import COLUMNS, RUN_KEY, plan, run_key
from suite_cases import CFG, POOL, TUNED


def test_an_interrupted_experiment_resumes_where_it_stopped_and_only_under_the_same_fingerprint(tmp_path, monkeypatch):
    runs = [r for r in plan("table1", CFG, POOL, TUNED) if r.seed < 3]
    calls = []

    def fake(run, context):
        calls.append(run)
        if context == "crash" and len(calls) == 5:
            raise KeyboardInterrupt
        return {**dict(zip(RUN_KEY, run_key(vars(run)))), "top1": float(hash((run.method, run.seed)) % 100)}

    monkeypatch.setattr(execution, "execute", fake)
    partial = tmp_path / "partial.csv"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(runs, "crash", partial, "key", workers=1, progress=False)
    assert len(pd.read_csv(partial)) == 4
    calls.clear()
    resumed = run_experiment(runs, None, partial, "key", workers=1, progress=False)
    assert len(calls) == len(runs) - 4 and calls[0] == runs[4]
    calls.clear()
    fresh = run_experiment(runs, None, tmp_path / "other.csv", "key", workers=1, progress=False)
    assert resumed.equals(fresh) and list(resumed.columns[:len(COLUMNS)]) == list(COLUMNS)
    calls.clear()
    run_experiment(runs, None, partial, "changed code", workers=1, progress=False)
    assert len(calls) == len(runs)  # rows of another fingerprint are never reused
