"""Transferability scores for model selection: one small module per score, one function each.

Every score returns a float where higher means "better model to fine-tune on this target", and
raises ``reprise.core.errors.InputError`` with a one-line message on bad input. Sample the target
first with ``reprise.core.sampling.sample_per_class`` (at most 25 images a class, as the
linearized model-selection paper does).
"""

from reprise.transferability.domain_similarity import domain_similarity
from reprise.transferability.feature_metrics import feature_metric_components, feature_metrics
from reprise.transferability.hscore import h_score
from reprise.transferability.leep import leep
from reprise.transferability.lfc import label_correlation, lfc
from reprise.transferability.lgc import lgc
from reprise.transferability.logme import logme
from reprise.transferability.nce import nce
from reprise.transferability.nleep import nleep
from reprise.transferability.parc import parc
from reprise.transferability.rsa import rsa
from reprise.transferability.sfda import sfda
from reprise.transferability.shrinkage_hscore import shrinkage_h_score
from reprise.transferability.source_head import source_head_softmax
from reprise.transferability.transrate import transrate

SCORES = {
    "lfc": lfc,
    "lgc": lgc,
    "leep": leep,
    "nce": nce,
    "logme": logme,
    "domain_similarity": domain_similarity,
    "rsa": rsa,
    "feature_metrics": feature_metrics,
    "h_score": h_score,
    "shrinkage_h_score": shrinkage_h_score,
    "nleep": nleep,
    "transrate": transrate,
    "sfda": sfda,
    "parc": parc,
}

# What each score needs, one line each (n target samples, d feature dims, Z source classes).
SCORE_INPUTS = {
    "lfc": "features [n, d] before the classifier, labels [n]",
    "lgc": "backbone model, its last conv layer, images [n, C, H, W], labels [n], num_classes",
    "leep": "source-head softmax [n, Z], labels [n]",
    "nce": "source-head argmax [n], labels [n]",
    "logme": "features [n, d], labels [n]",
    "domain_similarity": "source and target class means [K, d] with class sizes [K] (source = the model's own pre-training data)",
    "rsa": "features [n, d] and a target-trained probe's features [n, d'] of the same images (no labels)",
    "feature_metrics": "features [n, d] (no labels)",
    "h_score": "features [n, d], labels [n]",
    "shrinkage_h_score": "features [n, d], labels [n]",
    "nleep": "features [n, d], labels [n] (a seeded Gaussian mixture stands in for the source head)",
    "transrate": "features [n, d], labels [n]",
    "sfda": "features [n, d], labels [n]",
    "parc": "features [n, d], labels [n]",
}

__all__ = [
    "SCORES", "SCORE_INPUTS", "domain_similarity", "feature_metric_components", "feature_metrics", "h_score", "label_correlation", "leep",
    "lfc", "lgc", "logme", "nce", "nleep", "parc", "rsa", "sfda", "shrinkage_h_score", "source_head_softmax", "transrate",
]
