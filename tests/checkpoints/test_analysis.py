"""The analysis across checkpoints: the paper's finding (paired by seed), correlations, Table 1."""

import pandas as pd
import pytest

from builders import fake_seeds
from reprise.checkpoints.analysis import (checkpoint_roles, correlations, finding, finding_statement, role_labels, spectral_evolution,
                                          spectral_table, trajectory_summary)


def test_finding_holds_only_for_a_middle_fe_peak_with_ft_improving():
    middle = finding(fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 97, 16: 98}))
    assert middle["best_fe_epoch"] == 4 and middle["last_epoch"] == 16 and middle["holds"]
    assert middle["fe_gap_best_minus_last"] == pytest.approx(3.0) and middle["ft_gain_last_minus_best_fe"] == pytest.approx(1.0)
    monotone = finding(fake_seeds({1: 90, 4: 92, 16: 95}, {1: 96, 4: 97, 16: 98}))
    assert monotone["best_fe_epoch"] == 16 and not monotone["holds"] and not monotone["fe_best_before_last"]
    ft_flat = finding(fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 98, 16: 97}))
    assert ft_flat["fe_best_before_last"] and not ft_flat["ft_better_from_last"] and not ft_flat["holds"]
    assert checkpoint_roles(middle) == {"best_fe": 4, "last": 16}
    assert checkpoint_roles(monotone) == {"first": 1, "best_fe": 16, "last": 16}  # an early checkpoint still faces the last
    assert role_labels(checkpoint_roles(monotone)) == {1: "first", 16: "best FE, last"}


def test_a_middle_fe_peak_inside_the_noise_of_the_seeds_is_not_the_finding():
    seeds = fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 97, 16: 98})
    last_fe = (seeds["epoch"] == 16) & (seeds["seed"] == 2)
    seeds.loc[last_fe, "fe_acc"] = 0.97  # one seed's last checkpoint beats its epoch 4: the paired gap no longer clears the noise
    found = finding(seeds)
    assert found["best_fe_epoch"] == 4 and found["fe_gap_best_minus_last"] > 0
    assert found["fe_gap_best_minus_last_low"] < 0 < found["fe_gap_best_minus_last_high"]
    assert not found["fe_best_before_last"] and not found["holds"]
    assert "[" in finding_statement(found, trajectory_summary(seeds))


def test_correlations_and_spectral_table():
    seeds = fake_seeds({1: 90, 4: 95, 16: 92}, {1: 96, 4: 97, 16: 98})
    corr = correlations(seeds, "ft_acc")
    assert corr["logme"]["kendall_tau"] == pytest.approx(1.0) and corr["logme"]["pearson"] == pytest.approx(1.0)
    assert corr["leep"]["kendall_tau"] == pytest.approx(-1.0)
    assert corr["nce"]["kendall_tau_per_seed"][1] is None  # constant within seed 1: undefined, not a crash
    spectral = pd.DataFrame([{"epoch": e, "seed": s, "model": m, "part": p, "acc": 0.5, "k_mean": 3.0, "feature_dim": 8}
                             for e in (1, 4, 16) for s in (0, 1, 2) for m in ("pretrained", "finetuned") for p in ("F_m", "F_r")])
    table = spectral_table(trajectory_summary(seeds), spectral_evolution(spectral), {"best_fe": 4, "last": 16})
    assert table["best_fe"]["FE"]["F"] == pytest.approx(95) and table["last"]["FT"]["F"] == pytest.approx(98)
    assert table["last"]["FE"]["F_m"] == pytest.approx(50) and table["best_fe"]["epoch"] == 4


def test_the_finding_statement_says_n_a_for_a_trend_that_is_undefined():
    """Two checkpoints with the same FT accuracy: Kendall τ of FT against the epoch is undefined."""
    seeds = fake_seeds({2: 94, 3: 95}, {2: 97, 3: 97})
    found = finding(seeds)
    assert found["best_fe_epoch"] == found["last_epoch"] == 3
    assert found["ft_trend_kendall_tau"] is None and found["fe_trend_kendall_tau"] == pytest.approx(1.0)
    statement = finding_statement(found, trajectory_summary(seeds))
    assert statement.endswith("Trends over epochs (Kendall τ): FE +1.00, FT n/a.")
