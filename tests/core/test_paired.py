import numpy as np
import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.core.paired import compare, paired_difference, plot_intervals


def test_a_known_paired_difference_is_recovered_and_excludes_zero():
    rng = np.random.default_rng(0)
    shared = rng.normal(95, 2.0, size=10)  # what a seed's split does to every method: large, and cancelled by pairing
    a, b = shared + 0.5 + rng.normal(0, 0.05, 10), shared
    found = paired_difference(a, b)
    assert found["mean"] == pytest.approx(0.5, abs=0.05)
    assert 0 < found["boot_low"] < 0.5 < found["boot_high"] and 0 < found["t_low"] < 0.5 < found["t_high"]
    assert found["verdict"] == "beats" and found["wins"] == 10 and found["wilcoxon_p"] < 0.01
    assert paired_difference(b, a)["verdict"] == "loses to"


def test_a_difference_inside_the_noise_is_within_noise():
    a, b = np.array([95.0, 96.1, 94.2, 95.5, 96.0]), np.array([95.4, 95.7, 94.6, 95.1, 96.2])
    found = paired_difference(a, b)
    assert found["t_low"] < 0 < found["t_high"] and found["boot_low"] < 0 < found["boot_high"]
    assert found["verdict"] == "within noise"


def test_the_verdict_needs_both_intervals():
    # five seeds, all positive, one far larger: the bootstrap interval excludes zero, the t-interval does not
    found = paired_difference([0.1, 0.2, 0.1, 0.15, 3.0], [0, 0, 0, 0, 0])
    assert found["boot_low"] > 0 and found["t_low"] < 0
    assert found["verdict"] == "within noise"


def test_the_interval_is_the_same_on_every_run():
    assert paired_difference([1.0, 2.0, 0.5], [0.0, 0.0, 1.0]) == paired_difference([1.0, 2.0, 0.5], [0.0, 0.0, 1.0])


def _results(methods: dict[str, list[float]], target: str = "mnist") -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "e", "target": target, "setting": "class k=20", "method": m, "seed": s, "top1": v}
                         for m, values in methods.items() for s, v in enumerate(values)])


def test_compare_pairs_by_seed_within_each_target_and_reports_each_pair_once(tmp_path):
    table = pd.concat([_results({"none": [90, 92, 94], "random": [91, 93, 95], "uot": [92, 94, 96]}),
                       _results({"none": [80, 81, 82], "uot": [80, 81, 83]}, target="digits")]).sample(frac=1, random_state=0)
    found = compare(table)
    pairs = set(zip(found["target"], found["method"], found["against"]))
    assert pairs == {("mnist", "random", "none"), ("mnist", "uot", "none"), ("mnist", "uot", "random"), ("digits", "uot", "none")}
    uot = found.set_index(["target", "method", "against"]).loc[("mnist", "uot", "none")]
    assert uot["mean"] == pytest.approx(2.0) and uot["t_low"] == pytest.approx(2.0)  # no spread once paired
    plot_intervals(found, tmp_path / "intervals.png")
    assert (tmp_path / "intervals.png").stat().st_size > 0


def test_compare_refuses_results_it_cannot_pair():
    with pytest.raises(InputError, match="no column 'seed'"):
        compare(_results({"none": [1, 2]}).drop(columns="seed"))
    with pytest.raises(InputError, match="repeat"):
        compare(pd.concat([_results({"none": [1, 2]})] * 2))
    with pytest.raises(InputError, match="at least 2 seeds"):
        paired_difference([1.0], [0.0])
