"""Tests for reprise.transferability: closed forms on tiny examples, separating vs non-separating
inputs, LGC side effects and determinism, one-line InputErrors for every score."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import torch
import torch.nn as nn
from scipy.stats import multivariate_normal

from builders import blobs
from reprise.core.errors import InputError
from reprise.core.score_names import SCORE_LABELS
from reprise.transferability import (SCORE_INPUTS, SCORES, domain_similarity, feature_metric_components,
                                     feature_metrics, leep, lfc, lgc, logme, nce, rsa)

# ---------------------------------------------------------------- helpers


class TinyNet(nn.Module):
    """conv1 -> BN -> ReLU -> conv2 (the last conv) -> ReLU -> global average pool: features [n, 4]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv2(self.relu(self.bn(self.conv1(x))))).mean(dim=(2, 3))


def tiny_images(n_per: int = 6, k: int = 3, seed: int = 0):
    """Class c lights up input channel c (plus noise)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(k).repeat_interleave(n_per)
    x = 0.3 * torch.randn(y.numel(), 3, 8, 8, generator=g)
    x[torch.arange(y.numel()), y] += 1.0
    return x, y.numpy()


def channel_aligned_net() -> TinyNet:
    """A net whose conv2 input channel c carries class c only, so conv2 gradients separate classes."""
    net = TinyNet()
    with torch.no_grad():
        net.conv1.weight.zero_()
        net.conv1.bias.zero_()
        for c in range(3):
            net.conv1.weight[c, c, 1, 1] = 1.0
        net.conv2.weight.zero_()
        net.conv2.bias.fill_(0.1)
        for c in range(4):
            net.conv2.weight[c, c % 3, 1, 1] = 1.0
    return net


# ---------------------------------------------------------------- feature-based scores separate labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_label_based_feature_scores_prefer_separating_features(seed):
    good, noise, y = blobs(seed)
    assert lfc(good, y) > lfc(noise, y) + 0.2
    assert logme(good, y) > logme(noise, y) + 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rsa_prefers_features_that_agree_with_a_target_trained_probe(seed):
    good, noise, y = blobs(seed)
    rng = np.random.default_rng(100 + seed)
    probe = np.eye(4)[y] * 3 + rng.normal(size=(y.size, 4)) * 0.5  # a probe that learned the classes
    assert rsa(good, probe) > rsa(noise, probe) + 0.2
    assert rsa(probe, probe) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_leep_and_nce_prefer_source_heads_aligned_with_the_target(seed):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 30)
    aligned_logits = rng.normal(size=(y.size, 6))
    aligned_logits[np.arange(y.size), 2 * y] += 4.0  # target class c -> source class 2c
    random_logits = rng.normal(size=(y.size, 6))
    softmax = lambda a: np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)  # noqa: E731
    assert leep(softmax(aligned_logits), y) > leep(softmax(random_logits), y) + 0.3
    assert nce(aligned_logits.argmax(1), y) > nce(random_logits.argmax(1), y) + 0.3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_feature_metrics_prefer_sparse_class_coded_features(seed):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(4), 20)
    sparse = np.zeros((y.size, 16))
    for i, c in enumerate(y):  # post-ReLU style: each class activates its own 4 units
        sparse[i, 4 * c:4 * c + 4] = np.abs(rng.normal(size=4)) + 1
    dense = np.abs(rng.normal(size=sparse.shape)) + 0.1
    assert feature_metrics(sparse) > feature_metrics(dense) + 0.3
    comps = feature_metric_components(sparse)
    assert comps["zero_fraction"] == pytest.approx(0.75)
    assert 0 < comps["hoyer"] <= 1


def test_domain_similarity_prefers_the_closer_source():
    rng = np.random.default_rng(0)
    target = rng.normal(size=(3, 8))
    near, far = target + 0.1 * rng.normal(size=(3, 8)), target + 5.0
    w = np.array([10.0, 20.0, 30.0])
    assert domain_similarity(near, w, target, w) > domain_similarity(far, w, target, w)


# ---------------------------------------------------------------- closed forms on tiny examples


def test_lfc_equals_pearson_over_sample_pairs():
    rng = np.random.default_rng(3)
    f, y = rng.normal(size=(7, 3)), np.array([0, 0, 1, 1, 2, 2, 2])
    theta, k = [], []
    for i in range(7):  # explicit double loop over all (i, j), diagonal included
        for j in range(7):
            theta.append(float(f[i] @ f[j]))
            k.append(1.0 if y[i] == y[j] else -1.0)
    assert lfc(f, y) == pytest.approx(np.corrcoef(theta, k)[0, 1], abs=1e-12)


def test_lfc_hand_example():
    # f = [1, 1, -1]: Theta = [[1,1,-1],[1,1,-1],[-1,-1,1]], K_Y with y = [0, 0, 1] is the same
    # matrix, so the correlation is exactly 1.
    assert lfc(np.array([[1.0], [1.0], [-1.0]]), np.array([0, 0, 1])) == pytest.approx(1.0)


def test_leep_hand_example():
    # theta = [[.8,.2],[.6,.4],[.3,.7],[.1,.9]], y = [0,0,1,1], n = 4.
    # P(y,z) = 1/4 * [[.8+.6, .2+.4], [.3+.1, .7+.9]] = [[.35,.15],[.10,.40]]; P(z) = [.45, .55]
    # P(y|z): P(0|0)=7/9, P(1|0)=2/9, P(0|1)=3/11, P(1|1)=8/11
    # EEP_1 = .8*7/9 + .2*3/11;  EEP_2 = .6*7/9 + .4*3/11
    # EEP_3 = .3*2/9 + .7*8/11;  EEP_4 = .1*2/9 + .9*8/11;  LEEP = mean(log EEP_i)
    probs = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    eep = [0.8 * 7 / 9 + 0.2 * 3 / 11, 0.6 * 7 / 9 + 0.4 * 3 / 11,
           0.3 * 2 / 9 + 0.7 * 8 / 11, 0.1 * 2 / 9 + 0.9 * 8 / 11]
    assert leep(probs, np.array([0, 0, 1, 1])) == pytest.approx(np.mean(np.log(eep)), abs=1e-12)


def test_nce_hand_example():
    # z = [0,0,0,1,1,1], y = [0,0,1,1,1,1]: P(y,z) = [[2/6, 0], [1/6, 3/6]], P(z) = [1/2, 1/2]
    # NCE = 2/6 log(2/3) + 1/6 log(1/3) + 3/6 log(1) = (2 log(2/3) + log(1/3)) / 6
    got = nce(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1, 1]))
    assert got == pytest.approx((2 * math.log(2 / 3) + math.log(1 / 3)) / 6, abs=1e-12)
    assert nce(np.array([5, 5, 7, 7]), np.array([0, 0, 1, 1])) == pytest.approx(0.0)  # Z determines Y


@pytest.mark.parametrize("n,d", [(12, 3), (10, 20)])
def test_logme_equals_maximised_gaussian_marginal_likelihood(n, d):
    """Independent check: LogME per class is max over (alpha, beta) of log N(y; 0, F F^T/alpha + I/beta) / n,
    found here by Nelder-Mead on the dense covariance instead of the SVD fixed point."""
    rng = np.random.default_rng(n + d)
    y = np.arange(n) % 3
    f = rng.normal(size=(n, d)) + 0.8 * y[:, None]
    evidences = []
    for k in range(3):
        t = (y == k).astype(float)

        def negative_log_evidence(log_ab):
            a, b = np.exp(log_ab)
            return -multivariate_normal.logpdf(t, mean=np.zeros(n), cov=f @ f.T / a + np.eye(n) / b)

        best = scipy.optimize.minimize(negative_log_evidence, [0.0, 0.0], method="Nelder-Mead",
                                       options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
        evidences.append(-best.fun / n)
    assert logme(f, y) == pytest.approx(np.mean(evidences), abs=1e-7)


def test_logme_of_zero_features_is_the_noise_only_evidence():
    # F = 0: y ~ N(0, I / beta), maximised at beta = n / |y|^2, so L / n = (log(n / c) - log 2pi - 1) / 2
    # for a class with c members; here n = 6 and every class has c = 2.
    y = np.array([0, 0, 1, 1, 2, 2])
    assert logme(np.zeros((6, 3)), y) == pytest.approx((math.log(3) - math.log(2 * math.pi) - 1) / 2, abs=1e-12)


def test_domain_similarity_hand_example():
    # Two equally weighted source points at 0 and 10, targets at 1 and 12 (1-D): the optimal
    # plan matches 0->1 and 10->12, EMD = (1 + 2) / 2 = 1.5, similarity = exp(-0.01 * 1.5).
    s, t = np.array([[0.0], [10.0]]), np.array([[1.0], [12.0]])
    assert domain_similarity(s, [3, 3], t, [5, 5]) == pytest.approx(math.exp(-0.015), abs=1e-12)
    # min_count drops the source class with 2 images: all target mass goes to 10, EMD = (9 + 2) / 2
    got = domain_similarity(s, [2, 7], t, [5, 5], min_count=5)
    assert got == pytest.approx(math.exp(-0.01 * 5.5), abs=1e-12)


# ---------------------------------------------------------------- LGC


def test_lgc_prefers_gradients_that_separate_labels_and_leaves_the_model_alone():
    x, y = tiny_images()
    good = channel_aligned_net()
    good.train()
    good.conv1.bias.requires_grad_(False)
    before = {k: v.clone() for k, v in good.state_dict().items()}
    flags = {k: p.requires_grad for k, p in good.named_parameters()}
    good_score = lgc(good, good.conv2, x, y, num_classes=3)
    assert all(torch.equal(before[k], v) for k, v in good.state_dict().items())
    assert flags == {k: p.requires_grad for k, p in good.named_parameters()}
    assert all(p.grad is None for p in good.parameters())
    assert good.training and good.bn.training  # train/eval flags restored
    for seed in range(3):
        torch.manual_seed(seed)
        rnd = TinyNet()
        assert good_score > lgc(rnd, rnd.conv2, x, y, num_classes=3) + 0.05


def test_lgc_projection_is_deterministic_for_a_seed_and_independent_of_batching():
    x, y = tiny_images()
    net = channel_aligned_net()
    # K * |W| = 3 * 4*4*3*3 = 432 > 40, so the random projection is used
    a = lgc(net, net.conv2, x, y, num_classes=3, projection_dim=40, seed=7, batch_size=4)
    b = lgc(net, net.conv2, x, y, num_classes=3, projection_dim=40, seed=7, batch_size=18)
    c = lgc(net, net.conv2, x, y, num_classes=3, projection_dim=40, seed=8, batch_size=4)
    assert a == pytest.approx(b, abs=1e-6)
    assert a != pytest.approx(c, abs=1e-6)


class WideNet(nn.Module):
    """conv1 -> BN -> ReLU -> conv2 (32 -> 32, the last conv: |W| = 9,216) -> ReLU -> pool."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn, self.conv2 = nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.Conv2d(32, 32, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv2(torch.relu(self.bn(self.conv1(x))))).mean(dim=(2, 3))


