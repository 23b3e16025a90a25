"""The testbed suite's plans, tuning choice and resumable runner (reprise.reuse.suite), without fine-tuning."""

import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.reuse import suite

POOL = ["digit"] * 10 + ["latin_upper"] * 26 + ["other"] * 64  # 100 pool classes
CFG = {
    "targets": {"mnist": {"labels_per_class": 20, "test_per_class": None, "elastic_alpha": 0},
                "latin_upper": {"labels_per_class": 5, "test_per_class": 40, "elastic_alpha": 16}},
    "seeds": 10, "sweep_seeds": 5, "methods": ["none", "random", "uot", "label"],
    "tuning": {"lrs": [0.02, 0.005], "lambdas": [1.0, 0.3], "val_fraction": 0.2, "seeds": 2, "shared": False},
    "k_multiples": [0.5, 1, 2, 3], "fractions": [0.2, 0.6, 1.0], "long_tail": {"largest": 20, "ratio": 10}, "deciles": 10,
    "clusters": [50, 200], "contrastive": {"epochs": 2, "clusters": 100},
}
TUNED = pd.DataFrame([{"target": t, "method": m, "lr": 0.02 if m == "uot" else 0.005, "lambda": 1.0} for t in CFG["targets"] for m in CFG["methods"]])


def test_plans_pair_every_method_of_a_setting_on_the_same_seeds():
    table1 = suite.plan("table1", CFG, POOL, TUNED)
    assert len(table1) == 2 * 4 * 10
    assert {r.setting for r in table1 if r.target == "mnist"} == {"K=10"} and {r.knobs["k"] for r in table1 if r.target == "latin_upper"} == {26}
    for (target, setting), group in pd.DataFrame([vars(r) for r in table1]).groupby(["target", "setting"]):
        assert group.groupby("method")["seed"].apply(sorted).map(tuple).nunique() == 1  # the same seeds for every method
    k = suite.plan("k", CFG, POOL, TUNED)
    assert sorted({r.knobs["k"] for r in k if r.target == "mnist"}) == [5, 10, 20, 30] and {r.seed for r in k} == set(range(5))
    deciles = [r for r in suite.plan("deciles", CFG, POOL, TUNED) if r.target == "mnist" and r.seed == 0]
    assert [r.method for r in deciles] == ["none"] + [f"decile {d}" for d in range(1, 11)]
    assert all(r.lr == 0.02 for r in deciles[1:]) and deciles[0].lr == 0.005  # deciles are reused as UOT's selection is
    clusters = suite.plan("clusters", CFG, POOL, TUNED)
    assert {r.setting for r in clusters if r.target == "mnist"} == {"50 clusters, K=5", "200 clusters, K=20"}  # 10% of the pool's classes
    table1b = suite.plan("table1b", CFG, POOL, TUNED)
    assert {r.method for r in table1b} == {"none", "random", "uot", "label", "random (clusters)", "uot (clusters)"}
    assert all(r.knobs["backbone"] == "contrastive" for r in table1b)


def test_tuning_tries_the_grid_on_every_tuning_seed_and_chooses_the_best_mean_validation_point():
    tuning = suite.plan("tuning", CFG, POOL)
    assert len([r for r in tuning if r.target == "mnist" and r.method == "uot"]) == 4 * 2
    assert len([r for r in tuning if r.target == "mnist" and r.method == "none"]) == 2 * 2  # no lambda without reuse
    # seed 0 alone prefers (0.005, 0.3); over both seeds (0.02, 1.0) is best on average
    rows = pd.DataFrame([{**vars(r), "lambda": r.lam, "top1": 50.0 + (r.lr == 0.005) + (r.lam == 0.3) + 5 * (r.seed == 1 and r.lr == 0.02 and r.lam == 1.0)}
                         for r in tuning])
    best = suite.chosen(rows, shared=False)
    uot = best[(best["target"] == "mnist") & (best["method"] == "uot")].iloc[0]
    assert (uot["lr"], uot["lambda"], uot["val_top1"]) == (0.02, 1.0, 52.5)
    assert suite.chosen(rows[rows["seed"] == 0], shared=False).iloc[0][["lr", "lambda"]].tolist() == [0.005, 0.0]  # none: no lambda
    assert len(best) == 2 * 4
    with pytest.raises(InputError, match="tuning"):
        suite.plan("table1", CFG, POOL, best[best["method"] != "label"])


def test_a_shared_choice_gives_every_method_of_a_target_the_point_best_on_average_over_the_reusing_methods():
    tuning = [r for r in suite.plan("tuning", CFG, POOL) if r.target == "mnist"]
    # uot alone prefers (0.005, 0.3); the three other reusing methods prefer (0.02, 1.0); none prefers 0.005
    score = {(0.005, 0.3): {"uot": 60}, (0.02, 1.0): {"random": 58, "label": 58}, (0.005, 0.0): {"none": 55}}
    rows = pd.DataFrame([{**vars(r), "lambda": r.lam, "top1": score.get((r.lr, r.lam), {}).get(r.method, 50.0)} for r in tuning])
    best = suite.chosen(rows, shared=True).set_index("method")
    assert set(best["lr"]) == {0.02} and best.loc["uot", "lambda"] == 1.0 and best.loc["none", "lambda"] == 0.0
    assert best.loc["uot", "val_top1"] == 50.0 and best.loc["label", "val_top1"] == 58.0  # each method's own score at the shared point
    assert suite.chosen(rows, shared=False).set_index("method").loc["uot", "lr"] == 0.005


def test_a_target_whose_concept_the_pool_lacks_is_a_clear_error():
    with pytest.raises(InputError, match="no class of its concept"):
        suite.plan("table1", CFG, ["other"] * 10, TUNED)


def test_an_interrupted_experiment_resumes_where_it_stopped_and_only_under_the_same_fingerprint(tmp_path, monkeypatch):
    runs = [r for r in suite.plan("table1", CFG, POOL, TUNED) if r.seed < 3]
    calls = []

    def fake(run, context):
        calls.append(run)
        if context == "crash" and len(calls) == 5:
            raise KeyboardInterrupt
        return {**{c: getattr(run, c) for c in suite.COLUMNS[:-1]}, "top1": float(hash((run.method, run.seed)) % 100)}

    monkeypatch.setattr(suite, "execute", fake)
    partial = tmp_path / "partial.csv"
    with pytest.raises(KeyboardInterrupt):
        suite.run_experiment(runs, "crash", partial, "key", workers=1, progress=False)
    assert len(pd.read_csv(partial)) == 4
    calls.clear()
    resumed = suite.run_experiment(runs, None, partial, "key", workers=1, progress=False)
    assert len(calls) == len(runs) - 4 and calls[0] == runs[4]
    calls.clear()
    fresh = suite.run_experiment(runs, None, tmp_path / "other.csv", "key", workers=1, progress=False)
    assert resumed.equals(fresh) and list(resumed.columns[:6]) == list(suite.COLUMNS)
    calls.clear()
    suite.run_experiment(runs, None, partial, "changed code", workers=1, progress=False)
    assert len(calls) == len(runs)  # rows of another fingerprint are never reused
