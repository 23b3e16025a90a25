import math
import warnings

import numpy as np
import ot
import pytest
import torch

from reprise.core.errors import InputError
import reprise.reuse.uot as uot_module
from reprise.reuse.uot import DenseCost, sinkhorn_uot


def random_problem(seed: int, n: int, m: int, scale: float = 3.0):
    rng = np.random.default_rng(seed)
    return rng.random((n, m)) * scale, rng.random(n) + 0.5, rng.random(m) + 0.5


def pot_plan(cost, a, b, eps, tau1, tau2, reg_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ot.unbalanced.sinkhorn_knopp_unbalanced(a, b, cost, eps, (tau1, tau2), reg_type=reg_type, numItermax=100_000, stopThr=1e-13)


@pytest.mark.parametrize("reg_type", ["entropy", "kl"])
@pytest.mark.parametrize("seed,n,m,eps,tau1,tau2", [(0, 40, 7, 1.0, 1.0, 100.0), (1, 200, 30, 0.5, 0.3, 20.0), (2, 90, 90, 2.0, 5.0, 5.0)])
def test_agrees_with_pot(reg_type, seed, n, m, eps, tau1, tau2):
    cost, a, b = random_problem(seed, n, m)
    plan = pot_plan(cost, a, b, eps, tau1, tau2, reg_type)
    result = sinkhorn_uot(torch.tensor(cost), eps, tau1, tau2, torch.tensor(a), torch.tensor(b), reg_type=reg_type, tol=1e-13, max_iter=100_000)
    assert result.converged
    np.testing.assert_allclose(result.scores[0].numpy(), plan.sum(1), rtol=1e-6)
    np.testing.assert_allclose(result.target_mass[0].numpy(), plan.sum(0), rtol=1e-6)


def test_agrees_with_pot_default_call_on_unit_weights():
    """With unit weights, POT's default call (reg_type="kl") is eq. 5 exactly."""
    cost, _, _ = random_problem(3, 120, 15)
    plan = ot.unbalanced.sinkhorn_knopp_unbalanced(np.ones(120), np.ones(15), cost, 1.0, (1.0, 100.0), numItermax=100_000, stopThr=1e-13)
    result = sinkhorn_uot(torch.tensor(cost), tol=1e-13, max_iter=100_000)
    np.testing.assert_allclose(result.scores[0].numpy(), plan.sum(1), rtol=1e-6)


def cosine_cost(n: int, m: int, eps_c: float, dtype, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(n, 16, generator=g, dtype=torch.float64), dim=1)
    y = torch.nn.functional.normalize(torch.randn(m, 16, generator=g, dtype=torch.float64), dim=1)
    return ((1 - x @ y.T) / eps_c).to(dtype)


@pytest.mark.parametrize("eps", [1.0, 0.1, 0.01])
def test_float32_stays_finite_at_small_eps_c_and_eps(eps):
    cost = cosine_cost(300, 20, eps_c=0.01, dtype=torch.float32)  # entries up to 200
    assert float(cost.max()) > 150  # exp(-cost) underflows float32: the log domain is needed
    result = sinkhorn_uot(cost, eps=eps, max_iter=3000, tol=1e-6)
    assert torch.isfinite(result.scores).all() and (result.scores > 0).any()
    reference = sinkhorn_uot(cost.double(), eps=eps, max_iter=3000, tol=1e-6)
    top32 = set(torch.topk(result.scores[0], 20).indices.tolist())
    top64 = set(torch.topk(reference.scores[0], 20).indices.tolist())
    assert len(top32 & top64) >= 19


def test_batched_equals_one_by_one_with_different_target_sizes():
    costs = [torch.tensor(random_problem(s, 60, m)[0]) for s, m in ((0, 5), (1, 9), (2, 3))]
    padded = torch.zeros(3, 60, 9, dtype=torch.float64)
    weights = torch.zeros(3, 9, dtype=torch.float64)
    for i, c in enumerate(costs):
        padded[i, :, : c.shape[1]] = c
        weights[i, : c.shape[1]] = 1.0
    batched = sinkhorn_uot(padded, target_weights=weights, tol=1e-12)
    for i, c in enumerate(costs):
        single = sinkhorn_uot(c, tol=1e-12)
        torch.testing.assert_close(batched.scores[i], single.scores[0], rtol=1e-9, atol=0)
        torch.testing.assert_close(batched.target_mass[i, : c.shape[1]], single.target_mass[0], rtol=1e-9, atol=0)
        assert (batched.target_mass[i, c.shape[1] :] == 0).all()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_streamed_blocks_equal_in_memory(dtype):
    cost = cosine_cost(500, 12, eps_c=0.01, dtype=dtype, seed=4)
    whole = sinkhorn_uot(cost, tol=1e-7)
    streamed = sinkhorn_uot(DenseCost(cost, block_rows=64), tol=1e-7, memory_budget=0)
    assert whole.in_memory and not streamed.in_memory
    rtol = 1e-9 if dtype == torch.float64 else 1e-4
    torch.testing.assert_close(streamed.scores, whole.scores, rtol=rtol, atol=0)


def test_iteration_cap_is_reported():
    cost = torch.tensor(random_problem(5, 50, 6)[0])
    capped = sinkhorn_uot(cost, max_iter=3, tol=1e-12)
    assert capped.n_iter == 3 and not capped.converged and capped.err > 1e-12
    full = sinkhorn_uot(cost, tol=1e-12)
    assert full.converged and full.n_iter > 3 and full.err < 1e-12


def test_p1_approaches_the_source_weights_as_tau1_grows():
    """τ1 weighs KL(P1 ‖ w_g): as it grows the source marginal is enforced, so P1 → w_g; small τ1
    lets the plan leave most of the pool without mass (what makes P1 a selection score)."""
    cost, weights, _ = random_problem(6, 30, 4, scale=0.5)
    cost, weights = torch.tensor(cost), torch.tensor(weights)
    errors = []
    for tau1 in (0.1, 1.0, 10.0, 100.0, 1e4):
        result = sinkhorn_uot(cost, eps=0.5, tau1=tau1, tau2=1.0, source_weights=weights, tol=1e-12, max_iter=200_000)
        assert result.converged
        errors.append(float((result.scores[0] - weights).abs().sum() / weights.sum()))
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[0] > 0.5 and errors[-1] < 1e-3


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": -1.0}, {"tau1": 0.0}, {"tau2": -5.0}, {"eps": float("nan")}, {"tol": 0.0}])
def test_non_positive_parameters_are_rejected(kwargs):
    with pytest.raises(InputError, match="must be a positive number"):
        sinkhorn_uot(torch.ones(3, 2), **kwargs)


def test_bad_weights_are_rejected():
    with pytest.raises(InputError, match="source_weights must be positive"):
        sinkhorn_uot(torch.ones(3, 2), source_weights=torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(InputError, match="target_weights must have shape"):
        sinkhorn_uot(torch.ones(3, 2), target_weights=torch.ones(3))


@pytest.mark.parametrize("streamed", [False, True])
def test_log_scores_are_log_p1_and_finite_where_p1_underflows(streamed):
    cost = cosine_cost(300, 20, eps_c=0.001, dtype=torch.float32)  # entries up to 2000
    result = sinkhorn_uot(DenseCost(cost, block_rows=64), max_iter=3000, tol=1e-6, memory_budget=0 if streamed else None)
    assert result.in_memory != streamed
    reference = sinkhorn_uot(cost.double(), max_iter=3000, tol=1e-6)
    assert (result.scores == 0).sum() > 100 and torch.isfinite(result.log_scores).all()
    np.testing.assert_allclose(result.log_scores[0].double().numpy(), reference.log_scores[0].numpy(), rtol=1e-4)
    np.testing.assert_allclose(result.scores.numpy(), result.log_scores.exp().numpy())


@pytest.mark.parametrize("anchor", [0.0, 80.0, -80.0])
def test_the_kernel_is_rebuilt_when_its_first_anchor_is_far_off(monkeypatch, anchor):
    """The in-memory kernel starts at a guess of G; a guess far off (zero, or beyond the reach of
    the rescaling either way) costs rebuilds, never accuracy: the streamed exact solve agrees."""
    cost = cosine_cost(400, 15, eps_c=0.01, dtype=torch.float32, seed=7)
    streamed = sinkhorn_uot(cost, tol=1e-7, memory_budget=0)
    built = []
    original = uot_module._Kernel._rebuild

    def counted(self, beta):
        built.append(beta.clone())
        original(self, beta)

    monkeypatch.setattr(uot_module, "_first_potential", lambda *args, **kwargs: torch.full((1, 15), anchor))
    monkeypatch.setattr(uot_module._Kernel, "_rebuild", counted)
    held = sinkhorn_uot(cost, tol=1e-7)
    assert held.in_memory and len(built) >= 2 and torch.equal(built[0], torch.full((1, 15), anchor))
    np.testing.assert_allclose(held.log_scores.numpy(), streamed.log_scores.numpy(), rtol=1e-5)


def test_the_first_anchor_spares_a_rebuild():
    cost = cosine_cost(2000, 30, eps_c=0.01, dtype=torch.float32, seed=8)
    result = sinkhorn_uot(cost, tol=1e-6)
    guess = uot_module._first_potential(uot_module.DenseCost(cost), 1.0, None, torch.zeros(1, 30), torch.zeros(1, 2000), torch.zeros(1, 30),
                                        torch.ones(1, 30, dtype=torch.bool), (0.5, 100 / 101), uot_module._Reduce(False))
    assert float((guess - result.g).abs().max()) < -0.35 * math.log(torch.finfo(torch.float32).tiny)  # within reach: one build


def test_a_kernel_over_the_memory_budget_is_streamed_and_bandwidth_reported():
    cost = cosine_cost(300, 10, eps_c=0.01, dtype=torch.float32, seed=9)
    held, streamed = sinkhorn_uot(cost), sinkhorn_uot(cost, memory_budget=300 * 10 * 4 - 1)
    assert held.in_memory and held.kernel_bytes == 300 * 10 * 4 and held.gb_per_second > 0
    assert not streamed.in_memory and math.isnan(streamed.gb_per_second)
    assert uot_module.default_memory_budget() > 0
    with pytest.raises(InputError, match="memory_budget must be a non-negative number of bytes"):
        sinkhorn_uot(cost, memory_budget=-1)
