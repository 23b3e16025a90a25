"""Spherical k-means over the source pool's features: the selection unit when the pool has no
labels (paper §3.2, §4.1: K-means with cosine similarity, 2000 clusters on ImageNet)."""

from __future__ import annotations

import faiss
import numpy as np
import torch

from reprise.core.errors import InputError


def spherical_kmeans(features: np.ndarray, k: int, iterations: int, seed: int, use_gpu: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cluster L2-normalised features by cosine similarity with faiss.

    Returns the cluster id of every row ``int64 [N]`` and the unit-norm centroids
    ``float32 [k, d]``. Seeded, k-means++ initialisation; every row takes part in every
    iteration (no subsampling). The
    GPU index is used when CUDA and faiss-gpu are present, unless ``use_gpu`` is False.
    """
    n, d = features.shape
    if not isinstance(k, (int, np.integer)) or k < 2:
        raise InputError(f"cluster.k must be an integer of at least 2, got {k!r}")
    if k > n:
        raise InputError(f"cluster.k = {k} exceeds the {n} source images; lower cluster.k")
    if iterations < 1:
        raise InputError(f"cluster.iterations must be at least 1, got {iterations}")
    x = np.ascontiguousarray(features, dtype=np.float32)
    if not np.isfinite(x).all():
        raise InputError("source features contain NaN or Inf; re-extract the features")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InputError(f"source feature row {int(np.flatnonzero(norms[:, 0] == 0)[0])} is all zeros; cosine k-means needs non-zero features")
    x /= norms
    gpu = (torch.cuda.is_available() and faiss.get_num_gpus() > 0) if use_gpu is None else use_gpu
    kmeans = faiss.Kmeans(
        d, int(k), niter=int(iterations), seed=int(seed), spherical=True, gpu=gpu,
        init_method=faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS, max_points_per_centroid=n, min_points_per_centroid=1,
    )
    kmeans.train(x)
    _, assignment = kmeans.index.search(x, 1)
    return assignment[:, 0].astype(np.int64), kmeans.centroids


def cluster_summary(assignment: np.ndarray, k: int) -> dict:
    """Cluster sizes and how unbalanced they are (the paper warns that too many clusters give
    tiny and huge ones): min, median, max size, empty clusters, and max/median."""
    sizes = np.bincount(assignment, minlength=k)
    median = float(np.median(sizes))
    return {
        "clusters": int(k),
        "size_min": int(sizes.min()),
        "size_median": median,
        "size_max": int(sizes.max()),
        "empty_clusters": int((sizes == 0).sum()),
        "max_over_median": float(sizes.max() / median) if median > 0 else float("inf"),
    }