def test_lgc_projection_converges_to_the_exact_score():
    """K * |W| = 10 * 9,216 exceeds the projections: the projected score must approach the exact
    one as the projection grows (one fixed sign per logit, as before, left an error of 0.028 here at
    every size)."""
    torch.manual_seed(0)
    k, labels, images = 10, np.arange(60) % 10, torch.randn(60, 3, 8, 8)
    images[np.arange(60), labels % 3] += 1.0
    net = WideNet().eval()
    rms = []
    for dim in (500, 5_000, 50_000):
        errors = [lgc(net, net.conv2, images, labels, k, projection_dim=dim, seed=s)
                  - lgc(net, net.conv2, images, labels, k, projection_dim=10**6, seed=s) for s in range(4)]
        rms.append(float(np.sqrt(np.mean(np.square(errors)))))
    assert rms[0] > rms[1] > rms[2], rms
    assert rms[2] < 0.005, rms


def test_lgc_without_projection_matches_explicit_per_sample_gradients():
    x, y = tiny_images(n_per=3)
    torch.manual_seed(0)
    net = TinyNet().eval()
    got = lgc(net, net.conv2, x, y, num_classes=3, projection_dim=10_000, seed=0)
    # rebuild the same seeded head and take K backward passes per image with autograd
    from reprise.transferability.lfc import label_correlation
    from reprise.transferability.lgc import _generator
    head = torch.randn(3, 4, generator=_generator(torch.device("cpu"), 0, 0)) / 2.0
    rows = []
    for i in range(x.shape[0]):
        feats = net(x[i:i + 1])[0]
        rows.append(torch.cat([torch.autograd.grad(feats @ head[k], net.conv2.weight, retain_graph=True)[0].flatten()
                               for k in range(3)]))
    want = label_correlation(torch.stack(rows).double().numpy(), y)
    assert got == pytest.approx(want, abs=1e-6)


