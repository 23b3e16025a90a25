"""``reprise compare`` on CSVs with any column contents: a valid comparison or a
one-line error, and nothing written on an error."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from fuzz_contract import assert_kept, outcome, record, run_cli

COLUMNS = ["experiment", "target", "setting", "method", "seed", "top1"]
CELLS = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6), st.none(),
                  st.sampled_from(["none", "random", "uot", "1e400", "nan", "inf", " 3", "3,5", '"', "\n"]))


@st.composite
def results(draw) -> pd.DataFrame:
    """Per-seed results: mostly well formed (methods none, random, uot on a few seeds), with
    columns dropped or renamed and cells replaced by anything."""
    seeds = draw(st.integers(1, 5))
    rows = [{"experiment": "e", "target": draw(st.sampled_from(["t", "u"])), "setting": "s", "method": method, "seed": seed,
             "top1": draw(st.floats(0, 100, allow_nan=False))} for method in draw(st.lists(st.sampled_from(["none", "random", "uot", "label"]), min_size=1, max_size=4, unique=True))
            for seed in range(seeds)]
    table = pd.DataFrame(rows).astype(object)
    for _ in range(draw(st.integers(0, 3))):
        table.iat[draw(st.integers(0, len(table) - 1)), draw(st.integers(0, len(COLUMNS) - 1))] = draw(CELLS)
    if draw(st.integers(0, 6)) == 0:
        table = table.drop(columns=draw(st.sampled_from(COLUMNS)))
    if draw(st.integers(0, 8)) == 0:
        table = pd.concat([table, table.head(1)])
    return table


@given(table=results(), value=st.sampled_from(["top1"] * 6 + ["seed", "method", "missing"]), against=st.sampled_from([[], ["none"], ["uot", "none"], ["absent"]]),
       plot=st.sampled_from([None] * 6 + ["cmp.png", "cmp.svg", "cmp.xyz", "cmp"]), raw=st.one_of(st.none(), st.binary(max_size=40)))
def test_compare_gives_a_valid_table_or_one_line(tmp_path_factory, table, value, against, plot, raw):
    folder = tmp_path_factory.mktemp("compare")
    if raw is not None and table.empty:
        (folder / "results.csv").write_bytes(raw)
    else:
        table.to_csv(folder / "results.csv", index=False)
    argv = ["compare", str(folder / "results.csv"), "--value", value, "--out", str(folder / "cmp.csv")]
    argv += (["--against", *against] if against else []) + (["--plot", str(folder / plot)] if plot else [])
    code, err = run_cli(argv)
    record(outcome(code, err), folder)
    assert_kept(code, err, folder, {"results.csv"}, ["cmp.csv"] + ([plot] if plot else []))
    if code == 0:
        comparison = pd.read_csv(folder / "cmp.csv")
        numbers = comparison[["mean", "boot_low", "boot_high", "t_low", "t_high"]].to_numpy()
        assert np.isfinite(numbers).all() and len(comparison)
        beats = (comparison["boot_low"] > 0) & (comparison["t_low"] > 0)
        loses = (comparison["boot_high"] < 0) & (comparison["t_high"] < 0)
        assert (comparison["verdict"] == np.where(beats, "beats", np.where(loses, "loses to", "within noise"))).all()
