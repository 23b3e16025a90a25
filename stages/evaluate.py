"""evaluate: target top-1 of the baseline and reuse runs, selection recall, and the plots."""

from reprise.core.artifacts import read_csv, read_json, read_parquet, write_csv, write_json
from reprise.core.device import pick_device
from reprise.core.images import ImageTable, configure_loading
from reprise.core.layout import POOL_TABLE, TARGET_META, TARGET_TEST_TABLE
from reprise.core.sections import DEVICE, LoaderSettings
from reprise.core.stage import run_stage
from reprise.reuse.evaluation import evaluate_reuse, plot_curves, plot_p1, test_accuracy
from reprise.reuse.layout import CURVES, CURVES_PLOT, FINETUNE_RUNS, MANIFEST, METRICS, P1_PLOT, P1_PLOT_DATA, SCORES, SOLVER, finetune_dir
from reprise.reuse.settings import SelectSettings
from reprise.reuse.units import unit_table

READS = (LoaderSettings, DEVICE, SelectSettings.keys("method", "unit"))


def main(p) -> None:
    configure_loading(p.loader)
    s = p.select
    device = pick_device(p.device)
    test = ImageTable.read(TARGET_TEST_TABLE)
    meta = read_json(TARGET_META)
    result = evaluate_reuse(
        top1={run: test_accuracy(f"{finetune_dir(run)}/model.pt", test, device) for run in FINETUNE_RUNS},
        logs={run: read_csv(f"{finetune_dir(run)}/log.csv") for run in FINETUNE_RUNS},
        scores=read_parquet(SCORES), units=unit_table(s.unit), manifest=read_parquet(MANIFEST), pool=read_parquet(f"{POOL_TABLE}.parquet"),
        target_concept=meta["concept"], method=s.method, unit=s.unit, solver=read_json(SOLVER),
    )
    write_json(result.metrics, METRICS)
    write_csv(result.curves, CURVES)
    write_csv(result.p1, P1_PLOT_DATA)
    plot_curves(result.curves, CURVES_PLOT)
    title = f"{s.method} scores of the source {s.unit} units for {meta['name']} (target concept: {meta['concept']})"
    plot_p1(result.p1, P1_PLOT, meta["concept"], title)
    print(result.metrics)


if __name__ == "__main__":
    run_stage(main, READS)
