"""zoo_report: how well each transferability score picks the zoo member to fine-tune."""

import pandas as pd

from reprise.core.artifacts import read_parquet, write_csv, write_json
from reprise.core.stage import run_stage
from reprise.zoo.findings import zoo_findings
from reprise.zoo.layout import ZOO_RESULTS, zoo_finetune, zoo_scores
from reprise.zoo.members import domain_members
from reprise.zoo.report import (domain_selection, headline_metrics, plot_gain_heatmap, plot_rankings, report_metrics, score_cost, selection_table,
                                summarise)
from reprise.zoo.settings import ZooSettings

READS = (ZooSettings.keys("members", "default", "multidomain.domains"),)


def main(p) -> None:
    zoo = p.zoo
    scores = pd.concat([read_parquet(zoo_scores(m)) for m in zoo.members])
    runs = pd.concat([read_parquet(zoo_finetune(m)) for m in zoo.members])
    per_target = selection_table(scores, runs, zoo.default)
    summary = summarise(per_target)
    domains = domain_selection(scores, runs, zoo.default, domain_members(zoo.members, zoo.multidomain.domains))
    write_csv(runs, f"{ZOO_RESULTS}/accuracy.csv")
    write_csv(scores, f"{ZOO_RESULTS}/scores.csv")
    write_csv(per_target, f"{ZOO_RESULTS}/selection_per_target.csv")
    write_csv(summary, f"{ZOO_RESULTS}/selection.csv")
    write_csv(domains, f"{ZOO_RESULTS}/multidomain.csv")
    write_csv(score_cost(scores, runs, zoo.default), f"{ZOO_RESULTS}/cost.csv")
    write_csv(zoo_findings(per_target, domains), f"{ZOO_RESULTS}/findings.csv")
    metrics = report_metrics(summary, domains)
    write_json(metrics, f"{ZOO_RESULTS}/metrics.json", digits=4)
    write_json(headline_metrics(metrics), f"{ZOO_RESULTS}/headline.json", digits=4)
    plot_gain_heatmap(per_target, f"{ZOO_RESULTS}/top3_gain.png")
    plot_rankings(summary, f"{ZOO_RESULTS}/rankings.png")
    print(summary.round(3).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
