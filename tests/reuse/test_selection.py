import numpy as np
import pandas as pd
import pytest
import torch
from threadpoolctl import threadpool_limits

from builders import clustered
from reprise.core.errors import InputError
from reprise.reuse.cost import CostCache
from reprise.reuse.selection import UnitScores, score_units, scores_table, top_k


def test_float32_paper_features_give_the_same_cub_recall(paper_means):
    source = np.load(paper_means / "mocov2_resnet50" / "imagenet_means.npy").astype(np.float32)
    target = np.load(paper_means / "mocov2_resnet50" / "cub_means.npy").astype(np.float32)
    birds = (pd.read_csv(paper_means / "imagenet_classes.csv")["concept"] == "bird").to_numpy()
    scores = score_units(source, target)
    assert scores.solver["converged"]
    assert birds[top_k(scores, 100)].sum() == 55


@pytest.mark.parametrize("method,cost", [("uot", "cos"), ("uot", "l2"), ("greedy", "cos"), ("greedy", "l2")])
def test_similarity_methods_rank_near_units_first(method, cost):
    source, target = clustered()
    scores = score_units(source, target, method, cost=cost, eps_c=0.1)
    assert set(top_k(scores, 10).tolist()) == set(range(10))


def test_numpy_torch_and_streamed_inputs_agree(tmp_path):
    source, target = clustered(1, n_source=500)
    reference = score_units(source, target).scores
    as_torch = score_units(torch.tensor(source), torch.tensor(target)).scores
    streamed = score_units(source, target, block_rows=64, memory_budget=0).scores
    cached = score_units(source, target, block_rows=64, cost_cache=tmp_path / "cost.bin").scores
    np.save(tmp_path / "source.npy", source)
    memmapped = score_units(np.load(tmp_path / "source.npy", mmap_mode="r"), target, block_rows=100).scores
    for other in (as_torch, streamed, cached, memmapped):
        np.testing.assert_allclose(other, reference, rtol=1e-9)
    header = len(CostCache.MAGIC) + 65  # the magic line and the digest's line
    assert (tmp_path / "cost.bin").stat().st_size == header + 500 * 5 * 8


def test_a_cost_cache_is_reused_only_by_the_same_inputs(tmp_path):
    source, target = clustered(1, n_source=300)
    cache = tmp_path / "cost.bin"
    first = score_units(source, target, block_rows=64, cost_cache=cache).scores
    written = cache.stat()
    again = score_units(source, target, block_rows=64, cost_cache=cache).scores
    assert cache.stat().st_ino == written.st_ino and cache.stat().st_mtime_ns == written.st_mtime_ns  # read, not rewritten
    np.testing.assert_array_equal(again, first)
    other = source[::-1].copy()
    for changed in (dict(source=other, target=target, eps_c=0.01), dict(source=source, target=target, eps_c=0.02)):
        solo = score_units(**changed).scores
        np.testing.assert_allclose(score_units(**changed, block_rows=64, cost_cache=cache).scores, solo, rtol=1e-6)
        assert cache.stat().st_ino != written.st_ino  # replaced, atomically


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


def test_greedy_ot_uses_the_l2_cost_by_default_as_the_paper_runs_it():
    source, target = clustered(4)
    source = source * np.random.default_rng(0).uniform(0.2, 5.0, size=(len(source), 1))  # norms matter to l2, not to cos
    default = score_units(source, target, "greedy").scores
    assert np.allclose(default, score_units(source, target, "greedy", cost="l2").scores)
    assert not np.allclose(np.argsort(-default[0]), np.argsort(-score_units(source, target, "greedy", cost="cos").scores[0]))
    assert np.allclose(score_units(source, target, "uot").scores, score_units(source, target, "uot", cost="cos").scores)


@pytest.mark.parametrize("block_rows", [0, -5])
def test_block_rows_zero_and_negative_are_refused_alike(block_rows):
    source, target = clustered(8)
    with pytest.raises(InputError, match=f"block_rows must be a positive integer, got {block_rows}"):
        score_units(source, target, block_rows=block_rows)


def random_features(dtype=np.float32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, 16)).astype(dtype), rng.normal(size=(5, 16)).astype(dtype)


