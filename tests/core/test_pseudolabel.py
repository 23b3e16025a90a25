"""The source term of eq. 7: cross-entropy of the strong view against the weak view's softmax."""

import pytest
import torch

from reprise.core.pseudolabel import pseudo_label_loss


def test_pseudo_label_is_the_weak_softmax_without_temperature_threshold_or_gradient():
    g = torch.Generator().manual_seed(0)
    logits_weak = torch.randn(8, 10, generator=g, requires_grad=True)
    logits_strong = torch.randn(8, 10, generator=g, requires_grad=True)
    loss = pseudo_label_loss(logits_strong, logits_weak)
    loss.backward()
    assert logits_weak.grad is None and logits_strong.grad.abs().sum() > 0
    expected = -(logits_weak.detach().softmax(1) * logits_strong.detach().log_softmax(1)).sum(1).mean()
    assert loss.item() == pytest.approx(expected.item())
    # Agreeing views give the smallest loss for a given weak prediction: its entropy.
    weak = logits_weak.detach()
    entropy = -(weak.softmax(1) * weak.log_softmax(1)).sum(1).mean()
    assert pseudo_label_loss(weak, weak).item() == pytest.approx(entropy.item(), rel=1e-6)
    assert pseudo_label_loss(weak, weak).item() < pseudo_label_loss(logits_strong.detach(), weak).item()
