"""The checkpoint study's report: reads every studied checkpoint's records and writes the
analysis (:mod:`reprise.checkpoints.analysis`) and the figures
(:mod:`reprise.checkpoints.figures`) under ``results/checkpoints/``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reprise.checkpoints.analysis import (checkpoint_roles, correlations, finding, finding_statement, markdown_summary, role_labels, scores_in,
                                          score_series, spectral_evolution, spectral_series, spectral_table, trajectory_series,
                                          trajectory_summary)
from reprise.checkpoints.findings import checkpoint_findings
from reprise.checkpoints.figures import embeddings, plot_scores, plot_spectral, plot_trajectory, plot_tsne
from reprise.checkpoints.records import CheckpointStudy
from reprise.core.artifacts import write_csv, write_json, write_text


def write_report(studies: dict[int, CheckpointStudy], target: str, labels_per_class: int, perplexity: float, out_dir: str | Path) -> str:
    """Write the whole report under ``out_dir`` and return the finding as a sentence.

    ``metrics.json`` (setup, finding, trajectory per epoch, spectral table, correlations of
    every score with FT and with FE), ``headline.json`` (the finding's five numbers, a DVC metric), ``summary.md`` (the same as tables), the DVC plot series
    ``trajectory.csv``, ``spectral.csv``, ``scores.csv``, the figures ``trajectory.png``,
    ``spectral.png``, ``scores.png``, ``tsne.png``, every checkpoint's per-seed rows ``seeds.csv``
    (so that anyone can recompute an interval) and the paper's claims as ``findings.csv``
    (:func:`reprise.checkpoints.findings.checkpoint_findings`).
    """
    out = Path(out_dir)
    seeds = pd.concat([s.seeds for s in studies.values()], ignore_index=True)
    spectral = pd.concat([s.spectral for s in studies.values()], ignore_index=True)
    summary = trajectory_summary(seeds)
    found = finding(seeds)
    statement = finding_statement(found, summary)
    evolution = spectral_evolution(spectral)
    roles = checkpoint_roles(found)
    table = spectral_table(summary, evolution, roles)
    corr, corr_fe = correlations(seeds, "ft_acc"), correlations(seeds, "fe_acc")
    setup = {"target": target, "labels_per_class": labels_per_class, "train_images": int(seeds["train_images"].iloc[0]),
             "test_images": int(seeds["test_images"].iloc[0]), "seeds": sorted(seeds["seed"].unique().tolist()), "epochs": found["epochs"]}
    trajectory = {f"epoch_{int(r['epoch'])}": {k: r[k] for k in ("source", "fe", "fe_std", "ft", "ft_std", *scores_in(summary))} for _, r in summary.iterrows()}
    metrics = {"setup": setup, "finding": found, "trajectory": trajectory, "spectral": table,
               "transferability_vs_ft": corr, "transferability_vs_fe": corr_fe}
    write_json(metrics, out / "metrics.json", digits=4)
    headline = ("best_fe_epoch", "best_ft_epoch", "holds", "fe_gap_best_minus_last", "ft_gain_last_minus_best_fe")
    write_json({key: found[key] for key in headline}, out / "headline.json", digits=4)  # what dvc exp show carries

    write_csv(seeds, out / "seeds.csv")
    write_csv(checkpoint_findings(seeds, target, f"{labels_per_class} labels a class"), out / "findings.csv")
    write_csv(trajectory_series(summary), out / "trajectory.csv")
    write_csv(spectral_series(evolution), out / "spectral.csv")
    write_csv(score_series(summary), out / "scores.csv")
    plot_trajectory(summary, seeds, out / "trajectory.png", f"{target}, {labels_per_class} labels a class, {len(setup['seeds'])} seeds")
    plot_spectral(table, evolution, out / "spectral.png")
    plot_scores(summary, corr, out / "scores.png")
    labels = role_labels(roles)
    points = embeddings(studies, labels, perplexity)
    accuracy = {(epoch, model): float(summary.set_index("epoch").loc[epoch, key]) for epoch in labels for model, key in (("pretrained", "fe"), ("finetuned", "ft"))}
    plot_tsne(points, accuracy, out / "tsne.png")
    write_text(markdown_summary(summary, statement, table, evolution, corr, corr_fe, setup), out / "summary.md")
    return statement
