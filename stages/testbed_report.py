"""testbed_report: the suite's paired comparisons, summary and figures (results/testbed)."""

import pandas as pd

from reprise.core.artifacts import read_csv, write_csv
from reprise.core.stage import run_stage
from reprise.reuse import suite, suite_report


def main(params: dict) -> None:
    table = pd.concat([read_csv(suite.results(e)) for e in suite.EXPERIMENTS if e != "tuning"], ignore_index=True)
    comparison = suite_report.paired(table)
    write_csv(suite_report.summary(table), f"{suite.RESULTS_DIR}/summary.csv")
    write_csv(comparison, f"{suite.RESULTS_DIR}/paired.csv")
    suite_report.plot_paired(comparison, ["table1", "table1b", "long_tail"], f"{suite.RESULTS_DIR}/tables.png")
    suite_report.plot_sweeps(table, f"{suite.RESULTS_DIR}/sweeps.png")
    verdicts = comparison[comparison["experiment"] == "table1"][["target", "method", "against", "mean", "boot_low", "boot_high", "verdict"]]
    print(verdicts.round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
