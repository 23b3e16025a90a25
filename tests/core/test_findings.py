import pandas as pd
import pytest

from reprise.core.errors import InputError
from reprise.core.findings import COLUMNS, agreement, collect, finding, findings_frame, paired_interval, render_markdown, verdict
from reprise.core.paired import paired_difference


def _row(**changes) -> dict:
    row = {"study": "reuse", "claim": "UOT selection beats random selection", "comparison": "UOT − random", "target": "mnist",
           "setting": "Table 1, K=10", "runs": 10, "pretrain_runs": 1, "mean": 1.0, "lo": 0.5, "hi": 1.5, "verdict": "beats"}
    return {**row, **changes}


def test_the_verdict_needs_the_whole_interval_on_one_side_of_zero():
    assert verdict(0.01, 2.0) == "beats"
    assert verdict(-2.0, -0.01) == "below"
    assert verdict(-0.5, 0.5) == "within noise"
    assert verdict(0.0, 1.0) == "within noise"  # an interval that touches zero does not exclude it
    assert verdict(-1.0, 0.0) == "within noise"


def test_the_interval_is_the_hull_of_both_so_its_verdict_is_the_paired_one():
    # five seeds, all positive, one far larger: the bootstrap interval clears zero, the t-interval does not
    result = paired_difference([0.1, 0.2, 0.1, 0.15, 3.0], [0, 0, 0, 0, 0])
    lo, hi = paired_interval(result)
    assert lo == min(result["boot_low"], result["t_low"]) < 0 < result["boot_low"]
    assert hi == max(result["boot_high"], result["t_high"])
    assert verdict(lo, hi) == result["verdict"] == "within noise"
    clear = paired_difference([1.1, 1.2, 0.9, 1.0, 1.05], [0, 0, 0, 0, 0])
    assert verdict(*paired_interval(clear)) == clear["verdict"] == "beats"
    row = finding("zoo", "c", "A − B", "t", "s", clear)
    assert row["runs"] == 5 and row["pretrain_runs"] == 1 and row["mean"] == pytest.approx(1.05) and row["verdict"] == "beats"
    over_runs = finding("zoo", "c", "A − B", "t", "s", paired_difference([1.1, 1.2, 0.9, 1.0, 1.05, 0.8], [0] * 6, runs=[0, 0, 1, 1, 2, 2]))
    assert over_runs["runs"] == 6 and over_runs["pretrain_runs"] == 3


def test_the_frame_orders_the_columns_and_keeps_them_when_empty():
    shuffled = {key: _row()[key] for key in reversed(COLUMNS)}
    frame = findings_frame([shuffled])
    assert tuple(frame.columns) == COLUMNS
    assert tuple(findings_frame([]).columns) == COLUMNS and findings_frame([]).empty


@pytest.mark.parametrize("row, message", [
    ({key: value for key, value in _row().items() if key != "runs"}, "missing runs"),
    ({**_row(), "p": 0.01}, "unknown p"),
    (_row(study="imagenet"), "unknown study 'imagenet'"),
    (_row(lo=-0.1), "says 'beats' but its interval"),
    (_row(lo=-2.0, hi=-1.0, verdict="loses to"), "says 'loses to'"),
])
def test_a_malformed_finding_is_one_line_naming_what_is_wrong(row, message):
    with pytest.raises(InputError, match=message):
        findings_frame([row])


def test_collect_sorts_by_study_in_the_papers_order_then_claim_and_keeps_ties_in_order():
    reuse = findings_frame([_row(claim="b claim", target="first"), _row(claim="a claim"), _row(claim="b claim", target="second")])
    zoo = findings_frame([_row(study="zoo", claim="a zoo claim")])
    checkpoints = findings_frame([_row(study="checkpoints", claim="a checkpoint claim")])
    table = collect([checkpoints, zoo, reuse])
    assert list(table["study"]) == ["reuse", "reuse", "reuse", "zoo", "checkpoints"]
    assert list(table["claim"][:3]) == ["a claim", "b claim", "b claim"]
    assert list(table["target"][1:3]) == ["first", "second"]
    assert tuple(collect([]).columns) == COLUMNS


def test_the_markdown_is_one_table_of_the_papers_claims_with_signed_two_decimal_numbers_and_agreement():
    table = collect([findings_frame([_row(mean=1.2345, lo=0.5, hi=1.999),
                                     _row(claim="UOT selection is as good as label-based selection", comparison="UOT − label-based",
                                          mean=-0.9, lo=-1.6, hi=-0.4, verdict="below")]),
                     findings_frame([_row(study="zoo", claim="NCE ranks the zoo better than LEEP", comparison="NCE − LEEP", pretrain_runs=3,
                                          mean=-0.031, lo=-0.25, hi=0.187, verdict="within noise")])])
    text = render_markdown(table)
    assert "- Liu et al. (which data): 2 findings; 1 agrees, 1 disagrees, 0 within noise" in text
    assert "- Deshpande et al. (which model): 1 findings; 0 agrees, 0 disagrees, 1 within noise" in text and "Deng et al." not in text
    assert ("| Liu et al. (which data) | UOT selection beats random selection | UOT − random | mnist | Table 1, K=10 | 10 (1) | "
            "+1.23 [+0.50, +2.00] | agrees |") in text
    assert "| −0.90 [−1.60, −0.40] | disagrees |" in text
    assert "| 10 (3) | −0.03 [−0.25, +0.19] | within noise |" in text
    assert text.count("| paper | claim |") == 1
    assert render_markdown(pd.DataFrame(columns=list(COLUMNS))) == "No findings."


def test_a_verdict_reads_as_the_papers_claim():
    assert [agreement(v) for v in ("beats", "within noise", "below")] == ["agrees", "within noise", "disagrees"]