def test_lgc_rejects_a_layer_outside_the_model():
    x, y = tiny_images()
    with pytest.raises(InputError, match="layer"):
        lgc(TinyNet(), nn.Conv2d(4, 4, 3), x, y, num_classes=3)


# ---------------------------------------------------------------- sampling


# ---------------------------------------------------------------- errors, over the registry


def test_registry_names():
    assert set(SCORES) == {"lfc", "lgc", "leep", "nce", "logme", "domain_similarity", "rsa", "feature_metrics", "h_score", "shrinkage_h_score",
                           "nleep", "transrate", "sfda", "parc"}
    assert set(SCORE_INPUTS) == set(SCORES) == set(SCORE_LABELS)


LABEL_FREE = {"rsa", "feature_metrics"}  # scores whose paper defines them without target labels


def call(name: str, labels: np.ndarray):
    """Call SCORES[name] on valid inputs of len(labels) samples (target classes = labels)."""
    n = labels.size
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(n, 5))
    fn = SCORES[name]
    if name == "lgc":
        net = TinyNet()
        return fn(net, net.conv2, torch.randn(n, 3, 8, 8), labels, num_classes=3)
    if name == "leep":
        return fn(np.full((n, 4), 0.25), labels)
    if name == "nce":
        return fn(np.arange(n) % 4, labels)
    if name == "domain_similarity":
        k = np.unique(labels).size
        return fn(rng.normal(size=(6, 5)), np.ones(6), rng.normal(size=(k, 5)), np.ones(k))
    if name == "rsa":
        return fn(feats, rng.normal(size=(n, 3)))
    if name == "feature_metrics":
        return fn(feats)
    if name == "nleep":  # a mixture of 5 components a class needs more than the 8 samples here
        return fn(feats, labels, components_per_class=2)
    return fn(feats, labels)


