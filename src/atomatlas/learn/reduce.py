"""Dimensionality reduction: linear and kernel projections, and neighbour embeddings.

PCA and KernelPCA project new rows exactly. t-SNE, UMAP and MDS only embed the rows
they were fit on; our wrappers place a new row at the distance-weighted mean position
of its nearest training rows (in the scaled feature space). That keeps every fitted
reducer a plain scikit-learn object, so a saved run needs no pickled third-party
state and predicts the same way in every process.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA, KernelPCA
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from atomatlas.errors import AtlasError
from atomatlas.learn.registry import Registry, accepted_kwargs


class NeighbourEmbedding(TransformerMixin, BaseEstimator):
    """Base for embeddings that only place their training rows (t-SNE, UMAP, MDS).

    Subclasses implement ``_embed(X, random_state) -> ndarray``. After ``fit``,
    ``embedding_`` holds the training positions and ``transform`` places new rows
    by k-nearest-neighbour interpolation (``n_place`` neighbours).
    """

    n_place = 10

    def _embed(self, X, random_state):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y=None):
        X = check_array(X, dtype=float)
        if X.shape[0] < 3:
            raise AtlasError(f"{type(self).__name__} needs at least 3 rows; got {X.shape[0]}.")
        rng = check_random_state(getattr(self, "random_state", None))
        self.embedding_ = np.asarray(self._embed(X, rng), dtype=float)
        self.n_features_in_ = X.shape[1]
        self.placer_ = KNeighborsRegressor(n_neighbors=min(self.n_place, X.shape[0]), weights="distance",
                                           algorithm="brute").fit(X, self.embedding_)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X).embedding_

    def transform(self, X):
        check_is_fitted(self, "placer_")
        return self.placer_.predict(check_array(X, dtype=float))


def _seed(rng) -> int:
    return int(rng.randint(np.iinfo(np.int32).max))


class TSNE(NeighbourEmbedding):
    """t-SNE through openTSNE (FFT-accelerated, deterministic for a seed)."""

    def __init__(self, n_components=2, perplexity=30.0, metric="euclidean", n_iter=500,
                 learning_rate="auto", random_state=None):
        self.n_components = n_components
        self.perplexity = perplexity
        self.metric = metric
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _embed(self, X, rng):
        import openTSNE

        if self.perplexity * 3 >= X.shape[0]:
            raise AtlasError(f"t-SNE perplexity {self.perplexity:g} is too large for {X.shape[0]} rows (it must stay "
                             f"below rows / 3 = {X.shape[0] / 3:.3g}); set a smaller perplexity with "
                             "--param perplexity=... or use pca.")
        # n_jobs=1 keeps the optimisation bit-for-bit reproducible for a seed.
        model = openTSNE.TSNE(n_components=self.n_components, perplexity=self.perplexity, metric=self.metric,
                              n_iter=self.n_iter, learning_rate=self.learning_rate, n_jobs=1,
                              negative_gradient_method="bh" if self.n_components > 2 else "auto",
                              random_state=_seed(rng), verbose=False)
        return np.asarray(model.fit(X))


class UMAP(NeighbourEmbedding):
    """UMAP through umap-learn."""

    def __init__(self, n_components=2, n_neighbors=15, min_dist=0.1, metric="euclidean", random_state=None):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state

    def _embed(self, X, rng):
        from atomatlas.errors import hide_library_warnings

        # a seed disables UMAP's threads (intended: same seed, same map); its spectral start may fall back to
        # a random one on disconnected data, which the seed keeps reproducible too
        with hide_library_warnings((UserWarning, "n_jobs value .* overridden"),
                                   (UserWarning, "Spectral initialisation failed"),
                                   (ImportWarning, "Tensorflow not installed")):
            import umap

            model = umap.UMAP(n_components=self.n_components, n_neighbors=min(self.n_neighbors, X.shape[0] - 1),
                              min_dist=self.min_dist, metric=self.metric, random_state=_seed(rng))
            return model.fit_transform(X)


class MDS(NeighbourEmbedding):
    """Multidimensional scaling (metric or non-metric, SMACOF), through scikit-learn."""

    def __init__(self, n_components=2, metric=True, n_init=4, max_iter=300, random_state=None):
        self.n_components = n_components
        self.metric = metric
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def _embed(self, X, rng):
        from sklearn.manifold import MDS as SkMDS

        kwargs = {"n_components": self.n_components, "n_init": self.n_init, "max_iter": self.max_iter,
                  "random_state": _seed(rng), "init": "random", "normalized_stress": "auto"}
        # scikit-learn >= 1.8 calls the metric/non-metric switch `metric_mds`.
        if "metric_mds" in accepted_kwargs(SkMDS, {"metric_mds": 1}):
            kwargs["metric_mds"] = self.metric
        else:
            kwargs["metric"] = self.metric
        model = SkMDS(**accepted_kwargs(SkMDS, kwargs))
        embedding = model.fit_transform(X)
        self.stress_ = float(model.stress_)
        self.n_iter_ = int(model.n_iter_)
        return embedding


REDUCERS = Registry("reduce")
REDUCERS.add("pca", "principal component analysis; explained variance and scree plot; n_components may be a "
             "fraction (0.9: as many components as explain 90% of the variance)",
             lambda n_components, whiten, random_state: PCA(n_components=n_components, whiten=whiten,
                                                            random_state=random_state),
             defaults={"n_components": 2, "whiten": False}, fractions=("n_components",))
REDUCERS.add("kernel_pca", "kernel PCA with rbf, poly or cosine kernels",
             lambda n_components, kernel, gamma, degree, coef0, random_state: KernelPCA(
                 n_components=n_components, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0,
                 random_state=random_state),
             defaults={"n_components": 2, "kernel": "rbf", "gamma": None, "degree": 3, "coef0": 1.0},
             choices={"kernel": ("rbf", "poly", "cosine")})
REDUCERS.add("tsne", "t-SNE (openTSNE); new rows placed by nearest neighbours",
             TSNE, defaults={"n_components": 2, "perplexity": 30.0, "metric": "euclidean", "n_iter": 500},
             requires="openTSNE")
REDUCERS.add("umap", "UMAP (umap-learn); new rows placed by nearest neighbours",
             UMAP, defaults={"n_components": 2, "n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean"},
             requires="umap")
REDUCERS.add("mds", "multidimensional scaling, metric=true or false (non-metric)",
             MDS, defaults={"n_components": 2, "metric": True, "n_init": 4, "max_iter": 300})


def make_reducer(method: str, params: dict | None = None, random_state=None):
    """An unfitted reducer for the named method."""
    return REDUCERS[method].make(params, random_state=random_state)


def explained_variance_ratio(reducer) -> np.ndarray | None:
    """Per-component explained variance of a fitted PCA, or None for other reducers."""
    return getattr(reducer, "explained_variance_ratio_", None)
