"""LEEP, Nguyen et al. 2020, "LEEP: A New Measure to Evaluate Transferability of Learned
Representations" (ICML), eq. 1-2; used as a baseline in the linearized model-selection paper
(Appendix C) and the inadequately-pretrained-checkpoints paper (§4.5)."""

from __future__ import annotations

import numpy as np

from reprise.core.errors import InputError
from reprise.transferability._checks import check_features_labels


def leep(source_probs: np.ndarray, labels: np.ndarray) -> float:
    r"""Log Expected Empirical Prediction.

    With \theta(x_i) the source-head softmax over the Z source classes:

    .. math::
        \hat P(y, z) = \frac1n \sum_{i: y_i = y} \theta(x_i)_z,\quad
        \hat P(y \mid z) = \frac{\hat P(y, z)}{\sum_{y'} \hat P(y', z)},\quad
        \mathrm{LEEP} = \frac1n \sum_{i=1}^n \log \sum_{z} \hat P(y_i \mid z)\, \theta(x_i)_z

    Source classes z that receive zero probability on every target sample are dropped (they
    contribute nothing to the sum).

    Args:
        source_probs: [n, Z] softmax outputs of the pre-trained source head on the target
            images; rows non-negative and summing to 1.
        labels: [n] int target class ids, at least two classes.

    Returns:
        The average log-likelihood of the target labels under the empirical classifier
        (<= 0); higher (closer to 0) means better transferability.
    """
    p, y = check_features_labels(source_probs, labels)
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise InputError("source_probs: rows must be softmax probabilities (>= 0, summing to 1)")
    classes, y_idx = np.unique(y, return_inverse=True)
    joint = np.zeros((classes.size, p.shape[1]))
    np.add.at(joint, y_idx, p / p.shape[0])  # \hat P(y, z)
    p_z = joint.sum(axis=0)
    keep = p_z > 0
    cond = joint[:, keep] / p_z[keep]  # \hat P(y | z), [K, Z']
    eep = np.einsum("iz,iz->i", p[:, keep], cond[y_idx])  # sum_z P(y_i|z) theta(x_i)_z
    return float(np.mean(np.log(eep)))
