"""Label-Gradient Correlation (LGC), Deshpande et al. 2021, "A linearized framework and a new
benchmark for model selection for fine-tuning", §3.1-3.3, eq. 2, 7 and the normalisation of eq. 8."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.func import functional_call, jacrev, vmap

from reprise.core.errors import InputError
from reprise.transferability._checks import check_labels
from reprise.transferability.lfc import label_correlation


def _generator(device: torch.device, *key: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1)[0]))


class _CountSketch:
    """A count sketch of the (logit, parameter) pairs jointly: coordinate p of logit k's gradient
    is added, with a random sign σ_kp, to bucket h_k(p) of ``out_dim``, every logit hashed
    independently (seeded by ``seed`` and k), z = Σ_k S_k g_k. Then

        E<z_i, z_j> = Σ_k <g_ik, g_jk>,

    the cross-logit terms Σ_{k≠l} <S_k g_ik, S_l g_jl> having mean zero for *every* pair of
    logits, and the error of the projected Gram matrix shrinks as ``out_dim`` grows (Charikar
    et al. 2002; Weinberger et al. 2009), at O(K P) per sample instead of the O(K P out_dim) of
    a dense Gaussian projection. Hashes are drawn once and kept while K·P fits ``cache_entries``,
    else drawn again for every batch (the same draws: each is seeded)."""

    def __init__(self, out_dim: int, seed: int, cache_entries: int = 1 << 26) -> None:
        self.out_dim, self.seed, self.cache_entries = out_dim, seed, cache_entries
        self.cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def _hash(self, k: int, p: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if k in self.cache:
            return self.cache[k]
        bucket = torch.randint(0, self.out_dim, (p,), generator=_generator(like.device, self.seed, 1, k), device=like.device)
        sign = torch.randint(0, 2, (p,), generator=_generator(like.device, self.seed, 2, k), device=like.device).to(like.dtype) * 2 - 1
        if (k + 1) * p <= self.cache_entries:
            self.cache[k] = (bucket, sign)
        return bucket, sign

    def __call__(self, per_logit: list[torch.Tensor]) -> torch.Tensor:
        """``[B, out_dim]`` sketches of per-sample gradients, one ``[B, P]`` tensor per logit."""
        g0 = per_logit[0]
        z = torch.zeros(g0.shape[0], self.out_dim, dtype=g0.dtype, device=g0.device)
        for k, g in enumerate(per_logit):
            bucket, sign = self._hash(k, g.shape[1], g)
            z.index_add_(1, bucket, g * sign)
        return z


def _vmap_jacobians(model, tensors: dict, weight_name: str, head: torch.Tensor, images: torch.Tensor, batch_size: int):
    """Per-sample gradients of the head's K logits w.r.t. one weight, by vmap: a list of K
    ``[B, |W|]`` tensors per batch."""

    def logits(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, {**tensors, weight_name: w}, (x.unsqueeze(0),))
        return out.flatten(1)[0] @ head.T

    per_sample = vmap(jacrev(logits), in_dims=(None, 0))
    for start in range(0, images.shape[0], batch_size):
        yield list(per_sample(tensors[weight_name], images[start:start + batch_size]).flatten(2).unbind(1))


def _conv_factors(model, layer: torch.nn.Conv2d, head: torch.Tensor, images: torch.Tensor, batch_size: int):
    """The per-sample gradients of a Conv2d weight in factored form, K backward passes a batch
    instead of K a sample: per batch, the K output gradients ``δ_k`` ``[B, C_out, L]`` and the
    unfolded input patches ``[B, C_in·kh·kw, L]`` (L = output positions).

    In eval mode samples do not interact, so one backward pass of Σ_i f_k(x_i) gives every
    sample's gradient at the layer's output, δ_ik; the weight gradient of sample i is then
    ``δ_ik · patches_iᵀ`` (C_out × C_in·kh·kw).
    """
    captured = {}

    def keep(module, inputs, output):
        # Keep the output and pass a copy on, so that an in-place op downstream (ReLU(inplace))
        # cannot change the tensor whose gradient is taken.
        captured["input"], captured["output"] = inputs[0], output
        return output.clone()

    hook = layer.register_forward_hook(keep)
    try:
        for start in range(0, images.shape[0], batch_size):
            with torch.enable_grad():
                x = images[start:start + batch_size]
                logits = model(x).flatten(1) @ head.T  # [B, K]
                patches = torch.nn.functional.unfold(
                    captured["input"].detach(), layer.kernel_size, layer.dilation, layer.padding, layer.stride
                )  # [B, C_in*kh*kw, L]
                deltas = []
                for k in range(head.shape[0]):
                    (delta,) = torch.autograd.grad(logits[:, k].sum(), captured["output"], retain_graph=k + 1 < head.shape[0])
                    deltas.append(delta.flatten(2))
            yield deltas, patches
    finally:
        hook.remove()


def _conv_gradients(deltas: list[torch.Tensor], patches: torch.Tensor) -> torch.Tensor:
    """The gradients themselves, ``[B, K·|W|]`` (logit by logit), from :func:`_conv_factors`."""
    return torch.cat([torch.einsum("bol,bpl->bop", delta, patches).flatten(1) for delta in deltas], dim=1)


class _TensorSketch:
    """A count sketch of conv weight gradients ``Σ_k δ_k patchesᵀ`` that never forms them:
    coordinate (o, q) of logit k's gradient goes to bucket ``(h_k(o) + h(q)) mod out_dim`` with
    sign ``σ_k(o) σ(q)`` (Pham and Pagh 2013's tensor sketch), every logit's output-side hashes
    drawn independently (seeded by ``seed`` and k). The sketch of an outer product is then the
    circular convolution of the sketches of its factors, computed by FFT, and a gradient (a sum
    of L outer products) is sketched in O(L (K C_out + C_in kh kw + out_dim log out_dim)) instead
    of the O(K C_out C_in kh kw L) of forming it. As for :class:`_CountSketch`,
    ``E<z_i, z_j> = Σ_k <g_ik, g_jk>`` (the cross-logit terms have mean zero, the signs of
    different logits being independent) and the error shrinks as ``out_dim`` grows."""

    def __init__(self, out_dim: int, seed: int) -> None:
        self.out_dim, self.seed = out_dim, seed
        self.hashes: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def _hash(self, key: tuple, size: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if key not in self.hashes:
            bucket = torch.randint(0, self.out_dim, (size,), generator=_generator(like.device, self.seed, 3, *key), device=like.device)
            sign = torch.randint(0, 2, (size,), generator=_generator(like.device, self.seed, 4, *key), device=like.device).to(like.dtype) * 2 - 1
            self.hashes[key] = (bucket, sign)
        return self.hashes[key]

    def _sketch_rows(self, x: torch.Tensor, key: tuple, into: torch.Tensor) -> None:
        """Add the count sketch of every ``x[b, :, l]`` to ``into[b, l]``."""
        bucket, sign = self._hash(key, x.shape[1], x)
        into.index_add_(2, bucket, (x * sign[None, :, None]).transpose(1, 2))

    def __call__(self, deltas: list[torch.Tensor], patches: torch.Tensor) -> torch.Tensor:
        """``[B, out_dim]`` sketches from K ``[B, C_out, L]`` output gradients and ``[B, Q, L]`` patches."""
        B, _, L = patches.shape
        out_side = patches.new_zeros(B, L, self.out_dim)
        for k, delta in enumerate(deltas):
            self._sketch_rows(delta, (0, k), out_side)
        in_side = patches.new_zeros(B, L, self.out_dim)
        self._sketch_rows(patches, (1,), in_side)
        spectrum = (torch.fft.rfft(out_side, dim=2) * torch.fft.rfft(in_side, dim=2)).sum(dim=1)
        return torch.fft.irfft(spectrum, n=self.out_dim, dim=1)


def lgc(model: torch.nn.Module, layer: torch.nn.Module, images: torch.Tensor, labels, num_classes: int,
        projection_dim: int = 10_000, seed: int = 0, batch_size: int = 16) -> float:
    r"""Label-Gradient Correlation: eq. 8 with the gradient Gram (NTK) matrix of eq. 2.

    .. math::
        S_{LG} = \frac{(\Theta - \mu_\Theta)\cdot(K_Y - \mu_K)}{\|\Theta - \mu_\Theta\|_2\,\|K_Y - \mu_K\|_2},
        \qquad \Theta_{ij} = \sum_{k=1}^{K} \langle \nabla_{W} f_k(x_i),\ \nabla_{W} f_k(x_j)\rangle

    f_k is logit k of the model followed by a new K-way linear head, W the weights of ``layer``
    (the last conv layer, following Mu et al. 2020). When K * |W| exceeds ``projection_dim`` the
    Jacobians are first randomly projected to ``projection_dim`` by a count sketch of the
    (logit, parameter) pairs (seeded; for a conv layer a tensor sketch, ``_TensorSketch``, that
    never forms the gradients, else ``_CountSketch``: the projected Theta is an unbiased estimate
    whose error shrinks as ``projection_dim`` grows), otherwise Theta is exact. As eq. 2 says, the *output*
    f_{w0}(x) is differentiated, not a loss, so the labels enter only through K_Y. The paper does
    not say how the target head is initialised: a zero head would zero every gradient below it,
    so the head is i.i.d. N(0, 1/d) (seeded by ``seed``; no bias, it does not affect these
    gradients), as at the start of fine-tuning. The K x K output blocks of the multi-output NTK
    are reduced to an N x N matrix by their trace (sum over the K logits), which is what the
    one-hot Y^T Theta Y of footnote 1 becomes when the output blocks are independent.

    The model is run in eval mode (BatchNorm uses its running statistics); its parameters,
    ``requires_grad`` flags, ``.grad`` and train/eval flags are left as they were.

    Args:
        model: backbone mapping images [B, C, H, W] to features [B, d] (or [B, ...], flattened):
            the pre-trained network without its source classifier.
        layer: submodule of ``model`` whose ``weight`` is differentiated (the last conv layer).
        images: [n, C, H, W] target images (already sampled, e.g. <= 25 per class).
        labels: [n] int target class ids in [0, num_classes), at least two classes.
        num_classes: K, outputs of the new head.
        projection_dim: dimension of the random projection (the paper uses 10K).
        seed: seeds the head and the projection; same seed, same score.
        batch_size: images per vmapped Jacobian; peak memory is about batch_size * K * |W|
            floats.

    Returns:
        Score in [-1, 1]; higher means gradients of same-label samples are more aligned, a
        model predicted to fine-tune faster and generalise better.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[0] == 0:
        raise InputError(f"images: empty input or not a [n, C, H, W] tensor (got {getattr(images, 'shape', type(images))})")
    y = check_labels(np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels), images.shape[0])
    if not torch.isfinite(images).all():
        raise InputError("images: contains NaN/Inf values")
    if num_classes < 2 or y.min() < 0 or y.max() >= num_classes:
        raise InputError(f"num_classes: must be >= 2 and exceed every label, got {num_classes} for labels up to {y.max()}")
    if projection_dim < 1 or batch_size < 1:
        raise InputError(f"projection_dim and batch_size must be >= 1, got {projection_dim}, {batch_size}")
    names = [k for k, v in model.named_parameters() if v is getattr(layer, "weight", None)]
    if not names:
        raise InputError("layer: not a submodule of model with a weight parameter; pass e.g. model.layer4[-1].conv3")

    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        tensors = {k: v.detach() for k, v in (*model.named_parameters(), *model.named_buffers())}
        w0 = tensors[names[0]]
        images = images.to(device=w0.device, dtype=w0.dtype)
        with torch.no_grad():
            d = model(images[:1]).flatten(1).shape[1]
        head = torch.randn(num_classes, d, generator=_generator(w0.device, seed, 0), dtype=w0.dtype, device=w0.device) / math.sqrt(d)

        exact = num_classes * w0.numel() <= projection_dim
        if isinstance(layer, torch.nn.Conv2d) and layer.groups == 1 and layer.padding_mode == "zeros":
            sketch = None if exact else _TensorSketch(projection_dim, seed)
            rows = [_conv_gradients(deltas, patches) if exact else sketch(deltas, patches)
                    for deltas, patches in _conv_factors(model, layer, head, images, batch_size)]
        else:
            sketch = None if exact else _CountSketch(projection_dim, seed)
            rows = [torch.cat(g, dim=1) if exact else sketch(g) for g in _vmap_jacobians(model, tensors, names[0], head, images, batch_size)]
        grads = torch.cat(rows).double().cpu().numpy()
    finally:
        for m, mode in modes.items():
            m.training = mode
    if not np.all(np.isfinite(grads)):
        raise InputError("model: gradients contain NaN/Inf; check the weights and the image normalisation")
    return label_correlation(grads, y)
