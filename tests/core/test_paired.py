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


def _naive_two_level(groups, resamples, rng):
    """The two-level bootstrap written out draw by draw: runs with replacement, then seeds."""
    draws = []
    for _ in range(resamples):
        picked = [groups[i] for i in rng.integers(0, len(groups), len(groups))]
        draws.append(np.mean([g[rng.integers(0, len(g), len(g))].mean() for g in picked]))
    return np.array(draws)


def test_over_pretraining_runs_the_intervals_are_over_the_runs_means():
    from scipy import stats

    rng = np.random.default_rng(4)
    offsets = [0.9, -0.2, 0.4, 1.3]  # what each backbone does to the difference
    groups = [offset + rng.normal(0, 0.3, size=5) for offset in offsets]
    d = np.concatenate(groups)
    runs = np.repeat(["r0", "r1", "r2", "r3"], 5)
    found = paired_difference(d, np.zeros_like(d), runs=runs)
    means = np.array([g.mean() for g in groups])
    half = stats.t.ppf(0.975, 3) * means.std(ddof=1) / 2
    assert found["pretrain_runs"] == 4 and found["seeds"] == 20 and found["mean"] == pytest.approx(means.mean())
    assert (found["t_low"], found["t_high"]) == pytest.approx((means.mean() - half, means.mean() + half))
    naive = np.quantile(_naive_two_level(groups, 20_000, np.random.default_rng(9)), [0.025, 0.975])
    assert (found["boot_low"], found["boot_high"]) == pytest.approx(tuple(naive), abs=0.03)


def test_a_difference_that_one_backbone_shows_and_another_does_not_is_within_noise():
    """Seeds of one run cannot tell a backbone's effect from the method's: over seeds alone the
    difference clears zero, over three pre-training runs it does not."""
    rng = np.random.default_rng(5)
    d = np.concatenate([offset + rng.normal(0, 0.1, size=6) for offset in (1.0, -0.6, 0.3)])
    runs = np.repeat([0, 1, 2], 6)
    assert paired_difference(d[:6], np.zeros(6))["verdict"] == "beats"
    assert paired_difference(d[:6], np.zeros(6), runs=runs[:6]) == paired_difference(d[:6], np.zeros(6))  # one run: over its seeds
    over_runs = paired_difference(d, np.zeros_like(d), runs=runs)
    assert over_runs["verdict"] == "within noise" and over_runs["t_low"] < 0 < over_runs["t_high"]


def test_compare_pairs_by_pretraining_run_and_seed():
    rows = [{"experiment": "e", "target": "t", "setting": "s", "method": m, "pretrain_seed": r, "seed": s, "top1": 90 + r + s + gain}
            for m, gain in (("none", 0.0), ("uot", 1.0 + 0.1 * 0)) for r in range(3) for s in range(4)]
    rows[-1]["top1"] += 0.3  # a little spread
    table = compare(pd.DataFrame(rows), against=["none"])
    assert len(table) == 1 and table.loc[0, "pretrain_runs"] == 3 and table.loc[0, "seeds"] == 12
    assert table.loc[0, "mean"] == pytest.approx(1.0 + 0.3 / 12)
    with pytest.raises(InputError, match=r"rows repeat a \(experiment, target, setting, method, pretrain_seed, seed\)"):
        compare(pd.DataFrame(rows + rows[:1]), against=["none"])
