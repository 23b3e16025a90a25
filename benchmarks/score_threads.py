"""The transferability scores with BLAS on every core against BLAS on one thread, on the shapes the
zoo scores (a sample of at most 25 images a class), to show why
:func:`reprise.transferability.on_features.scores_on_features` runs them on one thread.

    python benchmarks/score_threads.py            # writes benchmarks/results/score_threads.csv

Problems: 24 classes (the zoo's largest target) at 5 and at 25 images a class, with 128 and 512
feature dimensions (the zoo's ResNet and VGG members), class means plus Gaussian noise. Each
score's time is the median of ``--repeats`` calls after one warm-up call, in one process, both
thread settings in turn; the ratio is default over one thread (above 1: one thread is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from reprise.transferability.on_features import LABELLED_FEATURE_SCORES
from reprise.transferability.nleep import nleep

OUT = Path(__file__).parent / "results" / "score_threads.csv"


def _median_seconds(compute, repeats: int) -> float:
    compute()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    scores = {**LABELLED_FEATURE_SCORES, "nleep": nleep}
    threads = max(info["num_threads"] for info in threadpool_info())
    machine = f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores"
    rows = []
    for per_class in (5, 25):
        for dims in (128, 512):
            rng = np.random.default_rng(0)
            labels = np.repeat(np.arange(24), per_class)
            features = rng.normal(size=(24, dims))[labels] + rng.normal(size=(labels.size, dims))
            for name, score in scores.items():
                default = _median_seconds(lambda: score(features, labels), args.repeats)
                with threadpool_limits(1):
                    one = _median_seconds(lambda: score(features, labels), args.repeats)
                rows.append({"score": name, "images_per_class": per_class, "samples": labels.size, "dims": dims, "blas_threads": threads,
                             "default_ms": 1000 * default, "one_thread_ms": 1000 * one, "ratio": default / one, "machine": machine})
                print(f"{name:18s} {labels.size:4d} x {dims:3d}: {1000 * default:7.2f} ms on {threads} threads, {1000 * one:7.2f} ms on one")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(OUT, index=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
