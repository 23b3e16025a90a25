"""The testbed suite's plans (reprise.reuse.suite.plan): every experiment's runs, paired by seed."""

import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.reuse.suite.plan import plan
from suite_cases import CFG, POOL, TUNED


def test_plans_pair_every_method_of_a_setting_on_the_same_seeds():
    table1 = plan("table1", CFG, POOL, TUNED)
    assert len(table1) == 2 * 2 * 4 * 10  # pre-training runs, targets, methods, seeds
    assert {r.setting for r in table1 if r.target == "mnist"} == {"K=10"} and {r.knobs["k"] for r in table1 if r.target == "latin_upper"} == {26}
    for (target, setting), group in pd.DataFrame([vars(r) for r in table1]).groupby(["target", "setting"]):
        pairs = group.assign(pair=list(zip(group["pretrain_seed"], group["seed"]))).groupby("method")["pair"]
        assert pairs.apply(sorted).map(tuple).nunique() == 1  # the same pre-training runs and seeds for every method
    k = plan("k", CFG, POOL, TUNED)
    assert sorted({r.knobs["k"] for r in k if r.target == "mnist"}) == [5, 10, 20, 30] and {r.seed for r in k} == set(range(10))
    deciles = [r for r in plan("deciles", CFG, POOL, TUNED) if r.target == "mnist" and r.seed == 0]
    assert [r.method for r in deciles] == ["none"] + [f"decile {d}" for d in range(1, 11)]
    assert all(r.lr == 0.02 for r in deciles[1:]) and deciles[0].lr == 0.005  # deciles are reused as UOT's selection is
    clusters = plan("clusters", CFG, POOL, TUNED)
    assert {r.setting for r in clusters if r.target == "mnist"} == {"50 clusters, K=5", "200 clusters, K=20"}  # 10% of the pool's classes
    table1b = plan("table1b", CFG, POOL, TUNED)
    assert {r.method for r in table1b} == {"none", "random", "uot", "label", "random (clusters)", "uot (clusters)"}
    assert all(r.knobs["backbone"] == "contrastive" for r in table1b)


def test_every_pre_training_run_has_its_own_fine_tuning_seeds_and_tuning_uses_the_first():
    for experiment, count in (("table1", CFG.seeds), ("deciles", CFG.sweep_seeds)):
        runs = plan(experiment, CFG, POOL, TUNED)
        seeds = {p: {r.seed for r in runs if r.pretrain_seed == p} for p in CFG.pretrain_seeds}
        assert seeds == {0: set(range(count)), 3: set(range(count, 2 * count))}  # disjoint: no two runs share a target split
        assert [r.pretrain_seed for r in runs] == sorted(r.pretrain_seed for r in runs)  # whole pre-training runs first
    tuning = plan("tuning", CFG, POOL)
    assert {r.pretrain_seed for r in tuning} == {0} and {r.seed for r in tuning} == set(range(CFG.tuning.seeds))


def test_a_target_whose_concept_the_pool_lacks_is_a_clear_error():
    with pytest.raises(InputError, match="no class of its concept"):
        plan("table1", CFG, ["other"] * 10, TUNED)
