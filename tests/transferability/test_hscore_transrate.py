"""Tests for the H-score, the shrinkage H-score and TransRate: hand examples and independent
restatements of the formulas, agreement with the reference implementation (tllib), separating vs
noise features, one-line InputErrors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf

from builders import blobs
from reprise.core.errors import InputError
from reprise.transferability.hscore import h_score
from reprise.transferability.shrinkage_hscore import shrinkage_h_score
from reprise.transferability.transrate import transrate

TLLIB_COMMIT = "c4aa59eb565650a552b809411601d0589efbbfe4"

# ---------------------------------------------------------------- helpers


def random_problem(seed: int, n: int, d: int, k: int = 3):
    """Features with a mild class signal and labels 0..k-1 (every class present, unequal sizes)."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)])
    f = rng.normal(size=(n, d)) + 1.5 * rng.normal(size=(k, d))[y]
    return f * rng.uniform(0.5, 2.0, size=d), y


def _tllib_h_score(features, labels):
    """Faithful restatement of ``h_score`` in thuml/Transfer-Learning-Library,
    tllib/ranking/hscore.py at commit c4aa59eb565650a552b809411601d0589efbbfe4.
    Assumes labels 0..C-1."""
    f, y = features, labels
    covf = np.cov(f, rowvar=False)
    g = np.zeros_like(f)
    for i in range(int(y.max() + 1)):
        g[y == i] = np.mean(f[y == i, :], axis=0)
    covg = np.cov(g, rowvar=False)
    return np.trace(np.dot(np.linalg.pinv(covf, rcond=1e-15), covg))


def _tllib_regularized_h_score(features, labels):
    """Faithful restatement of ``regularized_h_score`` in thuml/Transfer-Learning-Library,
    tllib/ranking/hscore.py at commit c4aa59eb565650a552b809411601d0589efbbfe4: Ledoit-Wolf on the
    centred features (divisor n), np.cov of the class means (divisor n - 1). Assumes labels 0..C-1."""
    f = features.astype("float64")
    f = f - np.mean(f, axis=0, keepdims=True)
    y = labels
    g = np.zeros_like(f)
    cov = LedoitWolf(assume_centered=False).fit(f)
    alpha, covf_alpha = cov.shrinkage_, cov.covariance_
    for i in range(int(y.max() + 1)):
        g[y == i] = np.mean(f[y == i, :], axis=0)
    covg = np.cov(g, rowvar=False)
    return np.trace(np.dot(np.linalg.pinv(covf_alpha, rcond=1e-15), (1 - alpha) * covg))


def _tllib_transrate(features, labels, eps=1e-4):
    """Faithful restatement of ``transrate`` (and its ``coding_rate``) in
    thuml/Transfer-Learning-Library, tllib/ranking/transrate.py at commit
    c4aa59eb565650a552b809411601d0589efbbfe4. Assumes labels 0..C-1."""

    def coding_rate(f, eps):
        n, d = f.shape
        _, rate = np.linalg.slogdet(np.eye(d) + 1 / (n * eps) * f.transpose() @ f)
        return 0.5 * rate

    f = features - np.mean(features, axis=0, keepdims=True)
    y = labels
    rfy = 0.0
    c = int(y.max() + 1)
    for i in range(c):
        rfy += coding_rate(f[(y == i).flatten()], eps)
    return coding_rate(f, eps) - rfy / c


def _ledoit_wolf_alpha(centred):
    """Ledoit & Wolf (2004) shrinkage intensity, written from the paper's formula (not sklearn)."""
    n, d = centred.shape
    s = centred.T @ centred / n
    mu = np.trace(s) / d
    delta2 = np.sum((s - mu * np.eye(d)) ** 2)
    b2 = sum(np.sum((np.outer(x, x) - s) ** 2) for x in centred) / n**2
    return min(b2, delta2) / delta2


# ---------------------------------------------------------------- (a) hand examples, independent formulas


def test_h_score_hand_example_1d():
    # centred f = [-6, -4, 4, 6]: var = 104/4 = 26; class means -5, 5: between var = 25
    assert h_score(np.array([[0.0], [2.0], [10.0], [12.0]]), np.array([0, 0, 1, 1])) == pytest.approx(25 / 26)


@pytest.mark.parametrize("n, d", [(50, 6), (30, 12)])
def test_h_score_equals_explicit_covariance_formula(n, d):
    f, y = random_problem(n, n, d)
    between = np.zeros((d, d))  # sum_k n_k (mu_k - mu)(mu_k - mu)^T / n
    for k in np.unique(y):
        m = f[y == k].mean(axis=0) - f.mean(axis=0)
        between += np.sum(y == k) * np.outer(m, m) / n
    total = np.cov(f, rowvar=False, bias=True)
    assert h_score(f, y) == pytest.approx(np.trace(np.linalg.solve(total, between)), rel=1e-10)


def test_h_score_with_fewer_samples_than_dims_is_the_number_of_classes_minus_one():
    f, y = random_problem(0, 12, 30, k=4)
    assert h_score(f, y) == pytest.approx(3.0, rel=1e-9)


def test_h_score_is_invariant_to_relabelling_and_affine_maps():
    f, y = random_problem(1, 40, 5)
    a = np.random.default_rng(2).normal(size=(5, 5))
    ref = h_score(f, y)
    assert h_score(f @ a + 7.0, y) == pytest.approx(ref, rel=1e-8)
    assert h_score(f, np.array([-3, 10, 42])[y]) == pytest.approx(ref, rel=1e-12)


