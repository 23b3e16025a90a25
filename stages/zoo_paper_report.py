"""zoo_paper_report: the zoo in the paper's regime over its pre-training runs (suite/dvc.yaml):
every run's rows (results/zoo_paper/accuracy.csv and scores.csv, with pretrain_seed), how well each
score picks the member to fine-tune in each run (selection_per_target.csv, multidomain.csv,
selection.csv), every score's time on the largest target (cost.csv), the paper's claims paired over runs (findings.csv) and the figures."""

import pandas as pd

from reprise.core.artifacts import read_csv, write_csv
from reprise.core.stage import run_stage
from reprise.zoo.findings import zoo_findings
from reprise.zoo.layout import PAPER_ZOO_RESULTS, paper_zoo_accuracy, paper_zoo_scores
from reprise.zoo.members import domain_members
from reprise.zoo.report import plot_gain_heatmap, plot_rankings, score_cost, selection_over_runs, summarise
from reprise.zoo.settings import PaperZooSettings, ZooSettings

READS = (PaperZooSettings.keys("pretrain_seeds"), ZooSettings.keys("members", "default", "multidomain.domains"))


def main(p) -> None:
    zoo, seeds = p.zoo, p.zoo_paper.pretrain_seeds
    scores = pd.concat([read_csv(paper_zoo_scores(seed)) for seed in seeds], ignore_index=True)
    runs = pd.concat([read_csv(paper_zoo_accuracy(seed)) for seed in seeds], ignore_index=True)
    per_target, domains = selection_over_runs(scores, runs, zoo.default, domain_members(zoo.members, zoo.multidomain.domains))
    summary = summarise(per_target)
    write_csv(runs, f"{PAPER_ZOO_RESULTS}/accuracy.csv")
    write_csv(scores, f"{PAPER_ZOO_RESULTS}/scores.csv")
    write_csv(per_target, f"{PAPER_ZOO_RESULTS}/selection_per_target.csv")
    write_csv(summary, f"{PAPER_ZOO_RESULTS}/selection.csv")
    write_csv(domains, f"{PAPER_ZOO_RESULTS}/multidomain.csv")
    write_csv(score_cost(scores, runs, zoo.default), f"{PAPER_ZOO_RESULTS}/cost.csv")
    found = zoo_findings(per_target, domains)
    write_csv(found, f"{PAPER_ZOO_RESULTS}/findings.csv")
    plot_gain_heatmap(per_target, f"{PAPER_ZOO_RESULTS}/top3_gain.png")
    plot_rankings(summary, f"{PAPER_ZOO_RESULTS}/rankings.png")
    print(found[["claim", "comparison", "setting", "mean", "lo", "hi", "verdict"]].round(2).to_string(index=False))


if __name__ == "__main__":
    run_stage(main, READS)
