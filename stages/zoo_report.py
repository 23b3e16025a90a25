"""zoo_report: how well each transferability score picks the zoo member to fine-tune."""

import pandas as pd

from reprise import layout
from reprise.artifacts import read_parquet, write_csv, write_json
from reprise.errors import InputError
from reprise.params import section
from reprise.stage import run_stage
from reprise.zoo_report import plot_gain_heatmap, plot_rankings, selection_table, summarise


def main(params: dict) -> None:
    zoo = section(params, "zoo")
    members = list(zoo["members"])
    if zoo["default"] not in members:
        raise InputError(f"zoo.default {zoo['default']!r} is not a zoo member ({', '.join(members)})")
    scores = pd.concat([read_parquet(f"{layout.ZOO_DIR}/scores/{m}.parquet") for m in members])
    accuracy = pd.concat([read_parquet(f"{layout.ZOO_DIR}/finetune/{m}.parquet") for m in members])
    per_target = selection_table(scores, accuracy, zoo["default"])
    summary = summarise(per_target)
    out = layout.ZOO_RESULTS
    write_csv(accuracy, f"{out}/accuracy.csv")
    write_csv(scores, f"{out}/scores.csv")
    write_csv(per_target, f"{out}/selection_per_target.csv")
    write_csv(summary, f"{out}/selection.csv")
    metrics = {
        regime: {row["score"]: {k: round(float(row[k]), 4) for k in ("spearman", "trials_to_best", "top_gain", "relative_cost")} for _, row in part.iterrows()}
        for regime, part in summary.groupby("regime")
    }
    write_json(metrics, f"{out}/metrics.json")
    plot_gain_heatmap(per_target, f"{out}/top3_gain.png")
    plot_rankings(summary, f"{out}/rankings.png")
    print(summary.round(3).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
