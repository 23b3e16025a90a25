"""Spherical k-means over the source pool's features: the selection unit when the pool has no
labels (UOT paper §3.2, §4.1: K-means with cosine similarity, 2000 clusters on ImageNet).

The centroids are seeded by greedy k-means++ (:func:`greedy_kmeanspp`) and refined by faiss's
Lloyd iterations; :func:`cluster_summary` reports cluster sizes, the k-means objective and,
when the pool's concepts are known, cluster purity.
"""

from __future__ import annotations

import faiss
import numpy as np
import torch

from reprise.core.errors import InputError
from reprise.core.messages import warn

# Greedy k-means++ seeds on a random subsample of this many rows, or of SEEDING_ROWS_PER_CENTROID
# rows per centroid when that is more (64,000 rows for the paper's k = 2000), when the pool is
# larger. Seeding is k sequential steps on the CPU that each read every seeding row: on the
# paper's 1.3M x 2048 pool, 2000 passes over 10 GB; on the subsample, over 0.5 GB. Lloyd's
# iterations afterwards still use every row; on benchmarks/kmeans.py's 100,000-row problem the
# subsample reached the objective of seeding on all rows (0.1390 against 0.1387).
SEEDING_ROWS = 50_000
SEEDING_ROWS_PER_CENTROID = 32

# Rows per block when the objective is summed, so that no [N, d] gather of centroids is built.
_OBJECTIVE_BLOCK = 8192


def cluster_count(k: int, unit: str, images: int) -> int:
    """The clusters to make of ``images`` pool images: ``cluster.k``, or, where the clusters are not
    the selection's unit (they then only feed the reports) and a small real pool has fewer images,
    one a image, with a warning. Clusters that are the unit keep ``k``: too many is an error there."""
    if unit != "cluster" and k > images:
        warn(f"cluster.k = {k} exceeds the {images} source images; clustering into {images} (select.unit is {unit})")
        return images
    return k


