"""evaluate: target top-1 of the baseline and reuse runs, selection recall, and the plots."""

import pandas as pd

from reprise import layout
from reprise.artifacts import read_json, read_parquet, write_json
from reprise.device import pick_device
from reprise.evaluate import plot_curves, plot_p1, selection_metrics, test_accuracy
from reprise.images import ImageTable
from reprise.params import section
from reprise.stage import run_stage
from reprise.units import image_units


def main(params: dict) -> None:
    s = section(params, "select")
    device = pick_device(params["device"])
    test = ImageTable.read(layout.TARGET_TEST_TABLE)
    meta = read_json(layout.TARGET_META)
    top1 = {run: test_accuracy(f"{layout.FINETUNE_DIR}/{run}/model.pt", test, device) for run in ("baseline", "reuse")}

    pool = read_parquet(f"{layout.POOL_TABLE}.parquet")
    units = image_units(pool) if s["unit"] == "image" else read_parquet(f"{layout.MEANS_DIR}/{s['unit']}.parquet")
    scores = read_parquet(layout.SCORES).merge(units.drop(columns=["name"]), on="unit")
    selection = selection_metrics(read_parquet(layout.MANIFEST), pool, units, s["unit"], meta["concept"])
    metrics = {
        "top1": {run: round(100 * acc, 2) for run, acc in top1.items()},
        "gain": round(100 * (top1["reuse"] - top1["baseline"]), 2),
        "selection": {"method": s["method"], "unit": s["unit"], **selection},
        "solver": read_json(layout.SOLVER),
    }
    write_json(metrics, layout.METRICS)

    curves = pd.concat([pd.read_csv(f"{layout.FINETUNE_DIR}/{run}/log.csv").assign(run=run) for run in top1])
    curves.to_csv(layout.CURVES, index=False)
    scores.sort_values("rank").to_csv(layout.P1_PLOT, index=False)
    plot_curves(curves, layout.CURVES.replace(".csv", ".png"))
    title = f"{s['method']} scores of the source {s['unit']} units for {meta['name']} (target concept: {meta['concept']})"
    plot_p1(scores, layout.P1_PLOT.replace(".csv", ".png"), meta["concept"], title)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
