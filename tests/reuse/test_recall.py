"""Concept recall: the paper's Table 4 from its own class means, and the pipeline's selection metrics."""

import numpy as np
import pandas as pd
import pytest

from builders import clustered
from reprise.core.errors import InputError
from reprise.reuse.recall import concept_recall, eps_c_sweep, recall, recall_table, selection_metrics


@pytest.mark.parametrize(
    "model,method,cost,eps_c,expected",
    [
        # Table 4 of the paper: bird classes among the top 100 for CUB, out of 59.
        ("supervised_resnet18", "uot", "cos", 0.01, 58),  # 98.31
        ("mocov2_resnet50", "uot", "cos", 0.01, 55),  # 93.22
        ("supervised_resnet18", "greedy", "l2", 1.0, 51),  # 86.44
        ("supervised_resnet18", "greedy", "cos", 1.0, 56),  # 94.92
        ("mocov2_resnet50", "greedy", "l2", 1.0, 10),  # 16.95
        ("mocov2_resnet50", "greedy", "cos", 1.0, 23),  # 38.98
        ("supervised_resnet18", "uot", "l2", 0.1, 56),  # 94.92
        ("mocov2_resnet50", "uot", "l2", 0.1, 10),  # 16.95
    ],
)
def test_paper_table4_cub_bird_recall(paper_means, model, method, cost, eps_c, expected):
    classes = pd.read_csv(paper_means / "imagenet_classes.csv")
    source = np.load(paper_means / model / "imagenet_means.npy")
    target = np.load(paper_means / model / "cub_means.npy")
    hits, total = concept_recall(source, target, (classes["concept"] == "bird").to_numpy(), 100, method, cost, eps_c)
    assert total == 59
    assert hits == expected


def test_recall_table_and_sweep_find_the_near_units():
    source, target = clustered(3)
    relevant = np.arange(len(source)) < 10  # units 0..9 sit next to the target
    table = recall_table(source, target, relevant, 10, 0.01)
    assert table[["method", "cost"]].values.tolist() == [["greedy", "cos"], ["greedy", "l2"], ["uot", "cos"], ["uot", "l2"]]
    assert (table["recall"] == 100.0).all() and (table["relevant"] == 10).all()
    sweep = eps_c_sweep(source, target, relevant, 10, [0.01, 1.0])
    assert len(sweep) == 4 and (sweep["greedy_recall"] == 100.0).all()
    assert recall(np.array([0, 0, 12]), relevant) == (1, 10)  # a unit counts once
    with pytest.raises(InputError, match="no source unit has the concept"):
        concept_recall(source, target, np.zeros(len(source), bool), 10, "uot", "cos", 0.01)


def test_selection_metrics_count_classes_for_class_units_and_images_otherwise():
    pool = pd.DataFrame({"label": [0, 0, 1, 1, 2, 2], "concept": ["digit", "digit", "digit", "digit", "latin", "latin"]})
    units = pd.DataFrame({"unit": [0, 1, 2], "name": ["0", "1", "A"], "count": 2, "concept": ["digit", "digit", "latin"]})
    manifest = pd.DataFrame({"row": [0, 1, 4, 5], "unit": [0, 0, 2, 2]})
    by_class = selection_metrics(manifest, pool, units, "class", "digit")
    assert by_class == {"units_selected": 2, "images_selected": 4, "precision": 0.5, "recall": 0.5}  # 1 of the 2 digit classes
    images = selection_metrics(pd.DataFrame({"row": [0, 2, 5], "unit": [0, 2, 5]}), pool, units, "image", "digit")
    assert images["recall"] == 0.5 and images["precision"] == pytest.approx(2 / 3)  # 2 of the 4 digit images
    assert selection_metrics(manifest, pool, units, "class", None) == {"units_selected": 2, "images_selected": 4}
