"""Clustering: the named clusterers and :class:`AtlasCluster`, which adds automatic k.

``AtlasCluster(method="kmeans", k="auto")`` searches k in ``[k_min, k_max]``, scores
every fit (silhouette, inertia, Calinski-Harabasz, Davies-Bouldin, and BIC/AIC for
mixtures), keeps the table in ``scores_`` and refits at the chosen k. After fitting,
``predict`` labels new rows for every method (see :mod:`atomatlas.learn.assign`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import (DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans,
                             SpectralClustering)
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.utils.validation import check_array, check_is_fitted

from atomatlas.errors import AtlasError
from atomatlas.learn.assign import assigner_for
from atomatlas.learn.registry import Registry, accepted_kwargs, library_refusals
from atomatlas.learn.select_k import CRITERIA, choose, search_k

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
LINKAGES = ("ward", "complete", "average", "single")


def _agglomerative(n_clusters, linkage, metric):
    if linkage == "ward" and metric != "euclidean":
        raise AtlasError(f"agglomerative: ward linkage needs metric='euclidean', got {metric!r}; "
                         "use linkage complete, average or single for other metrics.")
    return AgglomerativeClustering(n_clusters=n_clusters, linkage=linkage, metric=metric)


def _hdbscan(min_cluster_size, min_samples, cluster_selection_epsilon, cluster_selection_method):
    kwargs = {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
              "cluster_selection_epsilon": cluster_selection_epsilon,
              "cluster_selection_method": cluster_selection_method, "copy": True}
    return HDBSCAN(**accepted_kwargs(HDBSCAN, kwargs))


def _nested(**params):
    from atomatlas.learn.nested import NestedClusterer

    return NestedClusterer(**params)


CLUSTERERS = Registry("cluster")
CLUSTERERS.add("kmeans", "k-means (k-means++ or random init, lloyd or elkan)", KMeans,
               defaults={"init": "k-means++", "n_init": 10, "algorithm": "lloyd", "max_iter": 300},
               choices={"init": ("k-means++", "random"), "algorithm": ("lloyd", "elkan")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"))
CLUSTERERS.add("minibatch_kmeans", "mini-batch k-means for large tables", MiniBatchKMeans,
               defaults={"init": "k-means++", "n_init": 3, "batch_size": 1024, "max_iter": 100},
               choices={"init": ("k-means++", "random")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"))
CLUSTERERS.add("gmm", "Gaussian mixture (full, tied, diag or spherical covariances)", GaussianMixture,
               defaults={"covariance_type": "full", "n_init": 1, "max_iter": 100, "reg_covar": 1e-6},
               choices={"covariance_type": COVARIANCE_TYPES},
               takes_k="n_components", auto_k=("silhouette", "bic", "aic", "elbow"))
CLUSTERERS.add("bgmm", "Bayesian Gaussian mixture; k is an upper bound, unused components are pruned",
               BayesianGaussianMixture,
               defaults={"covariance_type": "full", "weight_concentration_prior_type": "dirichlet_process",
                         "weight_concentration_prior": None, "n_init": 1, "max_iter": 500},
               choices={"covariance_type": COVARIANCE_TYPES,
                        "weight_concentration_prior_type": ("dirichlet_process", "dirichlet_distribution")},
               takes_k="n_components", auto_k=("prune",))
CLUSTERERS.add("dbscan", "density clusters; noise is -1; new rows join the cluster of a core sample within eps",
               DBSCAN, defaults={"eps": 0.5, "min_samples": 5, "metric": "euclidean"},
               choices={"metric": ("euclidean", "manhattan", "cosine", "chebyshev")}, seeded=False)
CLUSTERERS.add("hdbscan", "hierarchical density clusters (no eps to tune); noise is -1", _hdbscan,
               defaults={"min_cluster_size": 5, "min_samples": None, "cluster_selection_epsilon": 0.0,
                         "cluster_selection_method": "eom"},
               choices={"cluster_selection_method": ("eom", "leaf")}, seeded=False)
CLUSTERERS.add("spectral", "spectral clustering on an rbf or nearest-neighbour graph", SpectralClustering,
               defaults={"affinity": "rbf", "gamma": 1.0, "n_neighbors": 10, "assign_labels": "kmeans",
                         "n_init": 10},
               choices={"affinity": ("rbf", "nearest_neighbors"),
                        "assign_labels": ("kmeans", "discretize", "cluster_qr")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"))
CLUSTERERS.add("agglomerative", "hierarchical clustering (ward, complete, average or single linkage)",
               _agglomerative, defaults={"linkage": "ward", "metric": "euclidean"},
               choices={"linkage": LINKAGES, "metric": ("euclidean", "cosine", "manhattan")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"), seeded=False)
CLUSTERERS.add("nested", "cluster, then split each cluster again where it shows clear structure of its own",
               _nested, defaults={"outer": "kmeans", "inner": "kmeans", "k_max": 10, "inner_k_max": 6,
                                  "split_threshold": 0.5},
               choices={"outer": ("kmeans", "gmm", "agglomerative"), "inner": ("kmeans", "gmm", "agglomerative")},
               takes_k="k", auto_k=("self",))


def _distinct_rows(X: np.ndarray) -> int:
    """Rows that differ by more than round-off (1e-8 of the largest value): what k-means can tell apart."""
    scale = float(np.abs(X).max()) or 1.0
    return len(np.unique(np.round(X * (1e8 / scale)), axis=0))


class AtlasCluster(ClusterMixin, BaseEstimator):
    """A named clusterer with automatic choice of k and prediction for new rows.

    Parameters
    ----------
    method : str
        A name from ``CLUSTERERS`` (``atomatlas list`` shows them).
    k : int, "auto" or None
        Number of clusters. ``"auto"`` searches ``k_min..k_max`` and picks by ``select``.
        Density methods (dbscan, hdbscan) take no k.
    select : {"silhouette", "bic", "aic", "elbow"}
        Criterion for ``k="auto"``; BIC and AIC need a mixture (gmm).
    params : dict
        Method parameters, checked against the registry.
    random_state : int, RandomState or None
    progress : bool
        Show a progress bar while searching k (only on a terminal).

    Attributes
    ----------
    labels_, k_, estimator_, selected_by_
    scores_ : dict of arrays (one entry per k tried; ``pd.DataFrame(scores_)`` for a table) or None
    """

    def __init__(self, method="kmeans", k="auto", select="silhouette", k_min=2, k_max=10, params=None,
                 random_state=None, progress=False):
        self.method = method
        self.k = k
        self.select = select
        self.k_min = k_min
        self.k_max = k_max
        self.params = params
        self.random_state = random_state
        self.progress = progress

    def _k_range(self, spec, n_rows, n_distinct):
        if self.select not in CRITERIA:
            raise AtlasError(f"unknown k selection {self.select!r}; choose one of {list(CRITERIA)}.")
        if self.select not in spec.auto_k:
            allowed = [c for c in spec.auto_k if c in CRITERIA]
            raise AtlasError(f"cluster method {self.method!r} cannot choose k by {self.select!r}; "
                             f"use --select {' or '.join(allowed) or 'silhouette'} (BIC and AIC need --method gmm).")
        lowest = 1 if self.select in ("bic", "aic") else 2
        if not isinstance(self.k_min, int) or self.k_min < lowest:
            raise AtlasError(f"--k-min must be an integer >= {lowest} for {self.select}; got {self.k_min!r}.")
        k_max = min(int(self.k_max), n_rows - 1, n_distinct)  # more clusters than distinct rows: empty clusters
        if k_max < self.k_min:
            raise AtlasError(f"automatic k needs k_min <= k_max < number of rows; got k_min={self.k_min}, "
                             f"k_max={self.k_max} with {n_rows} rows ({n_distinct} distinct).")
        return list(range(self.k_min, k_max + 1))

    def _check_k(self, k, n_rows, n_distinct):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise AtlasError(f"k must be a positive integer or 'auto'; got {k!r}.")
        if k < 1:
            raise AtlasError(f"k must be at least 1; got {k}.")
        if k >= n_rows:
            raise AtlasError(f"k={k} must be below the number of rows ({n_rows}): with k >= rows no two rows "
                             f"share a cluster; choose k < {n_rows} or use --k auto.")
        if k > n_distinct:
            raise AtlasError(f"k={k} is more than the {n_distinct} distinct rows (the others repeat them); choose "
                             f"k <= {n_distinct} or use --k auto.")
        return int(k)

    def fit(self, X, y=None):
        X = check_array(X, dtype=float)
        with library_refusals("cluster", self.method, self.params):
            return self._fit(X)

    def _fit(self, X):
        spec = CLUSTERERS[self.method]
        params = dict(self.params or {})
        n_rows = X.shape[0]
        n_distinct = _distinct_rows(X)
        self.scores_ = None
        self.selected_by_ = None
        if spec.takes_k is None:
            if self.k not in (None, "auto"):
                spec.make(params, k=1)  # raises the "does not take k" error
            estimator = spec.make(params, random_state=self.random_state)
        elif self.k == "auto" and "self" in spec.auto_k:
            estimator = spec.make(params, k="auto", random_state=self.random_state)
        elif self.k == "auto" and "prune" in spec.auto_k:
            estimator = spec.make(params, k=min(int(self.k_max), n_rows), random_state=self.random_state)
            self.selected_by_ = "prune"
        elif self.k == "auto":
            ks = self._k_range(spec, n_rows, n_distinct)
            base = spec.make(params, k=ks[0], random_state=self.random_state)
            scores = search_k(base, X, ks, spec.takes_k, progress=self._progress())
            # A dict of arrays (like GridSearchCV.cv_results_) keeps the fitted object saveable by skops.
            self.scores_ = {column: scores[column].to_numpy() for column in scores.columns}
            self.selected_by_ = self.select
            estimator = spec.make(params, k=choose(scores, self.select), random_state=self.random_state)
        else:
            estimator = spec.make(params, k=self._check_k(self.k, n_rows, n_distinct), random_state=self.random_state)
        self.labels_ = np.asarray(estimator.fit_predict(X), dtype=int)
        if (self.labels_ < 0).all():
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "default parameters"
            raise AtlasError(f"{self.method} ({shown}) called every one of the {n_rows} rows noise: no cluster was "
                             "found; raise eps (dbscan) or lower min_samples / min_cluster_size.")
        self.estimator_ = estimator
        if self.scores_ is None and getattr(estimator, "scores_", None) is not None:
            self.scores_ = estimator.scores_  # a method that chose k itself (nested)
            self.selected_by_ = "silhouette"
        self.k_ = int(len(np.unique(self.labels_[self.labels_ >= 0])))
        self.assigner_ = assigner_for(estimator, X, self.labels_)
        self.n_features_in_ = X.shape[1]
        return self

    def _progress(self):
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        return lambda ks: tqdm(ks, desc=f"choosing k ({self.method})", unit="k", leave=False, disable=None)

    def fit_predict(self, X, y=None, **kwargs):
        return self.fit(X).labels_

    def predict(self, X):
        check_is_fitted(self, "assigner_")
        return np.asarray(self.assigner_.predict(check_array(X, dtype=float)), dtype=int)
