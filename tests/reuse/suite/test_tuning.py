"""The testbed suite's rate and λ (reprise.reuse.suite.tuning), chosen on validation top-1."""

import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.reuse.suite.plan import plan
from reprise.reuse.suite.tuning import chosen
from suite_cases import CFG, POOL


def test_tuning_tries_the_grid_on_every_tuning_seed_and_chooses_the_best_mean_validation_point():
    tuning = plan("tuning", CFG, POOL)
    assert len([r for r in tuning if r.target == "mnist" and r.method == "uot"]) == 4 * 2
    assert len([r for r in tuning if r.target == "mnist" and r.method == "none"]) == 2 * 2  # no lambda without reuse
    # seed 0 alone prefers (0.005, 0.3); over both seeds (0.02, 1.0) is best on average
    rows = pd.DataFrame([{**vars(r), "lambda": r.lam, "top1": 50.0 + (r.lr == 0.005) + (r.lam == 0.3) + 5 * (r.seed == 1 and r.lr == 0.02 and r.lam == 1.0)}
                         for r in tuning])
    best = chosen(rows, shared=False)
    uot = best[(best["target"] == "mnist") & (best["method"] == "uot")].iloc[0]
    assert (uot["lr"], uot["lambda"], uot["val_top1"]) == (0.02, 1.0, 52.5)
    assert chosen(rows[rows["seed"] == 0], shared=False).iloc[0][["lr", "lambda"]].tolist() == [0.005, 0.0]  # none: no lambda
    assert len(best) == 2 * 4
    with pytest.raises(InputError, match="tuning"):
        plan("table1", CFG, POOL, best[best["method"] != "label"])

def test_a_shared_choice_gives_every_method_of_a_target_the_point_best_on_average_over_the_reusing_methods():
    tuning = [r for r in plan("tuning", CFG, POOL) if r.target == "mnist"]
    # uot alone prefers (0.005, 0.3); the three other reusing methods prefer (0.02, 1.0); none prefers 0.005
    score = {(0.005, 0.3): {"uot": 60}, (0.02, 1.0): {"random": 58, "label": 58}, (0.005, 0.0): {"none": 55}}
    rows = pd.DataFrame([{**vars(r), "lambda": r.lam, "top1": score.get((r.lr, r.lam), {}).get(r.method, 50.0)} for r in tuning])
    best = chosen(rows, shared=True).set_index("method")
    assert set(best["lr"]) == {0.02} and best.loc["uot", "lambda"] == 1.0 and best.loc["none", "lambda"] == 0.0
    assert best.loc["uot", "val_top1"] == 50.0 and best.loc["label", "val_top1"] == 58.0  # each method's own score at the shared point
    assert chosen(rows, shared=False).set_index("method").loc["uot", "lr"] == 0.005
