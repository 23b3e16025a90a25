"""testbed_report: the suite's paired comparisons, summary and figures (results/testbed)."""

import pandas as pd

from reprise.core.artifacts import read_csv, write_csv
from reprise.core.stage import run_stage
from reprise.reuse.findings import paired_comparisons, testbed_findings
from reprise.reuse.suite.layout import RESULTS_DIR, results
from reprise.reuse.suite.plan import EXPERIMENTS
from reprise.reuse.suite.report import paired, plot_paired, plot_sweeps, summary

READS = ()


def main(p) -> None:
    table = pd.concat([read_csv(results(e)) for e in EXPERIMENTS if e != "tuning"], ignore_index=True)
    comparisons = paired_comparisons(table)  # every reference the findings need, once
    comparison = paired(comparisons)
    write_csv(summary(table), f"{RESULTS_DIR}/summary.csv")
    write_csv(comparison, f"{RESULTS_DIR}/paired.csv")
    write_csv(testbed_findings(comparisons), f"{RESULTS_DIR}/findings.csv")
    plot_paired(comparison, ["table1", "table1b", "long_tail"], f"{RESULTS_DIR}/tables.png")
    plot_sweeps(table, f"{RESULTS_DIR}/sweeps.png")
    verdicts = comparison[comparison["experiment"] == "table1"][["target", "method", "against", "mean", "boot_low", "boot_high", "verdict"]]
    print(verdicts.round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
