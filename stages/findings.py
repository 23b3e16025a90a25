"""findings: every study's findings in one table, results/findings.csv, and rendered as
results/findings.md (the suite's reports write them: testbed_report, zoo_paper_report, near_source_report
and far_source_report); the last stage of `make suite`."""

from reprise.checkpoints.layout import FAR_SOURCE_RESULTS, NEAR_SOURCE_RESULTS
from reprise.core.artifacts import read_csv, write_csv, write_text
from reprise.core.findings import collect, render_markdown
from reprise.core.layout import FINDINGS, FINDINGS_TEXT
from reprise.core.stage import run_stage
from reprise.reuse.suite.layout import RESULTS_DIR
from reprise.zoo.layout import PAPER_ZOO_RESULTS

STUDY_FINDINGS = (f"{RESULTS_DIR}/findings.csv", f"{PAPER_ZOO_RESULTS}/findings.csv", f"{NEAR_SOURCE_RESULTS}/findings.csv", f"{FAR_SOURCE_RESULTS}/findings.csv")
READS = ()


def main(p) -> None:
    table = collect([read_csv(path) for path in STUDY_FINDINGS])
    write_csv(table, FINDINGS)
    write_text(render_markdown(table) + "\n", FINDINGS_TEXT)
    print(table[["study", "comparison", "target", "mean", "lo", "hi", "verdict"]].round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
