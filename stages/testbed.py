"""testbed EXPERIMENT: one of the UOT paper's experiments on the testbed (suite/dvc.yaml), resumable:
rerun after an interruption, it keeps the runs already finished under the same code, params and
inputs (see reprise.reuse.suite)."""

import sys
from pathlib import Path

from reprise.core import layout
from reprise.core.artifacts import read_csv, read_parquet, write_csv
from reprise.core.errors import InputError
from reprise.core.stage import run_stage
from reprise.reuse import suite


def main(params: dict) -> None:
    if len(sys.argv) != 2:
        raise InputError(f"usage: python -m stages.testbed EXPERIMENT (one of {', '.join(suite.EXPERIMENTS)})")
    experiment, cfg = sys.argv[1], suite.load_testbed()
    tuned = None if experiment == "tuning" else read_csv(suite.TUNED)
    runs = suite.plan(experiment, cfg, read_parquet(f"{layout.means('class')}.parquet")["concept"].tolist(), tuned)
    context = suite.context_for(params, cfg)
    context.cluster(runs, params)
    inputs = [Path("reprise"), Path("stages/testbed.py"), Path(layout.PRETRAIN_DIR), Path(layout.POOL_FEATURES), Path(layout.MEANS_DIR),
              Path(f"{layout.POOL_TABLE}.npy"), *([Path(suite.TUNED)] if tuned is not None else []),
              *([Path(suite.CONTRASTIVE_DIR)] if experiment == "table1b" else [])]
    partial = Path(suite.PARTIAL_DIR) / f"{experiment}.csv"
    rows = suite.run_experiment(runs, context, partial, suite.fingerprint(context, params, inputs), cfg["workers"])
    write_csv(rows, suite.results(experiment))
    if experiment == "tuning":
        write_csv(suite.chosen(rows, cfg["tuning"]["shared"]), suite.TUNED)
    partial.unlink(missing_ok=True)
    print(rows.groupby(["target", "setting", "method"], sort=False)["top1"].agg(["mean", "std", "count"]).round(2).to_string())


if __name__ == "__main__":
    run_stage(main)
