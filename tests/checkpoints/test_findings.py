from pathlib import Path

import pandas as pd
import pytest

from reprise.checkpoints.findings import checkpoint_findings
from reprise.core.findings import COLUMNS, verdict

REPO = Path(__file__).resolve().parents[2]


def _seeds(fe: dict[int, list[float]], ft: dict[int, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"epoch": epoch, "seed": seed, "fe_acc": fe[epoch][seed], "ft_acc": ft[epoch][seed]}
                         for epoch in fe for seed in range(len(fe[epoch]))])


def test_a_middle_fe_peak_and_a_rising_ft_are_found_as_the_paper_has_them():
    seeds = _seeds(fe={1: [0.90, 0.91, 0.90], 5: [0.95, 0.96, 0.955], 10: [0.92, 0.925, 0.92]},
                   ft={1: [0.95, 0.951, 0.95], 5: [0.96, 0.962, 0.96], 10: [0.97, 0.975, 0.972]})
    table = checkpoint_findings(seeds, "mnist", "FT 100 epochs")
    assert tuple(table.columns) == COLUMNS
    found = table.set_index("claim")
    assert found.loc["frozen features are best at a middle checkpoint", ["comparison", "verdict"]].tolist() == ["FE@5 − FE@10", "beats"]
    assert found.loc["frozen features are best at a middle checkpoint", "mean"] == pytest.approx(100 * (0.955 - (0.92 + 0.925 + 0.92) / 3))
    assert found.loc["fine-tuning keeps improving with pre-training", ["comparison", "verdict"]].tolist() == ["FT@10 − FT@1", "beats"]
    assert found.loc["fine-tuning is best from the fully pre-trained checkpoint", "comparison"] == "FT@10 − FT@5"
    assert found.loc["fine-tuning beats frozen features", ["comparison", "verdict"]].tolist() == ["FT@10 − FE@10", "beats"]
    assert (found["target"] == "mnist").all() and (found["setting"] == "FT 100 epochs").all() and (found["runs"] == 3).all()


def test_one_checkpoint_gives_only_ft_against_fe_and_one_seed_nothing():
    one_epoch = checkpoint_findings(_seeds({0: [0.9, 0.91]}, {0: [0.95, 0.97]}), "target")
    assert one_epoch["claim"].tolist() == ["fine-tuning beats frozen features"] and one_epoch["setting"].tolist() == [""]
    assert checkpoint_findings(_seeds({1: [0.9], 2: [0.91]}, {1: [0.95], 2: [0.96]}), "mnist").empty


def test_the_committed_per_seed_checkpoint_rows_give_consistent_findings():
    path = REPO / "benchmarks" / "results" / "checkpoint_sensitivity_seeds.csv"
    if not path.exists():
        pytest.skip("no committed per-seed checkpoint rows")
    long = pd.read_csv(path)  # method FE@<epoch> / FT@<epoch>, top1 in %
    long[["kind", "epoch"]] = long["method"].str.split("@", expand=True)
    for setting, part in long.groupby("setting", sort=False):
        wide = part.assign(epoch=part["epoch"].astype(int), top1=part["top1"] / 100).pivot_table(
            index=["epoch", "seed"], columns="kind", values="top1").reset_index()
        found = checkpoint_findings(wide.rename(columns={"FE": "fe_acc", "FT": "ft_acc"}), "mnist", setting)
        assert tuple(found.columns) == COLUMNS and len(found) == 4
        assert [verdict(lo, hi) for lo, hi in zip(found["lo"], found["hi"])] == found["verdict"].tolist()
        # the study's own finding: the paper's middle FE peak is not there, and FT beats FE at the last checkpoint
        by_claim = found.set_index("claim")["verdict"]
        assert by_claim["frozen features are best at a middle checkpoint"] != "beats"
        assert by_claim["fine-tuning beats frozen features"] == "beats"