def spherical_kmeans(features: np.ndarray, k: int, iterations: int, seed: int, use_gpu: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cluster L2-normalised features by cosine similarity (UOT paper §4.1: K-means with cosine
    similarity).

    The ``k`` initial centroids come from :func:`greedy_kmeanspp` (seeded with ``seed``, on a
    random subsample of at most ``max(SEEDING_ROWS, SEEDING_ROWS_PER_CENTROID * k)`` rows);
    faiss then runs ``iterations`` spherical Lloyd iterations from them with every row in every
    iteration (no subsampling), each assigning every row to its most similar centroid and moving
    each centroid to the normalised mean of its rows (faiss splits a large cluster in two when
    one goes empty). Finally every row is assigned to its most similar centroid; a cluster that
    is empty after that is refilled by :func:`_fill_empty_clusters`, so none is returned empty.

    Returns the cluster id of every row ``int64 [N]`` and the unit-norm centroids
    ``float32 [k, d]``. Deterministic for a given ``seed`` on a given machine. The faiss GPU
    index is used when CUDA and faiss-gpu are present, unless ``use_gpu`` is False; the seeding
    runs on the CPU (numpy matrix products) either way.
    """
    n, d = features.shape
    if not isinstance(k, (int, np.integer)) or k < 2:
        raise InputError(f"cluster.k must be an integer of at least 2, got {k!r}")
    if k > n:
        raise InputError(f"cluster.k = {k} exceeds the {n} source images; lower cluster.k")
    if iterations < 1:
        raise InputError(f"cluster.iterations must be at least 1, got {iterations}")
    x = np.asarray(features, dtype=np.float32)
    if not np.isfinite(x).all():
        raise InputError("source features contain NaN or Inf; re-extract the features")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InputError(f"source feature row {int(np.flatnonzero(norms[:, 0] == 0)[0])} is all zeros; cosine k-means needs non-zero features")
    x = np.ascontiguousarray(x / norms)  # a new array: the caller's features are left as they are
    gpu = (torch.cuda.is_available() and faiss.get_num_gpus() > 0) if use_gpu is None else use_gpu
    kmeans = faiss.Kmeans(
        d, int(k), niter=int(iterations), seed=int(seed), spherical=True, gpu=gpu,
        max_points_per_centroid=n, min_points_per_centroid=1,
    )
    kmeans.train(x, init_centroids=greedy_kmeanspp(x, int(k), int(seed)))  # all k given: faiss draws none
    similarity, assignment = kmeans.index.search(x, 1)  # the index holds the trained centroids
    return _fill_empty_clusters(x, assignment[:, 0].astype(np.int64), similarity[:, 0], kmeans.centroids.copy())


def greedy_kmeanspp(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Greedy k-means++ seeding for spherical k-means (UOT paper §4.1: K-means with cosine
    similarity): ``k`` rows of the unit-norm ``x`` ``float32 [N, d]`` as initial centroids
    ``float32 [k, d]``.

    The first centroid is a uniformly drawn row. At each later step ``2 + floor(ln k)`` candidate
    rows are drawn with probability proportional to their cosine distance ``1 - cos`` to the
    nearest centroid chosen so far (for unit vectors half the squared Euclidean distance, so
    this is k-means++'s D² sampling), and the candidate that lowers the potential, the sum of
    those distances, the most is kept (the greedy variant of Arthur and Vassilvitskii, 2007, as
    in scikit-learn's ``KMeans``). When N exceeds ``max(SEEDING_ROWS, SEEDING_ROWS_PER_CENTROID
    * k)`` the seeding runs on a random subsample of that many rows, drawn with the same seed;
    Lloyd's iterations afterwards use every row. Draws come from ``numpy.random.default_rng(seed)``,
    so the result is deterministic per seed. If the (subsampled) rows have fewer than ``k``
    distinct directions, the potential reaches 0 and the last centroids repeat chosen directions.
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    sample_size = min(n, max(SEEDING_ROWS, SEEDING_ROWS_PER_CENTROID * k))
    rows = x if sample_size == n else x[np.sort(rng.choice(n, sample_size, replace=False))]
    trials = 2 + int(np.log(k))
    chosen = np.empty(k, dtype=np.int64)
    chosen[0] = rng.integers(sample_size)
    # Cosine distance of every seeding row to its nearest chosen centroid (clipped at 0 against
    # rounding, so that the sampling weights are never negative).
    distance = np.maximum(1.0 - rows @ rows[chosen[0]], 0.0)
    for step in range(1, k):
        cumulative = np.cumsum(distance, dtype=np.float64)
        draws = rng.random(trials) * cumulative[-1]
        # side="right" never lands on a row at distance 0 while the potential is positive.
        candidates = np.minimum(np.searchsorted(cumulative, draws, side="right"), sample_size - 1)
        with_candidate = np.minimum(distance[:, None], np.maximum(1.0 - rows @ rows[candidates].T, 0.0))
        best = int(np.argmin(with_candidate.sum(axis=0, dtype=np.float64)))
        chosen[step] = candidates[best]
        distance = np.ascontiguousarray(with_candidate[:, best])
    return np.ascontiguousarray(rows[chosen])


def _fill_empty_clusters(x: np.ndarray, assignment: np.ndarray, similarity: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give every empty cluster one row, so that no cluster is returned empty.

    ``x`` holds unit-norm rows, ``assignment`` each row's most similar centroid and
    ``similarity`` the cosine to it. Each empty cluster, in id order, takes the worst-fitting row
    (lowest cosine to its centroid) among clusters that keep at least one row, and its centroid
    becomes that row; each cluster that gave a row gets the normalised mean of the rows it keeps.
    A moved row sits at cosine 1 from its new centroid, so it is still at a most similar
    centroid; other rows are not reassigned (that could empty another cluster), so a few of them
    may end up slightly more similar to a refilled centroid than to their own. As k <= N, a
    cluster with two or more rows exists while one is empty. Returns (assignment, centroids).
    """
    k = len(centroids)
    sizes = np.bincount(assignment, minlength=k)
    empty = np.flatnonzero(sizes == 0)
    if len(empty) == 0:
        return assignment, centroids
    donors = set()
    # A row passed over here is never eligible later: its cluster only loses rows.
    worst_first = iter(np.argsort(similarity, kind="stable"))
    for cluster in empty:
        row = next(r for r in worst_first if sizes[assignment[r]] > 1)
        donors.add(int(assignment[row]))
        sizes[assignment[row]] -= 1
        assignment[row] = cluster
        sizes[cluster] = 1
        centroids[cluster] = x[row]
    for cluster in sorted(donors):
        mean = x[assignment == cluster].sum(axis=0, dtype=np.float64)
        centroids[cluster] = mean / np.linalg.norm(mean)
    return assignment, centroids


def mean_cosine_distance(features: np.ndarray, assignment: np.ndarray, centroids: np.ndarray) -> float:
    """The spherical k-means objective per row (UOT paper §4.1: K-means with cosine similarity):
    the mean over rows of ``1 - cos(feature, centroid of its cluster)``, i.e. the objective sum
    divided by N. Rows and centroids are L2-normalised here, so raw features may be passed.
    0 when every row points the same way as its centroid; at most 2."""
    c = np.asarray(centroids, dtype=np.float64)
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    total = 0.0
    for start in range(0, len(features), _OBJECTIVE_BLOCK):
        block = np.asarray(features[start : start + _OBJECTIVE_BLOCK], dtype=np.float64)
        cosine = np.einsum("ij,ij->i", block, c[assignment[start : start + _OBJECTIVE_BLOCK]]) / np.linalg.norm(block, axis=1)
        total += float((1.0 - cosine).sum())
    return total / len(features)


def cluster_purity(assignment: np.ndarray, concepts) -> float:
    """Share of rows whose cluster's majority concept is their own: the sum over clusters of
    the count of the cluster's most frequent concept, divided by N (a tie for the majority does
    not change the count). 1 when no cluster mixes concepts."""
    if len(concepts) != len(assignment):
        raise InputError(f"{len(concepts)} concepts for {len(assignment)} clustered rows; the pool table and its features disagree")
    _, codes = np.unique(np.asarray(concepts), return_inverse=True)
    n_concepts = int(codes.max()) + 1
    table = np.bincount(assignment * n_concepts + codes, minlength=(int(assignment.max()) + 1) * n_concepts)
    return float(table.reshape(-1, n_concepts).max(axis=1).sum() / len(assignment))


def cluster_summary(assignment: np.ndarray, k: int, features: np.ndarray | None = None, centroids: np.ndarray | None = None, concepts=None) -> dict:
    """Cluster sizes and how unbalanced they are (the paper warns that too many clusters give
    tiny and huge ones): min, median, max size, empty clusters, and max/median. Given
    ``features`` and ``centroids``, also ``mean_cosine_distance`` (:func:`mean_cosine_distance`,
    the k-means objective per row); given each row's concept, also ``purity``
    (:func:`cluster_purity`). UOT paper §4.1: K-means with cosine similarity."""
    sizes = np.bincount(assignment, minlength=k)
    median = float(np.median(sizes))
    summary = {
        "clusters": int(k),
        "size_min": int(sizes.min()),
        "size_median": median,
        "size_max": int(sizes.max()),
        "empty_clusters": int((sizes == 0).sum()),
        "max_over_median": float(sizes.max() / median) if median > 0 else float("inf"),
    }
    if features is not None and centroids is not None:
        summary["mean_cosine_distance"] = mean_cosine_distance(features, assignment, centroids)
    if concepts is not None:
        summary["purity"] = cluster_purity(assignment, concepts)
    return summary
