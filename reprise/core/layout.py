"""Where the artifacts every study shares live, relative to the repository root: the source pool,
the target, the pre-trained backbone, and the state of unfinished runs. Each study keeps its own
paths in its ``layout`` module (:mod:`reprise.reuse.layout`, :mod:`reprise.zoo.layout`,
:mod:`reprise.checkpoints.layout`), so that moving one study's files reruns no other study.
``*_TABLE`` values are prefixes of image tables: ``.parquet`` index (+ ``.npy`` pixels).
``docs/artifacts.md`` documents every file's columns; ``dvc.yaml`` names the same paths."""

from __future__ import annotations

POOL_TABLE = "data/world/pool"            # source pool: label, class_name, concept, image|path
POOL_VAL_TABLE = "data/world/pool_val"    # held-out pool images (source accuracy of checkpoints)
TARGET_TRAIN_TABLE = "data/target/train"  # labelled target images: label, class_name, image|path
TARGET_TEST_TABLE = "data/target/test"
TARGET_META = "data/target/meta.json"     # name, concept, class_names

PRETRAIN_DIR = "data/pretrain"            # epoch_NNN.pt checkpoints
PRETRAIN_LOG = "data/pretrain/log.csv"    # epoch, lr, train_loss, train_acc, val_acc
LIVE_DIR = "results/live"                 # <run>/: a training run's curves through DVCLive (metrics.json, plots/metrics/*.tsv)
RESUME_DIR = "data/resume"                # <stage>/state.pt: an unfinished training run (reprise.core.resume); no stage output

FINDINGS = "results/findings.csv"     # every study's findings: study, claim, comparison, target, setting, runs, mean, lo, hi, verdict
FINDINGS_TEXT = "results/findings.md"  # the same, rendered (reprise.core.findings.render_markdown)
