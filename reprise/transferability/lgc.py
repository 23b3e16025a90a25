"""Label-Gradient Correlation (LGC), Deshpande et al. 2021, "A linearized framework and a new
benchmark for model selection for fine-tuning", §3.1-3.3, eq. 2, 7 and the normalisation of eq. 8."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.func import functional_call, jacrev, vmap

from reprise.errors import InputError
from reprise.transferability._checks import check_labels
from reprise.transferability.lfc import label_correlation

_CHUNK_ROWS = 2048  # rows of R generated at a time: memory O(_CHUNK_ROWS * projection_dim)
_BLOCK_ELEMS = 2**26  # Jacobian entries (256 MB in float32) gathered before a pass over R


def _generator(device: torch.device, *key: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1)[0]))


def _project(g: torch.Tensor, out_dim: int, seed: int) -> torch.Tensor:
    """Project per-sample Jacobians g [B, K, P] to [B, out_dim]: z = sum_k s_k * (R^T g_k) / sqrt(out_dim),
    R [P, out_dim] i.i.d. N(0, 1) shared by the K logits, s_k [out_dim] i.i.d. Rademacher signs, so
    E<z_i, z_j> = sum_k <g_ik, g_jk> with only P * out_dim Gaussians. R is generated in row chunks,
    each seeded by (seed, chunk index), so the result does not depend on the batching."""
    b, k, p = g.shape
    flat = g.reshape(b * k, p)
    acc = torch.zeros(b * k, out_dim, dtype=g.dtype, device=g.device)
    for c, start in enumerate(range(0, p, _CHUNK_ROWS)):
        rows = min(_CHUNK_ROWS, p - start)
        r = torch.randn(rows, out_dim, generator=_generator(g.device, seed, 1, c), dtype=g.dtype, device=g.device)
        acc.addmm_(flat[:, start:start + rows], r)
    signs = torch.randint(0, 2, (k, out_dim), generator=_generator(g.device, seed, 2), device=g.device) * 2 - 1
    return (acc.view(b, k, out_dim) * signs.to(g.dtype)).sum(dim=1) / math.sqrt(out_dim)


def lgc(model: torch.nn.Module, layer: torch.nn.Module, images: torch.Tensor, labels, num_classes: int,
        projection_dim: int = 10_000, seed: int = 0, batch_size: int = 16) -> float:
    r"""Label-Gradient Correlation: eq. 8 with the gradient Gram (NTK) matrix of eq. 2.

    .. math::
        S_{LG} = \frac{(\Theta - \mu_\Theta)\cdot(K_Y - \mu_K)}{\|\Theta - \mu_\Theta\|_2\,\|K_Y - \mu_K\|_2},
        \qquad \Theta_{ij} = \sum_{k=1}^{K} \langle \nabla_{W} f_k(x_i),\ \nabla_{W} f_k(x_j)\rangle

    f_k is logit k of the model followed by a new K-way linear head, W the weights of ``layer``
    (the last conv layer, following Mu et al. 2020). When K * |W| exceeds ``projection_dim`` the
    Jacobians are first randomly projected to ``projection_dim`` (seeded, see ``_project``; the
    Gram matrix is preserved in expectation), otherwise Theta is exact. As eq. 2 says, the *output*
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
        batch_size: images per vmapped Jacobian. Peak memory is about
            max(batch_size * K * |W|, 2^26) floats for Jacobians plus 2048 * projection_dim for R.

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

        def logits(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            out = functional_call(model, {**tensors, names[0]: w}, (x.unsqueeze(0),))
            return out.flatten(1)[0] @ head.T

        per_sample_jacobian = vmap(jacrev(logits), in_dims=(None, 0))
        dim = num_classes * w0.numel()
        rows, pending = [], []  # pending: Jacobians waiting to be projected together (one pass over R)
        for start in range(0, images.shape[0], batch_size):
            g = per_sample_jacobian(w0, images[start:start + batch_size]).flatten(2)  # [B, K, |W|]
            if dim <= projection_dim:
                rows.append(g.flatten(1))
                continue
            pending.append(g)
            if sum(p.numel() for p in pending) >= _BLOCK_ELEMS or start + batch_size >= images.shape[0]:
                rows.append(_project(torch.cat(pending), projection_dim, seed))
                pending = []
        grads = torch.cat(rows).double().cpu().numpy()
    finally:
        for m, mode in modes.items():
            m.training = mode
    if not np.all(np.isfinite(grads)):
        raise InputError("model: gradients contain NaN/Inf; check the weights and the image normalisation")
    return label_correlation(grads, y)
