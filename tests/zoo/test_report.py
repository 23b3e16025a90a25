"""The model-selection report and its ground truth: how each score's ranking of the zoo compares
with fine-tuning at the best of three rates, and what scoring costs against fine-tuning."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reprise.zoo.ground_truth import choose_rates
from reprise.zoo.report import selection_over_runs, selection_table, summarise


def runs(values: dict, target="t", regime="full", seed=0, seconds=10.0) -> pd.DataFrame:
    """One fine-tuning run a member, chosen, with test top-1 ``values[member]``."""
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "seed": seed, "lr": 0.01, "val_top1": v, "top1": v,
                          "seconds": seconds, "chosen": True} for m, v in values.items()])


def scores(values: dict, name: str, target="t", regime="full") -> pd.DataFrame:
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "score": name, "value": v, "seconds": 2.0} for m, v in values.items()])


def test_selection_table_rewards_a_score_that_ranks_like_fine_tuning():
    acc = runs({"a": 90.0, "b": 80.0, "c": 70.0, "d": 60.0})
    table = selection_table(
        pd.concat([scores({"a": 4, "b": 3, "c": 2, "d": 1}, "good"), scores({"a": 1, "b": 2, "c": 3, "d": 4}, "bad")]), acc, default_member="c", top=2
    ).set_index("score")
    assert table.loc["good", "spearman"] == pytest.approx(1.0) and table.loc["bad", "spearman"] == pytest.approx(-1.0)
    assert table.loc["good", "trials_to_best"] == 1 and table.loc["bad", "trials_to_best"] == 4
    assert table.loc["good", "top_gain"] == 20.0 and table.loc["bad", "top_gain"] == 0.0  # best of {a, b} / {d, c} minus c
    assert table.loc["random", "trials_to_best"] == 2.5
    # Expected best of two random members: pairs ab, ac, ad, bc, bd, cd -> 90, 90, 90, 80, 80, 70.
    assert table.loc["random", "top_gain"] == pytest.approx(500 / 6 - 70)
    assert table.loc["oracle", "top_gain"] == 20.0


def test_cost_is_scoring_the_whole_zoo_over_one_fine_tuning_of_the_default_member():
    """Table 3 of the paper: 4 members scored in 2 s each against one 10 s fine-tuning of the
    default member is 0.8, not 0.2; the oracle fine-tunes every member at every rate."""
    three_rates = pd.concat([runs({"a": 90.0, "b": 80.0, "c": 70.0, "d": 60.0}).assign(lr=lr, chosen=lr == 0.01) for lr in (0.01, 0.005, 0.001)])
    table = selection_table(scores({"a": 4, "b": 3, "c": 2, "d": 1}, "good"), three_rates, default_member="c").set_index("score")
    assert table.loc["good", "relative_cost"] == pytest.approx(0.8)
    assert table.loc["oracle", "relative_cost"] == pytest.approx(12.0) and table.loc["random", "relative_cost"] == 0.0


def test_a_members_accuracy_is_its_chosen_rate_and_the_rate_is_chosen_on_validation():
    grid = pd.DataFrame({"member": ["a"] * 3 + ["b"] * 3, "target": "t", "regime": "few", "seed": 0, "lr": [0.01, 0.005, 0.001] * 2,
                         "val_top1": [50.0, 75.0, 75.0, 90.0, 60.0, 10.0], "top1": [99.0, 70.0, 65.0, 80.0, 85.0, 1.0], "seconds": 1.0})
    grid["chosen"] = choose_rates(grid)
    assert grid["chosen"].tolist() == [False, True, False, True, False, False]  # a: the tie goes to the first listed rate
    table = selection_table(scores({"a": 1.0, "b": 0.0}, "s", regime="few"), grid, default_member="b").set_index("score")
    assert table.loc["oracle", "top_gain"] == 0.0  # b's chosen run (80) beats a's chosen (70), not a's best on test (99)
    assert table.loc["s", "trials_to_best"] == 2


def test_a_score_missing_for_a_member_is_left_out():
    acc = runs({"a": 90.0, "b": 80.0})
    table = selection_table(scores({"a": 1.0, "b": float("nan")}, "leep"), acc, default_member="a")
    assert "leep" not in set(table["score"])


def test_each_pretraining_run_is_judged_on_its_own_fine_tunings():
    """A score that ranks run 0's members right and run 1's wrong: 1 in run 0, -1 in run 1, never
    a comparison of one run's scores with another run's accuracies."""
    acc = pd.concat([runs({"a": 90.0, "b": 80.0, "c": 70.0}).assign(pretrain_seed=0), runs({"a": 70.0, "b": 80.0, "c": 90.0}).assign(pretrain_seed=1)])
    both = pd.concat([scores({"a": 3, "b": 2, "c": 1}, "s").assign(pretrain_seed=0), scores({"a": 3, "b": 2, "c": 1}, "s").assign(pretrain_seed=1)])
    per_target, domains = selection_over_runs(both, acc, default_member="c", domain_members=["a", "b"])
    assert per_target.columns[0] == "pretrain_seed" and domains.columns[0] == "pretrain_seed"
    rho = per_target[per_target["score"] == "s"].set_index("pretrain_seed")["spearman"]
    assert rho.to_dict() == pytest.approx({0: 1.0, 1: -1.0})
    gain = domains[domains["score"] == "s"].set_index("pretrain_seed")["gain"]
    assert gain.to_dict() == {0: 20.0, 1: -20.0}  # the domain member s ranks first (a) minus the default member (c), per run


def test_the_summary_interval_is_over_pretraining_runs_when_there_are_runs():
    """Two fine-tuning seeds in each of three runs: the replicates are the runs' means (n = 3),
    not the six (run, seed) rows; one seed and no runs: no interval."""
    rows = [{"score": "s", "target": "t", "regime": "full", "pretrain_seed": run, "seed": seed, "spearman": value,
             "trials_to_best": 1.0, "top_gain": 0.0, "relative_cost": 0.1}
            for run, values in enumerate([(0.2, 0.4), (0.5, 0.7), (0.8, 1.0)]) for seed, value in enumerate(values)]
    summary = summarise(pd.DataFrame(rows)).set_index("score")
    run_means = np.array([0.3, 0.6, 0.9])
    assert summary.loc["s", "spearman"] == pytest.approx(0.6)
    assert summary.loc["s", "spearman_half"] == pytest.approx(stats.t.ppf(0.975, 2) * run_means.std(ddof=1) / np.sqrt(3))
    one = summarise(pd.DataFrame(rows[:1]).drop(columns="pretrain_seed"))
    assert np.isnan(one["spearman_half"]).all() and (one["spearman_std"] == 0).all()
