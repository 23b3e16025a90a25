"""The source term of eq. 7 of the UOT paper: unlabelled source images through soft pseudo-labels.

Each selected source image x' is seen twice: a weak view (flip/shift) and a strong view
(RandAugment). The model's softmax on the weak view, detached, is the soft target of the strong
view: ``h = -Σ_k p(k | weak) log p(k | strong)``, averaged over the batch, with the target
head (eq. 7 has one head), no temperature and no confidence threshold.
"""

import torch


def pseudo_label_loss(logits_strong: torch.Tensor, logits_weak: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the strong-view logits ``[N, K]`` against ``softmax(weak)`` (no gradient)."""
    soft_target = logits_weak.detach().softmax(dim=1)
    return -(soft_target * logits_strong.log_softmax(dim=1)).sum(dim=1).mean()
