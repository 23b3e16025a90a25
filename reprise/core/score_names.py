"""The transferability scores' names as people write them (figures, tables, findings), for the
reports, which read scores from files and do not load the scores' code."""

SCORE_LABELS = {
    "lfc": "LFC", "lgc": "LGC", "leep": "LEEP", "nce": "NCE", "logme": "LogME", "domain_similarity": "Domain Similarity", "rsa": "RSA",
    "feature_metrics": "Feature Metrics", "h_score": "H-score", "shrinkage_h_score": "shrinkage H-score", "nleep": "NLEEP",
    "transrate": "TransRate", "sfda": "SFDA", "parc": "PARC",
}

# The scores a model's features on the target sample (and its source head) give, in the order the
# reports list them; reprise.transferability.on_features computes them.
FEATURE_SCORES = ("lfc", "logme", "h_score", "shrinkage_h_score", "transrate", "sfda", "parc", "nleep", "leep", "nce", "feature_metrics")
