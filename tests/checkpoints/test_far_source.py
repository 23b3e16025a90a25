"""The far-source checkpoint experiment (reprise.checkpoints.far_source): its sources, label noise,
held-out numbering, and the paper's claims paired over pre-training runs."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reprise.checkpoints.far_source import ROW, far_source_study, finetune_seed, held_out, source_table
from reprise.checkpoints.findings import far_source_findings
from reprise.checkpoints.settings import CheckpointSettings, FarSourceSettings
from reprise.core.errors import InputError
from reprise.core.images import ImageTable

CONCEPTS = ["digit"] * 3 + ["arrow"] * 4 + ["math_symbol"] * 5  # 12 classes


def _pool(per_class: int) -> ImageTable:
    labels = np.repeat(np.arange(len(CONCEPTS)), per_class)
    index = pd.DataFrame({"label": labels, "class_name": [f"c{label}" for label in labels], "concept": [CONCEPTS[label] for label in labels],
                          "image": np.arange(len(labels))})
    return ImageTable(index, np.zeros((len(labels), 32, 32), dtype=np.uint8))


def test_a_source_is_its_concepts_classes_renumbered_with_the_asked_share_of_labels_moved_to_another_class():
    table = source_table(_pool(50), ["arrow", "math_symbol"], 40, 0.4, seed=0)
    assert len(table) == 9 * 40 and set(table.index["concept"]) == {"arrow", "math_symbol"}
    assert sorted(table.index["true_label"].unique()) == list(range(9)) and table.num_classes == 9
    moved = table.index["label"] != table.index["true_label"]
    assert 0.33 < moved.mean() < 0.47  # about 40% of 360
    assert table.index["label"].between(0, 8).all()
    assert table.index.groupby("true_label")["class_name"].nunique().eq(1).all()
    clean = source_table(_pool(50), ["arrow", "math_symbol"], 40, 0.0, seed=0)
    assert (clean.index["label"] == clean.index["true_label"]).all()
    assert source_table(_pool(50), ["arrow"], 40, 0.4, seed=0).index["label"].equals(source_table(_pool(50), ["arrow"], 40, 0.4, seed=0).index["label"])
    assert not source_table(_pool(50), ["arrow"], 40, 0.4, seed=1).index["label"].equals(source_table(_pool(50), ["arrow"], 40, 0.4, seed=0).index["label"])


@pytest.mark.parametrize("concepts, per_class, message", [
    (["arrow", "latin_upper"], 10, "no class of the concept 'latin_upper'"),
    (["arrow"], 80, "images_per_class is 80 but the pool class"),
])
def test_a_source_the_pool_cannot_give_is_a_clear_error(concepts, per_class, message):
    with pytest.raises(InputError, match=message):
        source_table(_pool(50), concepts, per_class, 0.0, seed=0)


def test_held_out_images_are_numbered_as_the_source_numbers_its_classes():
    source = source_table(_pool(10), ["math_symbol"], 5, 0.5, seed=0)
    val = held_out(_pool(2), source)
    assert len(val) == 5 * 2 and (val.index["label"].to_numpy() == val.index["class_name"].str[1:].astype(int).to_numpy() - 7).all()


def _rows(fe_middle_gain: float, runs=(0, 1, 2)) -> pd.DataFrame:
    rows, rng = [], np.random.default_rng(0)
    for seed, run in enumerate(runs):
        for epoch, fe, ft, fm, fr in ((1, 80, 90, 70, 20), (5, 80 + fe_middle_gain, 92, 60, 30), (200, 80, 95, 50, 40)):
            noise = rng.normal(0, 0.3, 6)
            rows.append(dict(zip(ROW, ["symbols", run, seed, epoch, 100.0 if epoch == 200 else 50.0, 30.0, fe + noise[0], ft + noise[1],
                                        fm + noise[2], fr + noise[3], 0.0, 0.0])))
    return pd.DataFrame(rows)


def test_the_papers_claims_are_paired_over_pre_training_runs_and_name_the_regime():
    found = far_source_findings(_rows(10.0), "mnist")
    assert found["comparison"].tolist() == ["FE@5 − FE@200", "FT@200 − FT@5", "F_m FE@1 − F_m FE@200", "F_r FE@200 − F_r FE@1"]
    assert (found["verdict"] == "beats").all() and (found["pretrain_runs"] == 3).all() and (found["runs"] == 3).all()
    assert found["setting"].str.contains("source training top-1 100.0% at epoch 200").all()
    flat = far_source_findings(_rows(0.0), "mnist")
    assert flat.loc[0, "verdict"] == "within noise"
    assert far_source_findings(_rows(10.0, runs=(0,)), "mnist").empty  # one pre-training run tests nothing


def test_every_run_has_its_own_fine_tuning_seed_and_the_study_is_the_checkpoint_studys_with_the_far_source_length():
    cfg = FarSourceSettings.parse({"sources": {"s": {"concepts": ["arrow"], "label_noise": 0.0}}, "images_per_class": 5, "epochs": 10,
                                   "checkpoints": [10, 1], "pretrain_seeds": [4, 7, 2], "finetune_epochs": 100})
    assert [finetune_seed(cfg, p) for p in cfg.pretrain_seeds] == [0, 1, 2] and cfg.checkpoints == [1, 10]
    checkpoints = CheckpointSettings.parse({
        "epochs": [1], "target": "target", "labels_per_class": 100, "test_per_class": None, "seeds": [0],
        "classifier": {"lr": 0.01, "batch_size": 128, "fe_epochs": 100, "spectral_epochs": 50},
        "finetune": {"epochs": 20, "batch_size": 32, "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0005},
        "spectral_threshold": 0.8, "embedding_points": 10, "tsne_perplexity": 30, "lgc_projection_dim": 64, "ds_min_count": 5})
    with pytest.raises(InputError, match="embedded target"):
        far_source_study(checkpoints, 100)
    study = far_source_study(replace(checkpoints, target="mnist"), 100)
    assert (study.finetune.epochs, study.finetune.lr, study.labels_per_class, study.classifier.fe_epochs) == (100, 0.02, 100, 100)
