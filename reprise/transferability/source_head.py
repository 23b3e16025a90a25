"""The pre-trained source head's predictions on target features: what LEEP (its softmax) and NCE
(its argmax) read. One function, so the model zoo and the checkpoint study compute them alike."""

from __future__ import annotations

import numpy as np

from reprise.transferability._checks import check_matrix


def source_head_softmax(features: np.ndarray, head: dict) -> np.ndarray:
    """Softmax ``[n, Z]`` (float64) of a source head ``{"weight": [Z, d], "bias": [Z]}`` (an
    ``nn.Linear`` state dict, tensors or arrays) on penultimate ``features [n, d]``."""
    x = check_matrix(features, "features")
    weight, bias = (np.asarray(head[key], dtype=np.float64) for key in ("weight", "bias"))
    logits = x @ weight.T + bias
    probs = np.exp(logits - logits.max(1, keepdims=True))
    return probs / probs.sum(1, keepdims=True)