def test_shrinkage_h_score_hand_example_1d():
    # d = 1: alpha = 0 (S - mu I = 0); score = (between var, divisor n-1) / (var, divisor n) = (100/3) / 26
    f = np.array([[0.0], [2.0], [10.0], [12.0]])
    assert shrinkage_h_score(f, np.array([0, 0, 1, 1])) == pytest.approx(100 / 78)


@pytest.mark.parametrize("n, d", [(50, 6), (15, 40)])
def test_shrinkage_h_score_equals_explicit_shrunk_covariance_formula(n, d):
    f, y = random_problem(n + d, n, d)
    c = f - f.mean(axis=0)
    alpha = _ledoit_wolf_alpha(c)
    assert 0 < alpha < 1
    s = c.T @ c / n
    sigma = (1 - alpha) * s + alpha * np.trace(s) / d * np.eye(d)
    g = np.stack([c[y == k].mean(axis=0) for k in y])  # each sample replaced by its class mean
    cov_g = g.T @ g / (n - 1)
    expected = (1 - alpha) * np.trace(np.linalg.solve(sigma, cov_g))
    assert shrinkage_h_score(f, y) == pytest.approx(expected, rel=1e-9)


def test_shrinkage_h_score_is_below_h_score_and_relabelling_invariant():
    f, y = random_problem(3, 20, 30)
    assert shrinkage_h_score(f, y) < h_score(f, y)  # n < d: the H-score saturates at K - 1
    assert shrinkage_h_score(f, 5 * y - 2) == pytest.approx(shrinkage_h_score(f, y), rel=1e-12)


def test_transrate_hand_example_1d():
    # z = [-2, -2, 4]: R = 1/2 log(1 + 24/3) = log 3; class 0: 1/2 log(1 + 8/2); class 1: 1/2 log(1 + 16)
    f, y = np.array([[0.0], [0.0], [6.0]]), np.array([0, 0, 1])
    assert transrate(f, y, eps=1.0) == pytest.approx(math.log(3) - (math.log(5) + math.log(17)) / 4)


@pytest.mark.parametrize("n, d", [(40, 5), (9, 20)])
def test_transrate_equals_singular_value_formula(n, d):
    f, y = random_problem(n * d, n, d)
    z = f - f.mean(axis=0)
    eps = 1e-2

    def rate(m):  # 1/2 sum_i log(1 + s_i^2 / (n eps)) over the singular values of m
        return 0.5 * np.sum(np.log1p(np.linalg.svd(m, compute_uv=False) ** 2 / (m.shape[0] * eps)))

    expected = rate(z) - np.mean([rate(z[y == k]) for k in np.unique(y)])
    assert transrate(f, y, eps=eps) == pytest.approx(expected, rel=1e-9)
    assert transrate(f, np.array([7, -1, 100])[y], eps=eps) == pytest.approx(expected, rel=1e-9)


def test_scores_of_constant_features_are_zero():
    f, y = np.ones((6, 3)), np.array([0, 0, 1, 1, 2, 2])
    assert h_score(f, y) == 0.0
    assert shrinkage_h_score(f, y) == 0.0
    assert transrate(f, y) == 0.0


# ---------------------------------------------------------------- (b) reference implementation


@pytest.mark.parametrize("seed, n, d, k", [(0, 60, 8, 3), (1, 40, 16, 4), (2, 25, 5, 2)])
def test_h_score_matches_tllib(seed, n, d, k):
    f, y = random_problem(seed, n, d, k)
    np.testing.assert_allclose(h_score(f, y), _tllib_h_score(f, y), rtol=1e-8)


@pytest.mark.parametrize("seed, n, d, k", [(0, 60, 8, 3), (1, 40, 16, 4), (2, 20, 40, 3), (3, 12, 30, 2)])
def test_shrinkage_h_score_matches_tllib_regularized_h_score(seed, n, d, k):
    f, y = random_problem(seed, n, d, k)
    np.testing.assert_allclose(shrinkage_h_score(f, y), _tllib_regularized_h_score(f, y), rtol=1e-8)


@pytest.mark.parametrize("seed, n, d, k", [(0, 60, 8, 3), (1, 40, 16, 4), (2, 20, 40, 3), (3, 12, 30, 2)])
def test_transrate_matches_tllib(seed, n, d, k):
    f, y = random_problem(seed, n, d, k)
    np.testing.assert_allclose(transrate(f, y), _tllib_transrate(f, y), rtol=1e-8)
    np.testing.assert_allclose(transrate(f, y, eps=0.5), _tllib_transrate(f, y, eps=0.5), rtol=1e-8)


# ---------------------------------------------------------------- (c) separating vs noise features


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_prefer_separating_features(seed):
    good, noise, y = blobs(seed)
    assert h_score(good, y) > h_score(noise, y) + 1.0  # good is near K - 1 = 3
    assert shrinkage_h_score(good, y) > shrinkage_h_score(noise, y) + 1.0
    assert transrate(good, y) > transrate(noise, y) + 1.0


# ---------------------------------------------------------------- (d) one-line InputErrors


@pytest.mark.parametrize("fn", [h_score, shrinkage_h_score, transrate])
def test_single_class_and_mismatched_lengths_raise_one_line_input_errors(fn):
    good, _, y = blobs(0)
    for bad_f, bad_y, what in [(good, np.zeros_like(y), "two classes"), (good[:-1], y, "mismatched")]:
        with pytest.raises(InputError) as err:
            fn(bad_f, bad_y)
        assert what in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("eps", [0.0, -1.0, float("nan"), "x"])
def test_transrate_rejects_a_bad_distortion(eps):
    good, _, y = blobs(0)
    with pytest.raises(InputError) as err:
        transrate(good, y, eps=eps)
    assert "eps" in str(err.value) and "\n" not in str(err.value)