def test_float32_ranks_on_log_p1_where_p1_underflows():
    source, target = random_features()
    float32 = score_units(source, target, eps_c=1e-3)  # C/eps up to 2000: P1 of most units is below float32's e^-103
    float64 = score_units(source, target, eps_c=1e-3, dtype=torch.float64)
    assert float32.solver["converged"]
    assert set(top_k(float32, 100)) == set(top_k(float64, 100))
    assert np.corrcoef(float32.ranks(), float64.ranks())[0, 1] > 0.999
    assert float32.solver["log_score_min"] < -104
    table = scores_table(float32)
    assert (table["score"] > 0).all() and np.allclose(np.log(table["score"]), table["log_score"])


def test_the_solver_report_gives_the_range_of_log_p1_and_its_warnings(capsys):
    source, target = clustered(11)
    solver = score_units(source, target).solver
    assert solver["log_score_min"] < solver["log_score_max"] and solver["warnings"] == []
    assert capsys.readouterr().err == ""
    stopped = score_units(source, target, max_iter=2).solver
    assert not stopped["converged"] and stopped["warnings"][0].startswith("the UOT solver stopped at max_iter = 2 without converging")
    assert capsys.readouterr().err == f"warning: {stopped['warnings'][0]}\n"


@pytest.mark.parametrize("settings,cause", [
    (dict(eps_c=1e9), "the source units' costs over eps differ by at most"),
    (dict(eps=1e300), "lower eps_c (the paper's: 0.01) or eps (the paper's: 1)"),
    (dict(eps=1e-30), "eps = 1e-30 is too small for costs up to"),
])
def test_settings_that_make_every_score_equal_are_refused_with_their_cause(settings, cause):
    source, target = random_features()
    with pytest.raises(InputError, match="are all equal, so they rank nothing") as refused:
        score_units(source, target, **settings)
    assert cause in str(refused.value)
    score_units(source, target, eps_c=0.01)


def test_a_cost_that_overflows_is_refused_not_written_as_nan():
    source, target = random_features()
    with pytest.raises(InputError, match="the l2 cost overflows float32") as refused:
        score_units(source * np.float32(1e30), target * np.float32(1e30), cost="l2", eps_c=1e-10)
    assert "are not finite" in str(refused.value)


def test_a_target_far_from_every_source_unit_is_refused_with_its_cause():
    source, target = random_features()
    with pytest.raises(InputError, match="check that source and target features come from the same layer, at the same scale"):
        score_units(source * np.float32(1e-30), target, cost="l2")


@pytest.mark.parametrize("method,cost", [("uot", "cos"), ("uot", "l2"), ("greedy", "l2")])
@pytest.mark.parametrize("scale", [1e-25, 1e20])
def test_features_at_any_finite_scale_rank_as_at_scale_one(method, cost, scale):
    """The squares of features at 1e-25 underflow in float32 and those at 1e20 overflow: the cosine
    normalisation and the l2 distance rescale such rows instead of giving NaN or equal scores."""
    source, target = (x.astype(np.float32) for x in clustered(3))
    reference = score_units(source, target, method, cost=cost, eps_c=0.1)
    scaled = score_units(source * np.float32(scale), target * np.float32(scale), method, cost=cost, eps_c=0.1 * (scale if cost == "l2" else 1))
    assert np.isfinite(scaled.ranked_values()).all()
    np.testing.assert_array_equal(scaled.ranks(), reference.ranks())


def test_ties_that_decide_the_top_k_are_a_warning(capsys):
    tied = UnitScores(np.array([[3.0, 2.0, 1.0, 2.0, 2.0, 0.5]]), "greedy")
    assert top_k(tied, 2).tolist() == [0, 1]
    assert capsys.readouterr().err == "warning: 3 units tie at the score of rank 2 (2): row order decides which of them are in the top 2\n"
    assert top_k(tied, 4).tolist() == [0, 1, 3, 4] and top_k(tied, 1).tolist() == [0]
    assert capsys.readouterr().err == ""


def test_a_scores_table_read_back_ranks_as_the_scores_did():
    source, target = random_features()
    scores = score_units(source, target, eps_c=1e-3)
    again = UnitScores.from_table(scores_table(scores).sample(frac=1.0, random_state=0), "uot")
    assert np.array_equal(top_k(again, 50), top_k(scores, 50)) and np.array_equal(again.ranks(), scores.ranks())


def test_scores_are_the_same_bits_on_one_and_two_threads():
    source, target = random_features()
    runs = []
    threads = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            with threadpool_limits(n):  # numpy's BLAS does the solver's products on the CPU
                runs.append([score_units(source, target).log_scores, score_units(source, target, block_rows=64, memory_budget=0).log_scores,
                             score_units(source, target, "greedy").scores])
    finally:
        torch.set_num_threads(threads)
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
