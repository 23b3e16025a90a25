"""Tests for N-LEEP, SFDA and PARC: each against an independent computation of its formula on a
small fixed problem, against a restatement of the authors' code (TencentARC/SFDA metrics.py,
dbolya/parc methods.py) with each documented departure applied explicitly, separating vs
pure-noise features, and one-line InputErrors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from builders import blobs
from reprise.core.errors import InputError
from reprise.transferability.nleep import nleep
from reprise.transferability.parc import parc
from reprise.transferability.sfda import sfda

SFDA_COMMIT = "3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59"  # github.com/TencentARC/SFDA
PARC_COMMIT = "ddfca43a84d35328897d107d6f86e860b11801ce"  # github.com/dbolya/parc

# ---------------------------------------------------------------- helpers


def problem(seed: int, n_per: int, k: int, d: int, scale: float = 1.0):
    """Overlapping classes: labels 0..k-1 (the reference code assumes that) and features [n, d]."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per)
    x = (rng.normal(size=(k, d))[y] + 1.5 * rng.normal(size=(y.size, d))) * scale
    return x, y


# ------------------------------------------- the authors' code, restated (reference, not the package)


def _nleep_reference(X, y, component_ratio=5, random_state=None):
    """``NLEEP`` of TencentARC/SFDA, metrics.py, commit 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59,
    restated: PCA(n_components=0.8), GaussianMixture(n_components=component_ratio * num_classes),
    the LEEP tables on its posteriors. Two changes, both explicit: ``random_state`` is passed to
    the mixture (the authors leave it unset), and this returns the per-sample terms
    ``py_x[np.arange(n), y]``, whose plain mean (no log) is what the authors return."""
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    n = len(y)
    num_classes = len(np.unique(y))
    pca_80 = PCA(n_components=0.8)
    pca_80.fit(X)
    X_pca_80 = pca_80.transform(X)
    n_components_num = component_ratio * num_classes
    gmm = GaussianMixture(n_components=n_components_num, random_state=random_state).fit(X_pca_80)
    prob = gmm.predict_proba(X_pca_80)  # p(z|x)
    pyz = np.zeros((num_classes, n_components_num))
    for y_ in range(num_classes):
        indices = np.where(y == y_)[0]
        filter_ = np.take(prob, indices, axis=0)
        pyz[y_] = np.sum(filter_, axis=0) / n
    pz = np.sum(pyz, axis=0)
    py_z = pyz / pz
    py_x = np.dot(prob, py_z.T)
    return py_x[np.arange(n), y]


def _ref_cov(X, shrinkage=-1):
    """``_cov`` of TencentARC/SFDA metrics.py @ 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59."""
    emp_cov = np.cov(np.asarray(X).T, bias=1)
    if shrinkage < 0:
        return emp_cov
    n_features = emp_cov.shape[0]
    mu = np.trace(emp_cov) / n_features
    shrunk_cov = (1.0 - shrinkage) * emp_cov
    shrunk_cov.flat[:: n_features + 1] += shrinkage * mu
    return shrunk_cov


def _ref_iterative_A(A, max_iterations=3):
    """``iterative_A`` of TencentARC/SFDA utils.py @ 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59:
    3 power iterations for the largest eigenvalue of A."""
    x = A.sum(axis=1)
    for _ in range(max_iterations):
        temp = np.dot(A, x)
        y = temp / np.linalg.norm(temp, 2)
        temp = np.dot(A, y)
        x = temp / np.linalg.norm(temp, 2)
    return np.dot(np.dot(x.T, A), y)


def _exact_largest_eigenvalue(A, max_iterations=None):
    """The one departure applied to the reference for SFDA: the exact largest eigenvalue."""
    return np.linalg.eigvalsh(A)[-1]


def _ref_softmax(X):
    X = np.copy(X)
    X -= np.max(X, axis=1).reshape((-1, 1))
    np.exp(X, X)
    X /= np.sum(X, axis=1).reshape((-1, 1))
    return X


