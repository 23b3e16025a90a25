"""The testbed suite's settings and fixtures shared by its tests."""

import pandas as pd

from reprise.reuse.suite.settings import TestbedSettings

POOL = ["digit"] * 10 + ["latin_upper"] * 26 + ["other"] * 64  # 100 pool classes
CFG = TestbedSettings.parse({
    "targets": {"mnist": {"labels_per_class": 20, "test_per_class": None, "elastic_alpha": 0},
                "latin_upper": {"labels_per_class": 5, "test_per_class": 40, "elastic_alpha": 16}},
    "pretrain_seeds": [0, 3], "seeds": 10, "sweep_seeds": 5, "methods": ["none", "random", "uot", "label"],
    "tuning": {"lrs": [0.02, 0.005], "lambdas": [1.0, 0.3], "val_fraction": 0.2, "seeds": 2, "shared": False},
    "k_multiples": [0.5, 1, 2, 3], "fractions": [0.2, 0.6, 1.0], "long_tail": {"largest": 20, "ratio": 10}, "deciles": 10,
    "clusters": [50, 200], "contrastive": {"epochs": 2, "clusters": 100}, "elastic_sigma": 3.0, "workers": 1,
})
TUNED = pd.DataFrame([{"target": t, "method": m, "lr": 0.02 if m == "uot" else 0.005, "lambda": 1.0} for t in CFG.targets for m in CFG.methods])
