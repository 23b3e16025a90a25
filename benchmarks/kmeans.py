"""Quality and time of Reprise's spherical k-means against scikit-learn and plain faiss k-means++.

    python benchmarks/kmeans.py                                   # both problems, as measured
    python benchmarks/kmeans.py --seeds 0 1 2 --large-seeds 0     # fewer runs

Methods (UOT paper §4.1: K-means with cosine similarity), every one on L2-normalised rows with
the same iteration cap (``--iterations``, 25 as in params.yaml):

- ``reprise``: :func:`reprise.reuse.clustering.spherical_kmeans`, greedy k-means++ seeding
  (on a subsample of at most max(50,000, 32 k) rows) then faiss's spherical Lloyd iterations;
- ``reprise-seed-all-rows`` (large problem only): the same with the seeding on every row, to
  show what the seeding subsample costs;
- ``faiss-kmeans++``: what Reprise did before, ``faiss.Kmeans`` with its own k-means++
  initialisation, spherical, every row in every iteration;
- ``sklearn``: scikit-learn's ``KMeans`` (greedy k-means++, ``n_init=1``) on the unit rows:
  Euclidean k-means, whose centroids are plain means, not renormalised, so it minimises squared
  distance rather than cosine distance (close to, not the same as, spherical k-means).

Problems: ``sphere``, 20 random unit directions in 32-d with 60 points each, plus Gaussian noise
of standard deviation ``--noise`` per coordinate, renormalised (the data of
tests/reuse/test_clustering.py), one data set and one clustering seed per seed; ``large``,
100,000 rows × 128-d around 200 random unit directions with lognormal cluster sizes (18 to
10,892 rows for seed 0) and noise 0.05 per coordinate, k = 200, where the
``generating-clusters`` row gives the objective of the generating partition for reference;
``pool subsample``, ``--pool-rows`` rows of the pipeline's own pool features
(data/features/pool.npy, after `dvc repro`) at the pipeline's ``cluster.k``, where purity is
against the pool's concepts (there are no generating clusters: ignore ARI there).

The objective is the mean cosine distance of a row to the normalised mean of its cluster,
``1 - sum_j ||sum_{i in j} x_i|| / N``, the lowest any centroids reach for the partition, so the
methods are compared on their partitions alone; ARI and purity (the share of rows whose
cluster's majority label is theirs) are against the generating clusters. CPU
only; times are wall-clock seconds of one call. One row per run goes to
benchmarks/results/kmeans.csv; the printed table shows means over seeds.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import reprise.reuse.clustering as clustering
from reprise.core.layout import POOL_TABLE
from reprise.reuse.layout import POOL_FEATURES
from reprise.core.params import load_params

HERE = Path(__file__).resolve().parent
POOL_FEATURES = HERE.parent / POOL_FEATURES
POOL_INDEX = HERE.parent / f"{POOL_TABLE}.parquet"


def sphere_problem(seed: int, noise: float, k: int, per_cluster: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` random unit directions with ``per_cluster`` noisy, renormalised points each."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(k, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    labels = np.repeat(np.arange(k), per_cluster)
    x = directions[labels] + noise * rng.normal(size=(len(labels), d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


def large_problem(seed: int, n: int = 100_000, d: int = 128, k: int = 200, noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows around ``k`` random unit directions, cluster sizes ∝ lognormal(0, 1) weights."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(k, d)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    weights = rng.lognormal(0.0, 1.0, k)
    labels = rng.choice(k, n, p=weights / weights.sum())
    x = directions[labels] + noise * rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def run_reprise(x: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    return clustering.spherical_kmeans(x, k, iterations, seed, use_gpu=False)[0]


def run_reprise_seed_all_rows(x: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    saved = clustering.SEEDING_ROWS
    clustering.SEEDING_ROWS = len(x)
    try:
        return clustering.spherical_kmeans(x, k, iterations, seed, use_gpu=False)[0]
    finally:
        clustering.SEEDING_ROWS = saved


def run_faiss_kmeanspp(x: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    """Reprise's k-means before greedy seeding: faiss's k-means++ initialisation."""
    kmeans = faiss.Kmeans(
        x.shape[1], k, niter=iterations, seed=seed, spherical=True, gpu=False,
        init_method=faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS, max_points_per_centroid=len(x), min_points_per_centroid=1,
    )
    kmeans.train(x)
    return kmeans.index.search(x, 1)[1][:, 0].astype(np.int64)


def run_sklearn(x: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    return KMeans(k, init="k-means++", n_init=1, max_iter=iterations, random_state=seed).fit_predict(x)


METHODS = {"reprise": run_reprise, "faiss-kmeans++": run_faiss_kmeanspp, "sklearn": run_sklearn}


def objective(x: np.ndarray, assignment: np.ndarray, k: int) -> float:
    """Mean cosine distance of each unit row to the normalised mean of its cluster."""
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, assignment, x)
    return float(1.0 - np.linalg.norm(sums, axis=1).sum() / len(x))


def measure(problem: str, x: np.ndarray, labels: np.ndarray, k: int, method: str, iterations: int, seed: int) -> dict:
    run = run_reprise_seed_all_rows if method == "reprise-seed-all-rows" else METHODS[method]
    start = time.perf_counter()
    assignment = run(x, k, iterations, seed)
    seconds = time.perf_counter() - start
    ari = adjusted_rand_score(labels, assignment)
    return {
        "problem": problem, "n": len(x), "d": x.shape[1], "k": k, "method": method, "seed": seed,
        "ari": ari, "exact": ari == 1.0, "objective": objective(x, assignment, k), "purity": clustering.cluster_purity(assignment, labels),
        "seconds": seconds,
        "empty_clusters": int((np.bincount(assignment, minlength=k) == 0).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)), help="sphere problem: data and clustering seeds")
    parser.add_argument("--noise", type=float, nargs="+", default=[0.02, 0.05, 0.1], help="sphere problem: noise levels")
    parser.add_argument("--large-seeds", type=int, nargs="*", default=[0, 1], help="large problem: seeds (none: skip it)")
    parser.add_argument("--pool-rows", type=int, default=10_000, help="pool problem: rows subsampled from data/features/pool.npy (0: skip it)")
    parser.add_argument("--pool-seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=25)
    parser.add_argument("--out", default=str(HERE / "results" / "kmeans.csv"))
    args = parser.parse_args()

    warm_x, _ = sphere_problem(0, 0.05, 20, 60, 32)
    for run in METHODS.values():  # first calls load BLAS/OpenMP and faiss; keep that out of the times
        run(warm_x, 20, 2, 0)
    rows = []
    for noise in args.noise:
        for seed in args.seeds:
            x, labels = sphere_problem(seed, noise, 20, 60, 32)
            rows += [measure(f"sphere noise={noise}", x, labels, 20, method, args.iterations, seed) for method in METHODS]
    for seed in args.large_seeds:
        x, labels = large_problem(seed)
        rows.append({"problem": "large 100000x128", "n": len(x), "d": x.shape[1], "k": 200, "method": "generating-clusters", "seed": seed,
                     "ari": 1.0, "exact": True, "objective": objective(x, labels, 200), "seconds": np.nan, "empty_clusters": 0})
        for method in (*METHODS, "reprise-seed-all-rows"):
            rows.append(measure("large 100000x128", x, labels, 200, method, args.iterations, seed))
            print({key: rows[-1][key] for key in ("problem", "method", "seed", "ari", "objective", "seconds")}, flush=True)
    if args.pool_rows:
        features, concepts = np.load(POOL_FEATURES), pd.read_parquet(POOL_INDEX)["concept"].to_numpy()
        k = int(load_params(HERE.parent / "params.yaml")["cluster"]["k"])
        for seed in args.pool_seeds:
            rows_taken = np.sort(np.random.default_rng(seed).choice(len(features), min(args.pool_rows, len(features)), replace=False))
            x = features[rows_taken] / np.linalg.norm(features[rows_taken], axis=1, keepdims=True)
            codes = np.unique(concepts[rows_taken], return_inverse=True)[1]
            for method in METHODS:
                rows.append(measure(f"pool subsample {len(x)}", x.astype(np.float32), codes, k, method, args.iterations, seed))
                print({key: rows[-1][key] for key in ("problem", "method", "seed", "objective", "purity", "seconds")}, flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)

    summary = table.groupby(["problem", "method"], sort=False).agg(
        k=("k", "first"), seeds=("seed", "size"), ari_mean=("ari", "mean"), ari_min=("ari", "min"), exact=("exact", "sum"),
        objective=("objective", "mean"), purity=("purity", "mean"), seconds=("seconds", "mean"), empty_clusters=("empty_clusters", "max"),
    ).reset_index()
    print(f"\n{platform.node()}: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
          f"{args.iterations} iterations; means over seeds; exact: runs with ARI 1")
    print(summary.to_markdown(index=False, floatfmt=".4f"))


if __name__ == "__main__":
    main()
