"""make exps (tools/exps.py): the experiments in 120 columns."""

from __future__ import annotations

from tools import exps


def _rev(rev: str, name: str | None, tau1: float, k: int, reuse: float, seconds: str = "2026-01-01T10:15:00") -> dict:
    params = {"uot": {"tau1": tau1, "eps_c": 0.01}, "select": {"k": k, "method": "uot"}, "world": {"seed": 0}}
    metrics = {"results/metrics.json": {"data": {"top1": {"baseline": 95.0, "reuse": reuse}, "gain": round(reuse - 95.0, 2)}},
               "results/zoo/headline.json": {"data": {"full": {"lfc_spearman": 0.7, "lgc_spearman": 0.6}}}}
    return {"rev": rev, "name": name, "data": {"timestamp": seconds, "params": {"params.yaml": {"data": params}}, "metrics": metrics}}


SHOWN = [
    {**_rev("workspace", None, 1.0, 20, 95.5), "error": None, "experiments": None},
    {**_rev("a" * 40, "main", 1.0, 20, 95.5), "error": None, "experiments": [
        {"name": "tau1-0.5", "executor": {"state": "success"}, "revs": [_rev("b" * 40, "tau1-0.5", 0.5, 20, 95.25)]},
        {"name": "k-10", "executor": {"state": "queued"}, "revs": [_rev("c" * 40, "k-10", 1.0, 10, 95.7)]},
    ]},
]


def test_one_row_a_revision_with_the_varied_params_then_the_headline_metrics():
    lines, dropped = exps.table(exps.rows(SHOWN), 120)
    assert lines[0] == ["Experiment", "created", "state", "tau1", "k", "base", "reuse", "gain", "LFC rho", "LGC rho"]  # eps_c, method: same everywhere
    assert [line[0] for line in lines[1:]] == ["workspace", "main", "  tau1-0.5", "  k-10"]
    assert lines[3][1:8] == ["10:15", "success", "0.5", "20", "95", "95.25", "0.25"]
    assert lines[4][2] == "queued" and dropped == []


def test_columns_that_do_not_fit_are_left_out_the_last_first_and_named():
    lines, dropped = exps.table(exps.rows(SHOWN), 60)
    text = exps.render(lines)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert dropped[-1] == "LGC rho" and "tau1" in lines[0]
