"""zoo_report: how well each transferability score picks the zoo member to fine-tune."""

import pandas as pd

from reprise.core import layout
from reprise.core.artifacts import read_parquet, write_csv, write_json
from reprise.core.errors import InputError
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.zoo.members import parse_member
from reprise.zoo.report import domain_selection, headline_metrics, plot_gain_heatmap, plot_rankings, report_metrics, selection_table, summarise


def main(params: dict) -> None:
    zoo = section(params, "zoo")
    members = list(zoo["members"])
    if zoo["default"] not in members:
        raise InputError(f"zoo.default {zoo['default']!r} is not a zoo member ({', '.join(members)})")
    scores = pd.concat([read_parquet(layout.zoo_scores(m)) for m in members])
    runs = pd.concat([read_parquet(layout.zoo_finetune(m)) for m in members])
    per_target = selection_table(scores, runs, zoo["default"])
    summary = summarise(per_target)
    domain_members = [m for m, spec in zoo["members"].items() if parse_member(m, spec, zoo["multidomain"]["domains"]).domain is not None]
    domains = domain_selection(scores, runs, zoo["default"], domain_members)
    out = layout.ZOO_RESULTS
    write_csv(runs, f"{out}/accuracy.csv")
    write_csv(scores, f"{out}/scores.csv")
    write_csv(per_target, f"{out}/selection_per_target.csv")
    write_csv(summary, f"{out}/selection.csv")
    write_csv(domains, f"{out}/multidomain.csv")
    metrics = report_metrics(summary, domains)
    write_json(metrics, f"{out}/metrics.json", digits=4)
    write_json(headline_metrics(metrics), f"{out}/headline.json", digits=4)
    plot_gain_heatmap(per_target, f"{out}/top3_gain.png")
    plot_rankings(summary, f"{out}/rankings.png")
    print(summary.round(3).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
