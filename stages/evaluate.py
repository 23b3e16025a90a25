"""evaluate: target top-1 of the baseline and reuse runs, selection recall, and the plots."""

from reprise.core import layout
from reprise.core.artifacts import read_csv, read_json, read_parquet, write_csv, write_json
from reprise.core.device import pick_device
from reprise.core.images import ImageTable, configure_loading
from reprise.core.params import section
from reprise.core.stage import run_stage
from reprise.reuse.evaluation import evaluate_reuse, plot_curves, plot_p1, test_accuracy
from reprise.reuse.units import unit_table


def main(params: dict) -> None:
    configure_loading(section(params, "loader"))
    s = section(params, "select")
    device = pick_device(params["device"])
    test = ImageTable.read(layout.TARGET_TEST_TABLE)
    meta = read_json(layout.TARGET_META)
    runs = layout.FINETUNE_RUNS
    result = evaluate_reuse(
        top1={run: test_accuracy(f"{layout.finetune_dir(run)}/model.pt", test, device) for run in runs},
        logs={run: read_csv(f"{layout.finetune_dir(run)}/log.csv") for run in runs},
        scores=read_parquet(layout.SCORES),
        units=unit_table(s["unit"]),
        manifest=read_parquet(layout.MANIFEST),
        pool=read_parquet(f"{layout.POOL_TABLE}.parquet"),
        target_concept=meta["concept"],
        method=s["method"],
        unit=s["unit"],
        solver=read_json(layout.SOLVER),
    )
    write_json(result.metrics, layout.METRICS)
    write_csv(result.curves, layout.CURVES)
    write_csv(result.p1, layout.P1_PLOT_DATA)
    plot_curves(result.curves, layout.CURVES_PLOT)
    title = f"{s['method']} scores of the source {s['unit']} units for {meta['name']} (target concept: {meta['concept']})"
    plot_p1(result.p1, layout.P1_PLOT, meta["concept"], title)
    print(result.metrics)


if __name__ == "__main__":
    run_stage(main)