class _RefSFDA:
    """``SFDA`` class of TencentARC/SFDA metrics.py @ 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59
    (priors None, n_components None), restated without its print; ``largest_eigenvalue`` is the
    authors' ``iterative_A`` unless a test swaps it."""

    def __init__(self, shrinkage=None, largest_eigenvalue=_ref_iterative_A):
        self.shrinkage = shrinkage
        self.largest_eigenvalue = largest_eigenvalue

    def _solve_eigen(self, X, y):
        classes, y = np.unique(y, return_inverse=True)
        cnt = np.bincount(y)
        means = np.zeros(shape=(len(classes), X.shape[1]))
        np.add.at(means, y, X)
        means /= cnt[:, None]
        self.means_ = means
        cov = np.zeros(shape=(X.shape[1], X.shape[1]))
        for idx, group in enumerate(classes):
            Xg = X[y == group, :]
            cov += self.priors_[idx] * np.atleast_2d(_ref_cov(Xg))
        Sw = cov
        if self.shrinkage is None:
            largest_evals_w = self.largest_eigenvalue(Sw, max_iterations=3)
            self.shrinkage = max(np.exp(-5 * largest_evals_w), 1e-10)
        St = _ref_cov(X, shrinkage=self.shrinkage)
        n_features = Sw.shape[0]
        mu = np.trace(Sw) / n_features
        shrunk_Sw = (1.0 - self.shrinkage) * Sw
        shrunk_Sw.flat[:: n_features + 1] += self.shrinkage * mu
        Sb = St - shrunk_Sw
        evals, evecs = scipy.linalg.eigh(Sb, shrunk_Sw)
        evecs = evecs[:, np.argsort(evals)[::-1]]
        self.coef_ = np.dot(self.means_, evecs).dot(evecs.T)
        self.intercept_ = -0.5 * np.diag(np.dot(self.means_, self.coef_.T)) + np.log(self.priors_)

    def fit(self, X, y):
        _, y_t = np.unique(y, return_inverse=True)
        self.priors_ = np.bincount(y_t) / float(len(y))
        self._solve_eigen(X, y)
        return self

    def predict_proba(self, X):
        return _ref_softmax(np.dot(X, self.coef_.T) + self.intercept_)


def _sfda_reference(X, y, largest_eigenvalue=_ref_iterative_A):
    """``SFDA_Score`` of TencentARC/SFDA metrics.py @ 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59,
    restated (with ``_class_means``); like the original it overwrites X in place, so pass a copy."""
    n = len(y)
    num_classes = len(np.unique(y))
    first = _RefSFDA(largest_eigenvalue=largest_eigenvalue)
    prob = first.fit(X, y).predict_proba(X)
    prob = np.exp(prob) / np.exp(prob).sum(axis=1, keepdims=True)  # the authors' softening
    classes, y_inv = np.unique(y, return_inverse=True)  # _class_means
    means = np.zeros(shape=(len(classes), X.shape[1]))
    np.add.at(means, y_inv, X)
    means /= np.bincount(y_inv)[:, None]
    means_ = np.zeros(shape=(len(classes), X.shape[1]))
    for i in range(len(classes)):
        means_[i] = (np.sum(means, axis=0) - means[i]) / (len(classes) - 1)
    for y_ in range(num_classes):  # ConfMix
        indices = np.where(y == y_)[0]
        y_prob = np.take(prob, indices, axis=0)[:, y_]
        X[indices] = y_prob.reshape(len(y_prob), 1) * X[indices] + (1 - y_prob.reshape(len(y_prob), 1)) * means_[y_]
    second = _RefSFDA(shrinkage=first.shrinkage)
    prob = second.fit(X, y).predict_proba(X)
    return np.sum(prob[np.arange(n), y]) / n


