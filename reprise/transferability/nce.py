"""NCE, Tran, Nguyen & Hassner 2019, "Transferability and Hardness of Supervised Classification
Tasks" (ICCV), Definition 2 / eq. 2; used in the inadequately-pretrained-checkpoints paper §4.5."""

from __future__ import annotations

import numpy as np

from reprise.transferability._checks import check_labels


def nce(source_labels_pred: np.ndarray, labels: np.ndarray) -> float:
    r"""Negative Conditional Entropy of the target labels Y given the source labels Z.

    With the empirical joint \hat P(y, z) = |\{i: y_i = y, z_i = z\}| / n:

    .. math::
        \mathrm{NCE} = -H(Y \mid Z) = \sum_{y, z} \hat P(y, z) \log \frac{\hat P(y, z)}{\hat P(z)}

    (terms with \hat P(y, z) = 0 are 0). Following the LEEP paper's use of NCE, z_i is the
    source head's prediction (argmax) on target image x_i.

    Args:
        source_labels_pred: [n] int source class predicted for each target image.
        labels: [n] int target class ids, at least two classes.

    Returns:
        A value <= 0; higher (closer to 0) means the source labels determine the target
        labels better, i.e. better transferability.
    """
    y = check_labels(labels)
    z = check_labels(source_labels_pred, y.shape[0], min_classes=1, name="source_labels_pred")
    _, y_idx = np.unique(y, return_inverse=True)
    _, z_idx = np.unique(z, return_inverse=True)
    joint = np.zeros((y_idx.max() + 1, z_idx.max() + 1))
    np.add.at(joint, (y_idx, z_idx), 1.0 / y.shape[0])
    p_z = joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log((joint / p_z)[nz])))
