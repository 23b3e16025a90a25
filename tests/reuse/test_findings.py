from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.core.findings import COLUMNS, verdict
from reprise.reuse import findings as reuse  # not `import testbed_findings`: pytest would collect it as a test

REPO = Path(__file__).resolve().parents[2]
TESTBED = REPO / "results" / "testbed"


def _paired(method, against, mean, low, high, *, experiment="table1", target="latin_upper", setting="K=26", paired_verdict=None):
    return {"experiment": experiment, "target": target, "setting": setting, "method": method, "against": against, "seeds": 10, "pretrain_runs": 1,
            "mean": mean, "boot_low": low + 0.1, "boot_high": high - 0.1, "t_low": low, "t_high": high, "wilcoxon_p": 0.01,
            "wins": 9, "ties": 0, "losses": 1,
            "verdict": paired_verdict or {"beats": "beats", "below": "loses to", "within noise": "within noise"}[verdict(low, high)]}


def test_a_hand_made_paired_table_gives_the_expected_findings():
    paired = pd.DataFrame([
        _paired("uot", "random", 1.2, 0.6, 1.8),
        _paired("uot", "none", -0.5, -0.9, -0.1),
        _paired("cotuning", "none", 0.3, -0.2, 0.8),  # no claim is about Co-Tuning
        _paired("uot", "none", 2.4, -0.3, 5.0, experiment="long_tail", setting="long tail"),
        _paired("uot", "none", 0.9, 0.3, 1.5, experiment="long_tail", setting="balanced"),
        _paired("uot", "random", 0.2, -0.1, 0.5, experiment="k", setting="K=13 (0.5x)"),
        _paired("uot", "none", 0.2, -0.1, 0.5, experiment="k", setting="K=13 (0.5x)"),  # no claim of Fig. 3a is about plain fine-tuning
        _paired("decile 1", "decile 3", 2.0, 1.0, 3.0, experiment="deciles", setting="deciles"),
        _paired("decile 1", "decile 2", 1.0, 0.5, 1.5, experiment="deciles", setting="deciles"),  # not the last decile
    ])
    found = reuse.testbed_findings(paired)
    assert tuple(found.columns) == COLUMNS
    assert found[["comparison", "setting", "verdict"]].values.tolist() == [
        ["UOT − random", "Table 1, K=26", "beats"],
        ["UOT − plain fine-tuning", "Table 1, K=26", "below"],
        ["UOT − random", "Fig. 3a, K=13 (0.5x)", "within noise"],
        ["decile 1 − decile 3", "Fig. 4b", "beats"],
        ["UOT − plain fine-tuning", "Table 3, long tail", "within noise"],
        ["UOT − plain fine-tuning", "Table 3, balanced", "beats"],
    ]
    first = found.iloc[0]
    assert (first["study"], first["claim"], first["target"], first["runs"]) == ("reuse", "UOT selection beats random selection", "latin_upper", 10)
    assert (first["mean"], first["lo"], first["hi"]) == (1.2, 0.6, 1.8)  # the t-interval, wider than the bootstrap one here
    assert found.iloc[4]["claim"] == "reusing UOT-selected data helps on a long-tailed target"


def test_a_paired_verdict_that_its_intervals_contradict_is_refused():
    with pytest.raises(InputError, match="says 'beats', but its intervals say 'within noise'"):
        reuse.testbed_findings(pd.DataFrame([_paired("uot", "random", 0.5, -0.1, 1.1, paired_verdict="beats")]))


def test_every_claim_is_found_on_a_paired_table_of_every_reference():
    rng = np.random.default_rng(0)
    methods = ("none", "random", "label", "greedy", "uot", "random (clusters)", "uot (clusters)")
    rows = [{"experiment": experiment, "target": "mnist", "setting": setting, "method": method, "seed": seed, "top1": 90 + rng.normal()}
            for experiment, settings in (("table1", ("K=10",)), ("k", ("K=5",)), ("low_data", ("20%",)), ("clusters", ("50 clusters",)),
                                         ("long_tail", ("long tail", "balanced")), ("table1b", ("self-supervised",)))
            for setting in settings for method in methods for seed in range(3)]
    rows += [{"experiment": "deciles", "target": "mnist", "setting": "deciles", "method": method, "seed": seed, "top1": 90 + rng.normal()}
             for method in ("none", "decile 1", "decile 2", "decile 10") for seed in range(3)]
    found = reuse.testbed_findings(reuse.paired_comparisons(pd.DataFrame(rows)))
    assert len(found) == len(reuse.CLAIMS)
    assert found.loc[found["setting"] == "Fig. 4b", "comparison"].tolist() == ["decile 1 − decile 10"]  # the last by number, not by name


@pytest.mark.skipif(not (TESTBED / "table1.csv").exists(), reason="no committed testbed results")
def test_the_committed_testbed_results_give_consistent_findings():
    committed = reuse.testbed_findings(pd.read_csv(TESTBED / "paired.csv"))  # the report's table: references none and random only
    per_seed = pd.concat([pd.read_csv(TESTBED / f"{name}.csv") for name in ("table1", "k", "low_data", "deciles", "clusters", "long_tail", "table1b")])
    recomputed = reuse.testbed_findings(reuse.paired_comparisons(per_seed))
    for found in (committed, recomputed):
        assert tuple(found.columns) == COLUMNS and len(found)
        assert (found["study"] == "reuse").all() and (found["runs"] >= 2).all()
        assert (found["lo"] <= found["mean"]).all() and (found["mean"] <= found["hi"]).all()
        assert [verdict(lo, hi) for lo, hi in zip(found["lo"], found["hi"])] == found["verdict"].tolist()
    targets = set(per_seed["target"])
    assert set(recomputed.loc[recomputed["comparison"] == "UOT − label-based", "target"]) == targets
    assert "UOT − label-based" not in set(committed["comparison"])