def _parc_reference(X, y, n_dims=32, svd_solver="randomized", exact_label_ties=False):
    """``PARC`` of dbolya/parc methods.py @ ddfca43a84d35328897d107d6f86e860b11801ce, as copied
    into TencentARC/SFDA metrics.py @ 3b7edf76bd682acb1eba4f4c5eb7ea7f3f7f6c59 (``PARC_Score``
    with its default ratio=2, i.e. n_dims=32): ``feature_reduce`` (PCA, randomised,
    random_state=1919, iterated_power=1, n_components capped at n), StandardScaler,
    1 - corrcoef of the features and of the one-hot labels, Spearman of the upper triangles
    times 100. ``svd_solver`` is the authors' 'randomized' unless a test swaps it; with
    ``exact_label_ties`` the label dissimilarities are rounded to 12 decimals, so that the
    same-class entries that corrcoef leaves at ~1e-16 tie at 0 as they should."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    f = min(n_dims, X.shape[0])
    feats = PCA(n_components=f, svd_solver=svd_solver, random_state=1919, iterated_power=1).fit_transform(X)
    num_classes = len(np.unique(y, return_inverse=True)[0])
    labels = np.eye(num_classes)[y]
    feats = StandardScaler().fit_transform(feats)
    rdm1, rdm2 = 1 - np.corrcoef(feats), 1 - np.corrcoef(labels)
    if exact_label_ties:
        rdm2 = np.round(rdm2, 12)
    iu = np.triu_indices(rdm1.shape[0], 1)
    return scipy.stats.spearmanr(rdm1[iu], rdm2[iu])[0] * 100


# ---------------------------------------------------------------- N-LEEP


def test_nleep_is_the_leep_formula_on_the_mixture_posterior():
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    x, y = problem(7, n_per=15, k=3, d=10)
    # the PCA keeps the fewest components whose variance ratio exceeds 0.8 (numpy SVD)
    sv = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    keep = int(np.argmax(np.cumsum(sv**2) / np.sum(sv**2) > 0.8)) + 1
    reduced = PCA(n_components=0.8, svd_solver="full").fit_transform(x)
    assert reduced.shape[1] == keep
    post = GaussianMixture(n_components=15, random_state=3).fit(reduced).predict_proba(reduced)
    # LEEP by explicit loops: P(y, v), P(v), P(y | v), then mean log sum_v P(y_i | v) pi(v | x_i)
    n, v_count = post.shape
    joint = [[sum(post[i, v] for i in range(n) if y[i] == c) / n for v in range(v_count)] for c in range(3)]
    marg = [sum(joint[c][v] for c in range(3)) for v in range(v_count)]
    terms = [math.log(sum(joint[y[i]][v] / marg[v] * post[i, v] for v in range(v_count) if marg[v] > 0))
             for i in range(n)]
    assert nleep(x, y, seed=3) == pytest.approx(sum(terms) / n, abs=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nleep_equals_the_reference_with_the_log(seed):
    x, y = problem(seed, n_per=20, k=3, d=12)
    eep = _nleep_reference(x, y, random_state=seed)
    # departure: Li et al.'s log of each per-sample term, where the reference averages them plainly
    np.testing.assert_allclose(nleep(x, y, seed=seed), np.mean(np.log(eep)), rtol=1e-6, atol=1e-9)


def test_nleep_is_deterministic_for_a_seed_and_takes_any_class_ids():
    x, y = problem(4, n_per=10, k=3, d=8)
    assert nleep(x, y, seed=5) == nleep(x, y, seed=5)
    assert nleep(x, np.array([40, -2, 7])[y], seed=5) == pytest.approx(nleep(x, y, seed=5), abs=1e-12)


# ---------------------------------------------------------------- SFDA


def test_sfda_one_dimensional_closed_form():
    # d = 1: Sigma = (1 - lam) s_w + lam s_w = s_w whatever lam, and the two-class FDA posterior is
    # the logistic of x (m1 - m0) / s_w - (m1^2 - m0^2) / (2 s_w) + log(pi1 / pi0)
    xs, ys = [0.0, 1.0, 1.5, 2.5, 3.0, 4.5, 5.0], [0, 0, 0, 1, 1, 1, 1]

    def posterior_true(xs):
        m = [sum(v for v, c in zip(xs, ys) if c == k) / ys.count(k) for k in (0, 1)]
        s_w = sum((v - m[c]) ** 2 for v, c in zip(xs, ys)) / len(xs)
        p1 = [1 / (1 + math.exp(-(v * (m[1] - m[0]) / s_w - (m[1] ** 2 - m[0] ** 2) / (2 * s_w)
                                  + math.log(4 / 3)))) for v in xs]
        return [p if c == 1 else 1 - p for p, c in zip(p1, ys)], m

    p, m = posterior_true(xs)
    soft = [math.exp(q) / (math.exp(q) + math.exp(1 - q)) for q in p]  # softmax of (p_true, 1 - p_true)
    mixed = [s * v + (1 - s) * m[1 - c] for s, v, c in zip(soft, xs, ys)]  # other class's mean
    p2, _ = posterior_true(mixed)
    assert sfda(np.array(xs)[:, None], np.array(ys)) == pytest.approx(sum(p2) / len(p2), abs=1e-12)


def _fisher_space_posterior(x, y, lam=None):
    """Posterior of the regularised FDA computed in the Fisher space: S_W, S_T, their shrinkage,
    S_B = shrunk S_T - shrunk S_W, U from the generalised eigenproblem S_B U = Sigma U L, and the
    nearest-mean discriminant on U^T x."""
    k, d = y.max() + 1, x.shape[1]
    pri = np.bincount(y) / y.size
    mu = np.stack([x[y == c].mean(axis=0) for c in range(k)])
    s_w = sum(pri[c] * np.cov(x[y == c].T, bias=True) for c in range(k))
    s_t = np.cov(x.T, bias=True)
    if lam is None:
        lam = max(math.exp(-5 * np.linalg.eigvalsh(s_w)[-1]), 1e-10)
    shrink = lambda s: (1 - lam) * s + lam * np.trace(s) / d * np.eye(d)
    sigma = shrink(s_w)
    _, u = scipy.linalg.eigh(shrink(s_t) - sigma, sigma)
    xt, mt = x @ u, mu @ u
    logits = xt @ mt.T - 0.5 * np.sum(mt**2, axis=1) + np.log(pri)
    post = np.exp(logits - logits.max(axis=1, keepdims=True))
    return post / post.sum(axis=1, keepdims=True), mu, lam


def test_sfda_equals_the_fisher_space_computation():
    x, y = problem(3, n_per=6, k=3, d=3, scale=0.3)  # small scatter: the shrinkage is not floored
    post, mu, lam = _fisher_space_posterior(x, y)
    assert lam > 1e-3
    soft = np.exp(post) / np.exp(post).sum(axis=1, keepdims=True)
    conf = soft[np.arange(y.size), y][:, None]
    others = np.stack([np.delete(mu, c, axis=0).mean(axis=0) for c in range(3)])
    post2, _, _ = _fisher_space_posterior(conf * x + (1 - conf) * others[y], y, lam)
    assert sfda(x, y) == pytest.approx(post2[np.arange(y.size), y].mean(), abs=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sfda_equals_the_reference_with_the_exact_largest_eigenvalue(seed):
    x, y = problem(seed, n_per=15, k=4, d=8, scale=0.3)  # small scatter: the shrinkage matters
    ref = _sfda_reference(x.copy(), y, largest_eigenvalue=_exact_largest_eigenvalue)
    np.testing.assert_allclose(sfda(x, y), ref, rtol=1e-9)
    # large scatter: the shrinkage is floored at 1e-10, so the authors' power iteration is moot
    big = 10 * x
    np.testing.assert_allclose(sfda(big, y), _sfda_reference(big.copy(), y), rtol=1e-9)


def test_sfda_leaves_its_input_alone_and_takes_any_class_ids():
    x, y = problem(5, n_per=8, k=3, d=5)
    before = x.copy()
    value = sfda(x, y)
    np.testing.assert_array_equal(x, before)
    assert sfda(x, np.array([9, -4, 100])[y]) == pytest.approx(value, abs=1e-12)


# ---------------------------------------------------------------- PARC


def _pca_standardised(x, dims):
    """Exact PCA by numpy SVD (each component's largest loading positive, scikit-learn's sign
    convention), every component scaled to unit variance."""
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    k = min(dims, int(np.sum(s > s[0] * max(x.shape) * np.finfo(float).eps)))
    signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt[:k]), axis=1)])
    scores = xc @ (vt[:k].T * signs)
    return scores / scores.std(axis=0)


@pytest.mark.parametrize("n, d, dims", [(12, 9, 4), (10, 3, 32)])
def test_parc_is_spearman_of_explicit_dissimilarity_matrices(n, d, dims):
    rng = np.random.default_rng(n)
    y = np.array([5, 5, 5, -1, -1, 8, 8, 8, 8, 5, -1, 8])[:n]  # non-contiguous class ids
    x = rng.normal(size=(n, d)) + np.eye(d)[np.unique(y, return_inverse=True)[1] % d] * 2
    z = _pca_standardised(x, dims)
    feat, lab = [], []
    for i in range(n):  # upper triangle, pair by pair
        for j in range(i + 1, n):
            feat.append(1 - np.corrcoef(z[i], z[j])[0, 1])
            same = y[i] == y[j]  # 1 - corr of two one-hot rows of 3 classes: 0 or 1 + 1/2
            lab.append(0.0 if same else 1.5)
    expected = scipy.stats.spearmanr(feat, lab).statistic
    assert parc(x, y, dims=dims) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parc_equals_the_reference_with_exact_pca_and_without_the_factor_100(seed):
    x, y = problem(seed, n_per=12, k=4, d=64)
    # departures: exact PCA (the authors' is randomised, iterated_power=1), exact ties in the label
    # dissimilarities (theirs carry corrcoef's rounding) and rho, not 100 rho
    ref = _parc_reference(x, y, svd_solver="full", exact_label_ties=True)
    np.testing.assert_allclose(parc(x, y), ref / 100, rtol=1e-9)
    # features of rank exactly 32: the randomised PCA finds the exact subspace, so the authors'
    # solver agrees too
    rng = np.random.default_rng(seed)
    low = (rng.normal(size=(y.size, 32)) + np.eye(32)[y] * 3) @ rng.normal(size=(32, 64))
    np.testing.assert_allclose(parc(low, y), _parc_reference(low, y, exact_label_ties=True) / 100, rtol=1e-6)


def test_parc_rejects_labels_without_a_shared_class():
    with pytest.raises(InputError, match="no two samples share a class") as err:
        parc(np.random.default_rng(0).normal(size=(4, 5)), np.array([0, 1, 2, 3]))
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- one-line input errors

SCORES = {"nleep": nleep, "sfda": sfda, "parc": parc}


@pytest.mark.parametrize("name", sorted(SCORES))
def test_single_class_and_mismatched_lengths_raise_one_line_input_errors(name):
    good, _, y = blobs(0)
    with pytest.raises(InputError, match="needs at least two classes") as err:
        SCORES[name](good, np.zeros(y.size, dtype=int))
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="mismatched lengths") as err:
        SCORES[name](good, y[:-1])
    assert "\n" not in str(err.value)


def test_nleep_with_fewer_samples_than_mixture_components_has_one_component_a_sample():
    x, y = problem(0, n_per=4, k=3, d=6)  # 12 samples, 15 components asked for
    assert nleep(x, y) == nleep(x, y, components_per_class=4)  # 12 components either way
    assert np.isfinite(nleep(x, y))
    for bad in ({"variance": 1.0}, {"components_per_class": 0}, {"seed": -1}):
        with pytest.raises(InputError):
            nleep(x, y, **bad)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("score", "margin"), [(nleep, 0.3), (sfda, 0.3), (parc, 0.2)], ids=["nleep", "sfda", "parc"])
def test_each_score_prefers_separating_features(score, margin, seed):
    good, noise, y = blobs(seed)
    assert score(good, y) > score(noise, y) + margin