# The range each score's definition allows: correlations in [-1, 1], log-likelihoods and negative
# entropies at most 0, e^{-γ·EMD} in (0, 1], sparsities and mean posteriors in [0, 1], traces of
# products of covariances at least 0; LogME and TransRate are any real number.
RANGES = {"lfc": (-1, 1), "lgc": (-1, 1), "rsa": (-1, 1), "leep": (-np.inf, 0), "nce": (-np.inf, 0),
          "domain_similarity": (0, 1), "feature_metrics": (0, 1), "logme": (-np.inf, np.inf), "h_score": (0, np.inf),
          "shrinkage_h_score": (0, np.inf), "nleep": (-np.inf, 0), "transrate": (-np.inf, np.inf), "sfda": (0, 1), "parc": (-1, 1)}


@pytest.mark.parametrize("name", sorted(SCORES))
def test_every_score_runs_on_valid_input_and_stays_in_its_range(name):
    low, high = RANGES[name]
    value = call(name, np.array([0, 1, 2, 0, 1, 2, 0, 1]))
    assert np.isfinite(value) and low <= value <= high
    if name == "leep":  # uniform source predictions: LEEP is the mean log frequency of the labels
        assert value == pytest.approx(np.mean(np.log(np.array([3, 3, 2, 3, 3, 2, 3, 3]) / 8)))


