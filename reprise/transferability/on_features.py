"""Every score that needs only a model's features on the target sample (and, for LEEP and NCE, its
source head), computed and timed in one place for the zoo and the checkpoint study.

The rest need more than features: LGC the model and the images, Domain Similarity the model's own
pre-training data, RSA a network trained on the target (:data:`reprise.transferability.SCORE_INPUTS`).
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from reprise.core.score_names import FEATURE_SCORES
from reprise.transferability.feature_metrics import feature_metrics
from reprise.transferability.hscore import h_score
from reprise.transferability.leep import leep
from reprise.transferability.lfc import lfc
from reprise.transferability.logme import logme
from reprise.transferability.nce import nce
from reprise.transferability.nleep import nleep
from reprise.transferability.parc import parc
from reprise.transferability.sfda import sfda
from reprise.transferability.shrinkage_hscore import shrinkage_h_score
from reprise.transferability.source_head import source_head_softmax
from reprise.transferability.transrate import transrate

LABELLED_FEATURE_SCORES = {"lfc": lfc, "logme": logme, "h_score": h_score, "shrinkage_h_score": shrinkage_h_score, "transrate": transrate,
                           "sfda": sfda, "parc": parc}
SOURCE_HEAD_SCORES = ("leep", "nce")


def scores_on_features(features: np.ndarray, labels: np.ndarray, source_head: dict | None, seed: int = 0) -> list[dict]:
    """Rows ``score, value, seconds`` of every score of ``reprise.core.score_names.FEATURE_SCORES`` on ``features``
    [n, d] of the target sample with ``labels`` [n]: the label-based ones, NLEEP (its mixture
    seeded with ``seed``), LEEP and NCE on ``source_head`` (the model's pre-training classifier,
    a state dict; NaN without one) and Feature Metrics. ``seconds`` is the score's own time,
    without extracting the features.

    BLAS runs on one thread here: the scores' matrices are small (a sample of at most 25 images
    a class), where BLAS threads cost more than they give
    (``benchmarks/score_threads.py``)."""
    with threadpool_limits(1):
        return _scores_on_features(features, labels, source_head, seed)


def _scores_on_features(features: np.ndarray, labels: np.ndarray, source_head: dict | None, seed: int) -> list[dict]:

    def timed(name, compute, base=0.0):
        start = time.perf_counter()
        value = compute()
        return {"score": name, "value": float(value), "seconds": base + time.perf_counter() - start}

    rows = [timed(name, lambda f=f: f(features, labels)) for name, f in LABELLED_FEATURE_SCORES.items()]
    rows.append(timed("nleep", lambda: nleep(features, labels, seed=seed)))
    if source_head is not None:
        start = time.perf_counter()
        probs = source_head_softmax(features, source_head)
        head = time.perf_counter() - start  # both scores read the head's softmax
        rows += [timed("leep", lambda: leep(probs, labels), head), timed("nce", lambda: nce(probs.argmax(1), labels), head)]
    else:
        rows += [{"score": name, "value": float("nan"), "seconds": float("nan")} for name in SOURCE_HEAD_SCORES]
    rows.append(timed("feature_metrics", lambda: feature_metrics(features)))
    order = {name: i for i, name in enumerate(FEATURE_SCORES)}
    return sorted(rows, key=lambda row: order[row["score"]])
