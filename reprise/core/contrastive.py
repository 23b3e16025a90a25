"""Self-supervised pre-training without labels: the SimCLR objective (Chen et al. 2020).

Two random views of every image go through the backbone and a projection head (an MLP, as in
MoCo-v2, whose 128-d output the UOT paper uses for its self-supervised features); the NT-Xent
loss pulls the two views of an image together and pushes the other images of the batch away:

    L = -1/2N Σ_k log( exp(sim(z_k, z_k⁺)/T) / Σ_{l≠k} exp(sim(z_k, z_l)/T) ),

over the 2N projected views, with cosine similarity and temperature T. No label is read.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from reprise.core.errors import InputError


class ProjectionHead(nn.Sequential):
    """Linear → ReLU → Linear, the MoCo-v2 MLP head (its keys ``0.*`` and ``2.*`` match MoCo's
    ``fc.0``/``fc.2``)."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int = 128) -> None:
        super().__init__(nn.Linear(in_dim, hidden_dim), nn.ReLU(inplace=True), nn.Linear(hidden_dim, out_dim))
        self.in_dim, self.hidden_dim, self.out_dim = in_dim, hidden_dim, out_dim


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """NT-Xent loss of two batches of projections ``[N, d]``, row k of each a view of image k."""
    if z1.shape != z2.shape or z1.shape[0] < 2:
        raise InputError(f"nt_xent needs two [N, d] batches with N >= 2, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if not temperature > 0:
        raise InputError(f"pretrain.temperature must be positive, got {temperature}")
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    n = z1.shape[0]
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))  # a view is not its own positive or negative
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, positives)
