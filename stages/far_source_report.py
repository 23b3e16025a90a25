"""far_source_report: the far-source experiment's per-run rows (results/far_source/seeds.csv), the
paper's claims on it (findings.csv, paired over pre-training runs), its figure (trajectory.png) and
how well each transferability score ranks the checkpoints against FT and FE (score_ranking.csv,
with the per-run τ in score_ranking_runs.csv)."""

import pandas as pd

from reprise.checkpoints.figures import plot_far_source
from reprise.checkpoints.findings import far_source_findings
from reprise.checkpoints.layout import FAR_SOURCE_RESULTS, FAR_SOURCE_SCORES, far_source_rows
from reprise.checkpoints.ranking import run_taus, tau_summary
from reprise.checkpoints.settings import CheckpointSettings, FarSourceSettings
from reprise.core.artifacts import read_csv, write_csv
from reprise.core.stage import run_stage

READS = (FarSourceSettings.keys("checkpoints"), CheckpointSettings.keys("target"))


def main(p) -> None:
    rows = pd.concat([read_csv(far_source_rows(epoch)) for epoch in p.far_source.checkpoints], ignore_index=True)
    rows = rows.sort_values(["source", "pretrain_seed", "epoch"], kind="stable").reset_index(drop=True)
    write_csv(rows, f"{FAR_SOURCE_RESULTS}/seeds.csv")
    found = far_source_findings(rows, p.checkpoints.target)
    write_csv(found, f"{FAR_SOURCE_RESULTS}/findings.csv")
    plot_far_source(rows, f"{FAR_SOURCE_RESULTS}/trajectory.png")
    taus = run_taus(rows, read_csv(FAR_SOURCE_SCORES))
    write_csv(taus, f"{FAR_SOURCE_RESULTS}/score_ranking_runs.csv")
    write_csv(tau_summary(taus), f"{FAR_SOURCE_RESULTS}/score_ranking.csv")
    print(found[["comparison", "setting", "mean", "lo", "hi", "verdict"]].round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
