import numpy as np
import pandas as pd
import pytest
import torch

from reprise.__main__ import main as cli
from reprise.errors import InputError
from reprise.selection import score_units, scores_table, top_k


def concept_recall(paper_means, model: str, target: str, concept: str, method: str, cost: str, eps_c: float, k: int = 100) -> tuple[int, int]:
    classes = pd.read_csv(paper_means / "imagenet_classes.csv")
    source = np.load(paper_means / model / "imagenet_means.npy")
    target_means = np.load(paper_means / model / f"{target}_means.npy")
    hits = (classes["concept"] == concept).to_numpy()
    selected = top_k(score_units(source, target_means, method, cost=cost, eps_c=eps_c), k)
    return int(hits[selected].sum()), int(hits.sum())


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
    hits, total = concept_recall(paper_means, model, "cub", "bird", method, cost, eps_c)
    assert total == 59
    assert hits == expected


def test_float32_paper_features_give_the_same_cub_recall(paper_means):
    source = np.load(paper_means / "mocov2_resnet50" / "imagenet_means.npy").astype(np.float32)
    target = np.load(paper_means / "mocov2_resnet50" / "cub_means.npy").astype(np.float32)
    birds = (pd.read_csv(paper_means / "imagenet_classes.csv")["concept"] == "bird").to_numpy()
    scores = score_units(source, target)
    assert scores.solver["converged"]
    assert birds[top_k(scores, 100)].sum() == 55


def clustered(seed: int = 0, n_source: int = 60, n_target: int = 5, d: int = 8):
    """A pool where source units 0..9 sit next to the target units and the rest far away."""
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(n_target, d))
    near = target[rng.integers(0, n_target, 10)] + 0.05 * rng.normal(size=(10, d))
    far = rng.normal(size=(n_source - 10, d)) - 3.0 * np.sign(target.mean(0))
    return np.vstack([near, far]), target


@pytest.mark.parametrize("method,cost", [("uot", "cos"), ("uot", "l2"), ("greedy", "cos"), ("greedy", "l2")])
def test_similarity_methods_rank_near_units_first(method, cost):
    source, target = clustered()
    scores = score_units(source, target, method, cost=cost, eps_c=0.1)
    assert set(top_k(scores, 10).tolist()) == set(range(10))


def test_numpy_torch_and_streamed_inputs_agree(tmp_path):
    source, target = clustered(1, n_source=500)
    reference = score_units(source, target).scores
    as_torch = score_units(torch.tensor(source), torch.tensor(target)).scores
    streamed = score_units(source, target, block_rows=64).scores
    cached = score_units(source, target, block_rows=64, cost_cache=tmp_path / "cost.bin").scores
    np.save(tmp_path / "source.npy", source)
    memmapped = score_units(np.load(tmp_path / "source.npy", mmap_mode="r"), target, block_rows=100).scores
    for other in (as_torch, streamed, cached, memmapped):
        np.testing.assert_allclose(other, reference, rtol=1e-9)
    assert (tmp_path / "cost.bin").stat().st_size == 500 * 5 * 8


def test_greedy_is_minus_the_mean_cost():
    source, target = clustered(2)
    scores = score_units(source, target, "greedy", cost="l2", eps_c=1.0).scores[0]
    expected = -np.linalg.norm(source[:, None] - target[None], axis=2).mean(1)
    np.testing.assert_allclose(scores, expected, rtol=1e-9)


def test_batched_targets_equal_separate_calls():
    source, target = clustered(3, n_target=6)
    batched = score_units(source, [target[:2], target[2:], target])
    for b, part in enumerate((target[:2], target[2:], target)):
        np.testing.assert_allclose(batched.scores[b], score_units(source, part).scores[0], rtol=1e-9)


def test_random_is_seeded_and_label_selects_the_concept():
    source, target = clustered(4)
    first, again, other = (score_units(source, target, "random", seed=s).scores for s in (7, 7, 8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    concepts = ["digit" if i % 3 == 0 else "letter" for i in range(len(source))]
    label = score_units(source, target, "label", source_concepts=concepts, target_concept="digit")
    assert top_k(label, k=5).tolist() == list(range(0, len(source), 3))
    assert len(top_k(score_units(source, target, "none"), k=5)) == 0


def test_ranks_are_one_based_and_stable():
    source, target = clustered(5)
    table = scores_table(score_units(source, target))
    assert sorted(table["rank"]) == list(range(1, len(source) + 1))
    best = table.sort_values("rank")["unit"].to_numpy()
    assert np.array_equal(best[:10], top_k(score_units(source, target), 10))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda s, t: (np.where(np.arange(s.size).reshape(s.shape) == 7, np.nan, s), t), "source features row 0 contains NaN or Inf"),
        (lambda s, t: (s, np.vstack([t[:1], np.full((1, t.shape[1]), np.inf)])), "target features row 1 contains NaN or Inf"),
        (lambda s, t: (s, t[:, :-1]), "have 7 dimensions but source features have 8"),
        (lambda s, t: (s[:0], t), "must be a non-empty 2-d array"),
    ],
)
def test_bad_features_are_clear_errors(change, message):
    source, target = clustered(6)
    with pytest.raises(InputError, match=message):
        score_units(*change(source, target))


def test_bad_parameters_are_clear_errors():
    source, target = clustered(7)
    for kwargs, message in [
        ({"eps": 0}, "eps must be a positive number"),
        ({"tau1": -1.0}, "tau1 must be a positive number"),
        ({"tau2": 0.0}, "tau2 must be a positive number"),
        ({"eps_c": 0.0}, "eps_c must be a positive number"),
        ({"method": "magic"}, "unknown selection method"),
        ({"cost": "manhattan"}, "unknown cost"),
    ]:
        with pytest.raises(InputError, match=message):
            score_units(source, target, **kwargs)
    with pytest.raises(InputError, match="select.k = 61 is larger than the 60 source units"):
        top_k(score_units(source, target), 61)
    with pytest.raises(InputError, match="the cosine cost is undefined"):
        score_units(np.vstack([source, np.zeros((1, 8))]), target)


def test_cli_writes_scores(tmp_path, capsys):
    source, target = clustered(8)
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", target)
    out = tmp_path / "scores.parquet"
    assert cli(["score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--method", "uot", "--cost", "cos", "--eps-c", "0.01", "--eps", "1", "--tau1", "1", "--tau2", "100", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == ["unit", "score", "rank"] and len(table) == 60
    assert set(table.nsmallest(10, "rank")["unit"]) == set(range(10))
    assert "converged: True" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    source, target = clustered(9)
    source[3, 2] = np.nan
    np.save(tmp_path / "S.npy", source)
    np.save(tmp_path / "T.npy", target)
    out = tmp_path / "scores.parquet"
    code = cli(["score", "--source", str(tmp_path / "S.npy"), "--target", str(tmp_path / "T.npy"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: source features row 3") and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == sorted(tmp_path.iterdir()) and len(list(tmp_path.iterdir())) == 2
    assert cli(["score", "--source", str(tmp_path / "missing.npy"), "--target", str(tmp_path / "T.npy"), "--out", str(out)]) == 2
    assert "missing file" in capsys.readouterr().err
