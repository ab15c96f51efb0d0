"""KMeans on a Dask array that reaches the in-memory answer, with only k centres in the client.

dask-ml's ``KMeans`` starts from k-means|| and, on 20 well-separated blobs of 10^7 rows,
found 5 of them (ARI 0.82). Here the start is scikit-learn's k-means++ with ``n_init``
restarts on a uniform sample of the rows (``sample_size``, default 100,000: enough rows
per cluster for k-means++ to see every cluster of any size worth calling one), then
full-data Lloyd iterations: each block of rows sends back, per centre, the sum and count
of its nearest rows and their squared distances, so the client holds (k, d) numbers per
iteration and never the data. It stops when the centres move less than ``tol`` times the
mean feature variance (scikit-learn's rule), or after ``max_iter`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state

from atomatlas.errors import AtlasError


def _nearest(block: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest centre, squared distance to it) for every row of ``block``."""
    from sklearn.metrics import pairwise_distances_argmin_min

    index, distance = pairwise_distances_argmin_min(block, centres)
    return index, distance ** 2


def _partial_sums(block: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(k, d + 2): per centre, the sum of its nearest rows, their count and their squared distances."""
    k, d = centres.shape
    out = np.zeros((k, d + 2))
    if len(block) == 0:
        return out
    index, squared = _nearest(np.asarray(block, dtype=float), centres)
    for dim in range(d):
        out[:, dim] = np.bincount(index, weights=block[:, dim], minlength=k)
    out[:, d] = np.bincount(index, minlength=k)
    out[:, d + 1] = np.bincount(index, weights=squared, minlength=k)
    return out


def nearest_centre(block: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return _nearest(np.asarray(block, dtype=float), centres)[0].astype(np.int64)


def centre_margin(block: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Per row, the nearest centre's distance over the second nearest's: 0 at a centre, 1 a tie (as
    learn.merged_mixture.assignment_uncertainty gives in-memory k-means)."""
    from sklearn.metrics import pairwise_distances

    if len(centres) < 2 or len(block) == 0:
        return np.zeros(len(block))
    distances = np.sort(pairwise_distances(np.asarray(block, dtype=float), centres), axis=1)
    return distances[:, 0] / np.maximum(distances[:, 1], 1e-300)


def _take(block, rows: np.ndarray) -> np.ndarray:
    return np.asarray(block)[rows]


def uniform_sample(X, size: int, random_state) -> np.ndarray:
    """About ``size`` rows of the Dask array ``X``, uniform over its rows; only the sample reaches the client."""
    import dask

    rng = check_random_state(random_state)
    lengths = np.asarray(X.chunks[0])
    total = int(lengths.sum())
    if size >= total:
        return np.asarray(X.compute(), dtype=float)
    chosen = np.sort(rng.choice(total, size, replace=False))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    parts = []
    for block, start, length in zip(X.to_delayed().ravel(), starts, lengths):
        rows = chosen[(chosen >= start) & (chosen < start + length)] - start
        if len(rows):
            parts.append(dask.delayed(_take)(block, rows))
    return np.concatenate(dask.compute(*parts)).astype(float)


@dataclass
class KMeansState:
    """Where the Lloyd passes are: the centres after ``passes`` passes over all rows, whether they stopped
    moving, and the last pass's counts and inertia."""

    centres: np.ndarray
    passes: int
    converged: bool
    counts: np.ndarray
    inertia: float


class DistributedKMeans(ClusterMixin, BaseEstimator):
    """KMeans on a Dask array: k-means++ on a sample, then Lloyd passes over all rows.

    Parameters follow scikit-learn's ``KMeans``; ``sample_size`` rows start it.
    ``fit`` takes a 2-D Dask array chunked by rows (or a NumPy array, wrapped);
    ``predict`` returns a lazy Dask array of labels.
    """

    def __init__(self, n_clusters: int = 8, *, sample_size: int = 100_000, n_init: int = 10, max_iter: int = 100,
                 tol: float = 1e-4, random_state=None, progress: bool = False):
        self.n_clusters = n_clusters
        self.sample_size = sample_size
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.progress = progress

    def fit(self, X, y=None, start=None, on_pass=None):
        """``start``: a :class:`KMeansState` to continue from (an interrupted fit's, saved by ``on_pass``)
        instead of k-means++; ``on_pass(state)``: called after every pass over all rows."""
        import dask
        from sklearn.cluster import KMeans
        from tqdm.auto import tqdm

        X = _as_dask(X)
        k = self.n_clusters
        if X.shape[0] < k:
            raise AtlasError(f"k = {k} clusters needs at least {k} rows; the table has {X.shape[0]}.")
        rng = check_random_state(self.random_state)
        sample = uniform_sample(X, self.sample_size, rng)
        threshold = self.tol * float(np.mean(np.var(sample, axis=0)))
        if start is None:
            centres = KMeans(k, n_init=self.n_init, random_state=rng.randint(2 ** 31 - 1)).fit(sample).cluster_centers_
            state = KMeansState(centres, 0, False, np.zeros(k), np.nan)
        else:
            state = start
        bar = tqdm(total=self.max_iter, initial=state.passes, desc="k-means passes over all rows", leave=False,
                   disable=not self.progress)
        blocks = X.to_delayed().ravel()
        while not state.converged and state.passes < self.max_iter:
            centres = state.centres
            sums = dask.compute(dask.delayed(sum)([dask.delayed(_partial_sums)(b, centres) for b in blocks]))[0]
            counts = sums[:, -2]
            moved = np.where(counts[:, None] > 0, sums[:, :-2] / np.maximum(counts, 1)[:, None], centres)
            shift = float(((moved - centres) ** 2).sum())
            state = KMeansState(moved, state.passes + 1, shift <= threshold, counts, float(sums[:, -1].sum()))
            bar.update(1)
            if on_pass is not None:
                on_pass(state)
        bar.close()
        self.cluster_centers_, self.n_iter_, self.inertia_ = state.centres, state.passes, state.inertia
        self.counts_ = state.counts.astype(int)
        self.n_features_in_ = X.shape[1]
        self.sample_size_ = len(sample)
        return self

    def predict(self, X):
        """Lazy labels (a Dask array of int64), computed block by block where the rows are."""
        X = _as_dask(X)
        return X.map_blocks(nearest_centre, self.cluster_centers_, drop_axis=1, dtype=np.int64)


def _as_dask(X):
    import dask.array as da

    if isinstance(X, da.Array):
        return X
    return da.from_array(np.asarray(X, dtype=float), chunks=(max(1, min(len(X), 100_000)), -1))
