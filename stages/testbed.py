"""testbed EXPERIMENT: one of the UOT paper's experiments on the testbed (suite/dvc.yaml), resumable:
rerun after an interruption, it keeps the runs already finished under the same code, settings and
inputs (reprise.reuse.suite.execution)."""

import sys
from pathlib import Path

from reprise.core.artifacts import read_csv, read_parquet, write_csv
from reprise.core.device import pick_device
from reprise.core.layout import POOL_TABLE
from reprise.core.sections import DEVICE, FinetuneSettings
from reprise.core.stage import run_stage
from reprise.reuse.settings import ClusterSettings, ExtractSettings, SelectSettings, UotSettings
from reprise.reuse.suite.execution import context_for, experiment_inputs, fingerprint, run_experiment
from reprise.reuse.suite.layout import PARTIAL_DIR, TUNED, results
from reprise.reuse.suite.plan import CLUSTER_EXPERIMENTS, EXPERIMENTS, plan
from reprise.reuse.suite.settings import TestbedSettings
from reprise.reuse.suite.tuning import chosen

RUNS = (TestbedSettings, DEVICE, ExtractSettings.keys("layer"), FinetuneSettings.keys("epochs", "batch_size", "momentum", "weight_decay"),
        UotSettings, SelectSettings.keys("k", "greedy_cost"))
READS = {e: (*RUNS, ClusterSettings) if e in CLUSTER_EXPERIMENTS else RUNS for e in EXPERIMENTS}  # by the experiment


def main(p) -> None:
    experiment, cfg = sys.argv[1], p.testbed
    tuned = None if experiment == "tuning" else read_csv(TUNED)
    pool = read_parquet(f"{POOL_TABLE}.parquet").drop_duplicates("label").sort_values("label")
    runs = plan(experiment, cfg, pool["concept"].tolist(), tuned)
    context = context_for(cfg, p.extract, p.finetune, p.uot, p.select, p.cluster if experiment in CLUSTER_EXPERIMENTS else None, pick_device(p.device))
    context.make_clusters(runs)
    partial = Path(PARTIAL_DIR) / f"{experiment}.csv"
    rows = run_experiment(runs, context, partial, fingerprint(context, experiment_inputs(experiment)), cfg.workers)
    write_csv(rows, results(experiment))
    if experiment == "tuning":
        write_csv(chosen(rows, cfg.tuning.shared), TUNED)
    partial.unlink(missing_ok=True)
    print(rows.groupby(["target", "setting", "method"], sort=False)["top1"].agg(["mean", "std", "count"]).round(2).to_string())


if __name__ == "__main__":
    run_stage(main, READS)
