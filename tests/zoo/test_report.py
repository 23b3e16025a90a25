"""The model-selection report: how each score's ranking of the zoo compares with fine-tuning."""

import pandas as pd
import pytest

from reprise.zoo.report import selection_table


def accuracies(values: dict, target="t", regime="full", seed=0) -> pd.DataFrame:
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "seed": seed, "top1": v, "seconds": 10.0} for m, v in values.items()])


def scores(values: dict, name: str, target="t", regime="full") -> pd.DataFrame:
    return pd.DataFrame([{"member": m, "target": target, "regime": regime, "score": name, "value": v, "seconds": 2.0} for m, v in values.items()])


def test_selection_table_rewards_a_score_that_ranks_like_fine_tuning():
    acc = accuracies({"a": 90.0, "b": 80.0, "c": 70.0, "d": 60.0})
    table = selection_table(
        pd.concat([scores({"a": 4, "b": 3, "c": 2, "d": 1}, "good"), scores({"a": 1, "b": 2, "c": 3, "d": 4}, "bad")]), acc, default_member="c", top=2
    ).set_index("score")
    assert table.loc["good", "spearman"] == pytest.approx(1.0) and table.loc["bad", "spearman"] == pytest.approx(-1.0)
    assert table.loc["good", "trials_to_best"] == 1 and table.loc["bad", "trials_to_best"] == 4
    assert table.loc["good", "top_gain"] == 20.0 and table.loc["bad", "top_gain"] == 0.0  # best of {a, b} / {d, c} minus c
    assert table.loc["good", "relative_cost"] == pytest.approx(0.2)
    assert table.loc["random", "trials_to_best"] == 2.5
    # Expected best of two random members: pairs ab, ac, ad, bc, bd, cd -> 90, 90, 90, 80, 80, 70.
    assert table.loc["random", "top_gain"] == pytest.approx(500 / 6 - 70)
    assert table.loc["oracle", "top_gain"] == 20.0 and table.loc["oracle", "relative_cost"] == 4.0  # fine-tune every member


def test_a_score_missing_for_a_member_is_left_out():
    acc = accuracies({"a": 90.0, "b": 80.0})
    table = selection_table(scores({"a": 1.0, "b": float("nan")}, "leep"), acc, default_member="a")
    assert "leep" not in set(table["score"])