@pytest.mark.parametrize("name", sorted(set(SCORES) - LABEL_FREE))
def test_single_class_target_raises_one_line_input_error(name):
    with pytest.raises(InputError, match="needs at least two classes") as err:
        call(name, np.zeros(6, dtype=int))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", sorted(SCORES))
def test_empty_target_raises_one_line_input_error(name):
    with pytest.raises(InputError, match="empty input") as err:
        call(name, np.zeros(0, dtype=int))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fn", [lfc, logme])
def test_feature_scores_reject_nan_and_mismatched_lengths(fn):
    good, _, y = blobs(0)
    bad = good.copy()
    bad[3, 2] = np.nan
    with pytest.raises(InputError, match="NaN/Inf"):
        fn(bad, y)
    with pytest.raises(InputError, match="mismatched lengths"):
        fn(good, y[:-1])


def test_pairwise_scores_reject_mismatched_lengths_and_bad_probabilities():
    with pytest.raises(InputError, match="mismatched lengths"):
        nce(np.array([0, 1, 2]), np.array([0, 1]))
    with pytest.raises(InputError, match="mismatched lengths"):
        rsa(np.ones((4, 3)) * np.arange(3), np.ones((5, 3)) * np.arange(3))
    with pytest.raises(InputError, match="softmax"):
        leep(np.array([[2.0, 0.0], [0.5, 0.5]]), np.array([0, 1]))


def test_lgc_batched_conv_gradients_equal_per_sample_vmap_gradients():
    """The K-backward-passes-a-batch shortcut for conv layers gives the vmap path's gradients,
    also with an in-place ReLU right after the layer."""
    from reprise.transferability.lgc import _conv_factors, _conv_gradients, _vmap_jacobians

    x, _ = tiny_images(n_per=2)
    torch.manual_seed(1)
    net = TinyNet().eval()
    head = torch.randn(3, 4)
    tensors = {k: v.detach() for k, v in (*net.named_parameters(), *net.named_buffers())}
    fast = [_conv_gradients(deltas, patches) for deltas, patches in _conv_factors(net, net.conv2, head, x, 4)]
    slow = [torch.cat(g, dim=1) for g in _vmap_jacobians(net, tensors, "conv2.weight", head, x, 4)]
    torch.testing.assert_close(torch.cat(fast), torch.cat(slow), rtol=1e-5, atol=1e-6)
    assert torch.cat(fast).abs().sum() > 0


def test_the_tensor_sketch_is_the_count_sketch_of_the_formed_gradients():
    """The conv path's sketch, computed by FFT from the gradients' factors, equals a count sketch
    of the formed gradients with bucket h_k(o) + h(q) mod D and sign σ_k(o) σ(q)."""
    from reprise.transferability.lgc import _conv_factors, _conv_gradients, _TensorSketch

    x, _ = tiny_images(n_per=2)
    torch.manual_seed(1)
    net, head, dim = TinyNet().eval(), torch.randn(3, 4), 50
    sketch = _TensorSketch(dim, seed=3)
    for deltas, patches in _conv_factors(net, net.conv2, head, x, 4):
        got, grads = sketch(deltas, patches), _conv_gradients(deltas, patches)
        out_ch, patch = deltas[0].shape[1], patches.shape[1]
        want = torch.zeros(len(grads), dim)
        in_bucket, in_sign = sketch._hash((1,), patch, patches)
        for k in range(3):
            out_bucket, out_sign = sketch._hash((0, k), out_ch, patches)
            bucket = (out_bucket[:, None] + in_bucket[None, :]) % dim
            sign = out_sign[:, None] * in_sign[None, :]
            want.index_add_(1, bucket.flatten(), grads[:, k * out_ch * patch : (k + 1) * out_ch * patch] * sign.flatten())
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
        assert want.abs().sum() > 0
