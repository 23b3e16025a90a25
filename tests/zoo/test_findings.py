from pathlib import Path

import pandas as pd
import pytest

from reprise.core.findings import COLUMNS, verdict
from reprise.zoo.findings import zoo_findings

REPO = Path(__file__).resolve().parents[2]


def _per_target(rho: dict[str, list[float]], regime: str = "few") -> pd.DataFrame:
    """One row per score, target and seed; the values of ``rho`` run over (target, seed) pairs."""
    pairs = [(target, seed) for target in ("mnist", "arrow") for seed in (0, 1)]
    return pd.DataFrame([{"score": score, "target": target, "regime": regime, "seed": seed, "spearman": value}
                         for score, values in rho.items() for (target, seed), value in zip(pairs, values)])


def test_the_best_score_faces_the_runner_up_and_lfc_faces_the_best():
    table = _per_target({"oracle": [1, 1, 1, 1], "random": [0, 0, 0, 0], "nce": [0.9, 0.8, 0.85, 0.95],
                         "leep": [0.6, 0.55, 0.62, 0.58], "lfc": [0.3, 0.2, 0.25, 0.35]})
    found = zoo_findings(table)
    assert tuple(found.columns) == COLUMNS
    assert found[["claim", "comparison", "setting", "runs", "verdict"]].values.tolist() == [
        ["NCE ranks the zoo better than LEEP", "NCE − LEEP (Spearman ρ)", "few-shot", 4, "beats"],
        ["LFC ranks the zoo better than every other score", "LFC − NCE (Spearman ρ)", "few-shot", 4, "below"],
    ]
    assert found["mean"].tolist() == pytest.approx([0.2875, -0.6])
    assert found["target"].iloc[0] == "arrow, mnist"


def test_lfc_at_the_top_is_the_papers_claim_and_as_runner_up_is_faced_once():
    top = zoo_findings(_per_target({"lfc": [0.9, 0.8, 0.7, 0.95], "leep": [0.5, 0.85, 0.6, 0.7]}, regime="full"))
    assert top[["claim", "comparison", "setting", "verdict"]].values.tolist() == [
        ["LFC ranks the zoo better than every other score", "LFC − LEEP (Spearman ρ)", "full training sets", "within noise"]]
    runner_up = zoo_findings(_per_target({"lfc": [0.5, 0.85, 0.6, 0.7], "leep": [0.9, 0.8, 0.7, 0.95], "rsa": [0.1, 0.2, 0.1, 0.0]}))
    assert runner_up["comparison"].tolist() == ["LEEP − LFC (Spearman ρ)"]


def test_one_pair_gives_no_interval_and_so_no_finding():
    one = pd.DataFrame([{"score": s, "target": "mnist", "regime": "few", "seed": 0, "spearman": v} for s, v in (("lfc", 0.5), ("nce", 0.7))])
    assert zoo_findings(one).empty


@pytest.mark.parametrize("folder", ["results/zoo", "benchmarks/results/zoo_seeds"])
def test_the_committed_zoo_reports_give_consistent_findings(folder):
    path = REPO / folder / "selection_per_target.csv"
    if not path.exists():
        pytest.skip(f"{folder} is not committed")
    per_target = pd.read_csv(path)
    found = zoo_findings(per_target)
    assert tuple(found.columns) == COLUMNS
    assert set(found["setting"]) == {"few-shot", "full training sets"}
    assert (found["study"] == "zoo").all()
    assert (found["runs"] == per_target.groupby(["target", "seed"]).ngroups).all()
    assert [verdict(lo, hi) for lo, hi in zip(found["lo"], found["hi"])] == found["verdict"].tolist()
    assert found["comparison"].str.contains("LFC").any()
