from pathlib import Path

import pandas as pd
import pytest

from reprise.core.findings import COLUMNS, verdict
from reprise.zoo.findings import zoo_findings

REPO = Path(__file__).resolve().parents[2]
PAIRS = [(run, target) for run in (0, 1) for target in ("mnist", "arrow")]


def _per_target(values: dict[str, dict[str, list[float]]], regime: str = "5-shot", runs: bool = True) -> pd.DataFrame:
    """One row per score, pre-training run and target (one fine-tuning seed a run); ``values``:
    metric → score → values over :data:`PAIRS`."""
    metrics = list(values)
    scores = values[metrics[0]]
    rows = []
    for score in scores:
        for i, (run, target) in enumerate(PAIRS):
            row = {"score": score, "target": target, "regime": regime, "seed": run, **{m: values[m][score][i] for m in metrics}}
            rows.append({"pretrain_seed": run, **row} if runs else row)
    return pd.DataFrame(rows)


def _metrics(rho: dict[str, list[float]], trials=None, gain=None, cost=None) -> dict:
    flat = {s: [0.0] * 4 for s in rho}
    return {"spearman": rho, "trials_to_best": trials or flat, "top_gain": gain or flat, "relative_cost": cost or flat}


def test_lfc_faces_the_best_other_score_paired_over_pretraining_runs():
    rho = {"oracle": [1] * 4, "random": [0] * 4, "nce": [0.9, 0.8, 0.85, 0.95], "leep": [0.6, 0.55, 0.62, 0.58], "lfc": [0.3, 0.2, 0.25, 0.35]}
    found = zoo_findings(_per_target(_metrics(rho)))
    assert tuple(found.columns) == COLUMNS
    rank = found[found["claim"].str.contains("Fig. 6b")]
    assert rank[["comparison", "setting", "runs", "pretrain_runs"]].values.tolist() == [["LFC − NCE (Spearman ρ)", "5-shot", 4, 2]]
    assert rank["mean"].iloc[0] == pytest.approx(-0.6) and rank["verdict"].iloc[0] == "below"
    assert rank["target"].iloc[0] == "arrow, mnist"


def test_fewer_trials_cheaper_scores_and_top3_gain_read_the_right_way_round():
    scores = ["lfc", "lgc", "leep", "rsa", "domain_similarity", "random"]
    rho = {s: [0.5, 0.4, 0.6, 0.5] for s in scores}
    trials = {**{s: [1, 1, 2, 1] for s in ("lfc", "lgc", "leep")}, **{s: [5, 6, 5, 7] for s in ("rsa", "domain_similarity", "random")}}
    cost = {**{s: [0.1, 0.2, 0.1, 0.2] for s in scores}, "lgc": [2.0, 2.5, 2.2, 2.4]}
    gain = {**{s: [0.0] * 4 for s in scores}, "lfc": [3.0, 4.0, 3.5, 4.5]}
    found = zoo_findings(_per_target(_metrics(rho, trials, gain, cost))).set_index("comparison")
    assert found.loc["random selection − LFC (trials)", "mean"] == pytest.approx(4.5)  # B − A: positive when A needs fewer
    assert (found.loc[found["claim"].str.contains("Fig. 6a"), "verdict"] == "beats").all()
    assert len(found[found["claim"].str.contains("Fig. 6a")]) == 9
    assert found.loc["one fine-tuning − LFC (cost, fine-tunings)", "mean"] == pytest.approx(0.85)
    assert found.loc["LGC − LFC (cost, fine-tunings)", "verdict"] == "beats"
    assert found.loc["LFC − random (top-3 gain, points)", "mean"] == pytest.approx(3.75)


def test_the_multidomain_claims_come_from_the_domain_rows():
    rho = {s: [0.5, 0.4, 0.6, 0.5] for s in ("lfc", "leep")}
    domains = pd.DataFrame([{"pretrain_seed": run, "score": score, "target": target, "regime": "full", "seed": run, "gain": value}
                            for score, values in {"lfc": [2, 3, 2, 3], "leep": [1, 1, 1, 1], "feature_metrics": [0, 0, 1, 0],
                                                  "random": [1, 1, 1, 1]}.items()
                            for (run, target), value in zip(PAIRS, values)])
    found = zoo_findings(_per_target(_metrics(rho)), domains).set_index("comparison")
    assert found.loc["LFC − random selection (gain, points)", "mean"] == pytest.approx(1.5)
    assert found.loc["LEEP − random selection (gain, points)", "mean"] == pytest.approx(0.0)
    assert zoo_findings(_per_target(_metrics(rho))).query("claim.str.contains('Fig. 5')").empty  # no domain rows: no such claims


def test_one_pair_gives_no_interval_and_so_no_finding():
    one = pd.DataFrame([{"score": s, "target": "mnist", "regime": "few", "seed": 0, "spearman": v, "trials_to_best": 1, "top_gain": 0.0,
                         "relative_cost": 0.1} for s, v in (("lfc", 0.5), ("nce", 0.7), ("random", 0.0))])
    assert zoo_findings(one).empty


@pytest.mark.parametrize("folder", ["results/zoo", "results/zoo_paper"])
def test_the_committed_zoo_reports_give_consistent_findings(folder):
    path = REPO / folder / "selection_per_target.csv"
    if not path.exists():
        pytest.skip(f"{folder} is not committed")
    per_target = pd.read_csv(path)
    found = zoo_findings(per_target, pd.read_csv(REPO / folder / "multidomain.csv"))
    assert tuple(found.columns) == COLUMNS
    assert (found["study"] == "zoo").all()
    runs = per_target["pretrain_seed"].nunique() if "pretrain_seed" in per_target else 1
    assert (found["pretrain_runs"] == (runs if runs > 1 else 1)).all()
    assert [verdict(lo, hi) for lo, hi in zip(found["lo"], found["hi"])] == found["verdict"].tolist()
    assert found["comparison"].str.contains("LFC").any()
    committed = pd.read_csv(REPO / folder / "findings.csv", keep_default_na=False)  # the report wrote what the code gives
    assert committed[["comparison", "setting", "verdict"]].values.tolist() == found[["comparison", "setting", "verdict"]].values.tolist()
    assert committed["mean"].tolist() == pytest.approx(found["mean"].tolist())
