"""Generated blocks: every block of README.md and docs/*.md is what its generator gives from the
committed results now, and the marker parser refuses what it cannot read with one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from reprise.checkpoints.findings import checkpoint_findings
from reprise.core.findings import collect, verdict
from reprise.reuse import findings as reuse  # not `import testbed_findings`: pytest would collect it as a test
from reprise.zoo.findings import zoo_findings
from tools.generated_blocks import ROOT, MarkerError, documents, generate, main, parse, render
from tools.generators import GeneratorError, duration, findings, paired, pivot, value

BLOCKS = [(path, block) for path in documents() for block in parse(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]


@pytest.mark.parametrize("path, block", BLOCKS, ids=[f"{block.path}:{block.line}" for _, block in BLOCKS])
def test_every_block_is_what_its_generator_gives_now(path, block):
    text = path.read_text(encoding="utf-8")
    assert text[block.start:block.end] == generate(block), (
        f"{block.path}:{block.line}: the block '{block.spec}' differs from the committed results; run python tools/generated_blocks.py")


def test_the_docs_have_blocks_and_contributing_is_not_required_to():
    assert {block.path for _, block in BLOCKS} >= {"README.md", "docs/testbed.md", "docs/zoo.md", "docs/checkpoints.md", "docs/reuse.md"}


# ---------------------------------------------------------------- the marker parser


def test_blocks_on_their_own_lines_and_inside_a_line_are_found_with_their_content():
    text = ("intro <!-- generated: param key=pretrain.epochs -->16<!-- end generated --> epochs\n"
            "<!-- generated: value file=results/metrics.json path=top1.reuse -->\nold\n<!-- end generated -->\n")
    inline, lines = parse(text, "x.md")
    assert (inline.name, inline.own_lines, text[inline.start:inline.end]) == ("param", False, "16")
    assert (lines.name, lines.own_lines, lines.line, text[lines.start:lines.end]) == ("value", True, 2, "old\n")
    assert lines.arguments() == {"file": "results/metrics.json", "path": "top1.reuse"}


def test_quoted_arguments_keep_their_spaces():
    (block,) = parse('<!-- generated: paired file=f.csv setting="long tail" a=uot b=none --><!-- end generated -->', "x.md")
    assert block.arguments()["setting"] == "long tail"


@pytest.mark.parametrize("text, message", [
    ("<!-- generated: param key=a -->\n<!-- generated: param key=b -->\n<!-- end generated -->\n", r"x\.md:2: a generated block starts inside the block opened on line 1"),
    ("a\n<!-- generated: param key=a -->\nnever closed\n", r"x\.md:2: the generated block 'param' is never closed"),
    ("text\n<!-- end generated -->\n", r"x\.md:2: an end marker without a generated block"),
    ("<!-- generated: -->x<!-- end generated -->", r"x\.md:1: a generated block without a generator name"),
    ("<!-- generated: param key=a -->\nx <!-- end generated -->\n", r"x\.md:1: the block's markers must both be on lines of their own"),
])
def test_a_malformed_block_is_one_line_naming_file_and_line(text, message):
    with pytest.raises(MarkerError, match=message):
        parse(text, "x.md")


def test_an_unknown_generator_or_a_word_without_value_is_one_line():
    (unknown,) = parse("<!-- generated: nosuch a=1 --><!-- end generated -->", "x.md")
    with pytest.raises(MarkerError, match=r"x\.md:1: unknown generator 'nosuch'; known: .*findings.*param"):
        generate(unknown)
    (bare,) = parse("<!-- generated: param pretrain.epochs --><!-- end generated -->", "x.md")
    with pytest.raises(MarkerError, match="argument 'pretrain.epochs' of 'param' is not key=value"):
        generate(bare)


def test_an_unclosed_quote_is_one_line():
    (block,) = parse('<!-- generated: paired setting="long tail --><!-- end generated -->', "x.md")
    with pytest.raises(MarkerError, match=r"x\.md:1: cannot read the marker's arguments"):
        generate(block)


def test_markers_inside_code_are_text():
    text = "Write `<!-- generated: NAME -->` in a doc.\n```\n<!-- generated: param key=a -->\n```\n"
    assert parse(text, "x.md") == []


def test_a_block_in_a_list_item_keeps_its_indentation():
    text = "- item:\n\n  <!-- generated: param key=checkpoints.seeds -->\n  <!-- end generated -->\n"
    new, changed = render(text, "x.md")
    seeds = ", ".join(str(seed) for seed in yaml.safe_load((ROOT / "params.yaml").read_text())["checkpoints"]["seeds"])
    assert f"\n  {seeds}\n  <!-- end generated -->" in new and len(changed) == 1


def test_a_generator_that_cannot_read_its_file_names_the_block():
    (block,) = parse("<!-- generated: value file=results/none.json path=a --><!-- end generated -->", "x.md")
    with pytest.raises(MarkerError, match=r"x\.md:1: value: results/none\.json not found"):
        generate(block)
    (outside,) = parse("<!-- generated: value file=params.yaml path=a --><!-- end generated -->", "x.md")
    with pytest.raises(MarkerError, match="is not a committed result"):
        generate(outside)


def test_check_names_the_stale_block_writes_nothing_and_a_rewrite_clears_it(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text("FT runs <!-- generated: param key=checkpoints.finetune.epochs.embedded -->40<!-- end generated --> epochs.\n")
    assert main(["--check", str(doc)]) == 1
    assert "doc.md:1: generated block 'param key=checkpoints.finetune.epochs.embedded' differs" in capsys.readouterr().out
    assert "-->40<!--" in doc.read_text()
    assert main([str(doc)]) == 0
    assert main(["--check", str(doc)]) == 0
    assert "-->40<!--" not in doc.read_text()
    doc.write_text("<!-- generated: nosuch --><!-- end generated -->\n")
    assert main(["--check", str(doc)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


# ---------------------------------------------------------------- the generators


def test_a_paired_phrase_carries_mean_interval_and_the_findings_verdict():
    text = paired(ROOT, file="results/testbed/table1.csv", target="cyrillic_lower", a="uot", b="random")
    mean, rest = text.split(" [")
    lo, hi = (float(x.replace("−", "-")) for x in rest.split("]")[0].split(", "))
    assert rest.endswith(f"], {verdict(lo, hi)}") and lo <= float(mean.replace("−", "-")) <= hi


def test_values_pivots_and_durations():
    assert value(ROOT, file="results/metrics.json", path="top1.baseline") == f"{pd.read_json(ROOT / 'results/metrics.json')['top1']['baseline']:.2f}"
    assert value(ROOT, file="results/p1_rank.csv", agg="count") == str(len(pd.read_csv(ROOT / "results/p1_rank.csv")))
    with pytest.raises(GeneratorError, match="rows of results/p1_rank.csv match; select one or give agg="):
        value(ROOT, file="results/p1_rank.csv", column="score")
    table = pivot(ROOT, file="results/testbed/table1.csv", rows="method", cols="target", value="top1", cell="{mean:.2f}", order="none,uot")
    assert table.splitlines()[0] == "| method | mnist | latin_upper | cyrillic_lower |"
    assert [line.split(" | ")[0] for line in table.splitlines()[2:]] == ["| plain fine-tuning", "| UOT"]
    assert [duration(s) for s in (8.84, 42.0, 67.2, 1040.2, 3725)] == ["8.8 s", "42 s", "1 min 7 s", "17 min 20 s", "1 h 2 min"]


@pytest.fixture(scope="module")
def root_with_findings(tmp_path_factory) -> Path:
    """A copy of the committed results with ``results/findings.csv`` made by the studies' findings
    functions from them, as the report stages will write it."""
    root = tmp_path_factory.mktemp("repo")
    (root / "results").mkdir()
    testbed = pd.concat([pd.read_csv(ROOT / "results" / "testbed" / f"{name}.csv")
                         for name in ("table1", "k", "low_data", "deciles", "clusters", "long_tail", "table1b")])
    zoo = pd.read_csv(ROOT / "results" / "zoo_paper" / "selection_per_target.csv")
    zoo_domains = pd.read_csv(ROOT / "results" / "zoo_paper" / "multidomain.csv")
    long = pd.read_csv(ROOT / "benchmarks" / "results" / "checkpoint_sensitivity_seeds.csv")
    long[["kind", "epoch"]] = long["method"].str.split("@", expand=True)
    default = long[long["setting"] == "FT 40 epochs"]
    seeds = (default.assign(epoch=default["epoch"].astype(int), top1=default["top1"] / 100)
             .pivot_table(index=["epoch", "seed"], columns="kind", values="top1").reset_index()
             .rename(columns={"FE": "fe_acc", "FT": "ft_acc"}))
    table = collect([reuse.testbed_findings(reuse.paired_comparisons(testbed)), zoo_findings(zoo, zoo_domains),
                     checkpoint_findings(seeds, "mnist", "FT 40 epochs")])
    table.to_csv(root / "results" / "findings.csv", index=False)
    return root


def test_the_findings_generator_renders_the_findings_table(root_with_findings):
    table = pd.read_csv(root_with_findings / "results" / "findings.csv", keep_default_na=False)
    text = findings(root_with_findings)
    assert text.count("| paper | claim |") == 1
    assert text.count("\n| ") - 1 == len(table)  # one header, then a row a finding
    zoo_only = findings(root_with_findings, study="zoo")
    assert "| Deshpande et al. (which model) |" in zoo_only and "| Liu et al. (which data) |" not in zoo_only
    assert zoo_only.count("| Deshpande et al. (which model) |") == (table["study"] == "zoo").sum()
    with pytest.raises(GeneratorError, match="study='imagenet': one of reuse, zoo, checkpoints"):
        findings(root_with_findings, study="imagenet")


def test_a_findings_block_in_a_doc_is_rendered_and_checked(root_with_findings):
    text = "# Findings\n\n<!-- generated: findings study=checkpoints -->\n<!-- end generated -->\n"
    new, changed = render(text, "doc.md", root_with_findings)
    assert len(changed) == 1 and "| Deng et al. (which checkpoint) | fine-tuning beats frozen features | FT@16 − FE@16 | mnist | FT 40 epochs | 3 (1) |" in new
    assert render(new, "doc.md", root_with_findings)[1] == []


def test_the_findings_generator_says_when_the_file_is_missing(tmp_path):
    with pytest.raises(GeneratorError, match="results/findings.csv not found"):
        findings(tmp_path)
