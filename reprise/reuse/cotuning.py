"""Co-Tuning (You, Kou, Jiang, Wang & Long, NeurIPS 2020), a baseline of the UOT paper's Table 1a:
reuse the pre-trained source classifier instead of source images.

The category relationship p(y_s | y_t), a row over the Z source classes for each of the K target
classes, is the mean of the source head's *calibrated* softmax over the target training images
of class y_t:

    p(y_s | y_t) = 1/|D_t| Σ_{x ∈ D_t} softmax(z_s(x) / T),

with T fitted by temperature scaling (Guo et al. 2017: the T that minimises the negative
log-likelihood of held-out *source* images under softmax(z_s / T)). Fine-tuning then keeps the
source head, initialised from the pre-trained one, and adds λ times the cross-entropy between its
softmax and the relationship row of each target image's label to the target loss
(:func:`reprise.core.finetune.finetune` with ``relationship``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from reprise.core.checkpoints import linear_head
from reprise.core.errors import InputError
from reprise.core.features import extract_features
from reprise.core.images import ImageSpec, ImageTable


def fit_temperature(logits: np.ndarray, labels: np.ndarray, steps: int = 200) -> float:
    """Temperature scaling: the T > 0 minimising the mean NLL of ``labels [n]`` under
    softmax(``logits [n, Z]`` / T), by L-BFGS on log T (starting at T = 1)."""
    z = torch.tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.tensor(np.asarray(labels), dtype=torch.int64)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def category_relationship(source_probs: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """p(y_s | y_t) ``[num_classes, Z]``: the mean of ``source_probs [n, Z]`` over the images of
    each target class (rows sum to 1). A class without images is an error."""
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise InputError(f"target class {int(np.flatnonzero(counts == 0)[0])} has no training image; Co-Tuning needs every class")
    sums = np.zeros((num_classes, source_probs.shape[1]))
    np.add.at(sums, labels, source_probs)
    return sums / counts[:, None]


def cotuning_relationship(
    backbone: torch.nn.Module, spec: ImageSpec, source_head: dict | None, target: ImageTable, source_val: ImageTable | None,
    device: torch.device,
) -> tuple[np.ndarray, float]:
    """The relationship of a pre-trained backbone's ``source_head`` for the ``target`` training
    table, and the temperature used. T is fitted on ``source_val`` (held-out source images whose
    labels are the source head's classes) when it is given and its classes are the head's; else
    T = 1 (uncalibrated)."""
    if source_head is None:
        raise InputError("Co-Tuning needs the backbone's source classifier (source_head); this checkpoint has none "
                         "(a contrastive backbone, or weights without fc): choose another select.method")
    head = linear_head(source_head).to(device).eval()
    temperature = 1.0
    if source_val is not None and source_val.num_classes == head.out_features:
        val_logits = _logits(backbone, spec, head, source_val, device)
        temperature = fit_temperature(val_logits, source_val.labels)
    probs = torch.softmax(torch.from_numpy(_logits(backbone, spec, head, target, device)) / temperature, dim=1).numpy()
    return category_relationship(probs, target.labels, target.num_classes), temperature


@torch.no_grad()
def _logits(backbone, spec: ImageSpec, head: torch.nn.Linear, table: ImageTable, device: torch.device) -> np.ndarray:
    features = extract_features(backbone, spec, table, device, progress=False)
    return head(torch.from_numpy(features).to(device)).double().cpu().numpy()
