"""Clustering: the named clusterers and :class:`AtlasCluster`, which adds automatic k.

``AtlasCluster("kmeans", k="auto")`` (or ``AtlasCluster(KMeans(n_init=20))``, or
``make_clusterer("gmm", {"covariance_type": "diag"})``) searches k in ``[k_min, k_max]``,
scores every fit (silhouette, inertia, Calinski-Harabasz, Davies-Bouldin, and BIC/AIC
for mixtures), keeps the table in ``scores_`` and refits at the chosen k. After fitting,
``predict`` labels new rows for every method (see :mod:`atomatlas.learn.assign`).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import (DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans,
                             SpectralClustering)
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.utils.validation import check_array, check_is_fitted

from atomatlas.errors import AtlasError
from atomatlas.learn.assign import assigner_for
from atomatlas.learn.merged_mixture import MergedGaussianMixture
from atomatlas.learn.nested import NestedClusterer
from atomatlas.learn.progress import bar
from atomatlas.learn.registry import Method, Registry, accepted_kwargs, library_refusals
from atomatlas.learn.select_k import CRITERIA, choose, search_k

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
LINKAGES = ("ward", "complete", "average", "single")


def _agglomerative(linkage, metric, n_clusters=2):
    if linkage == "ward" and metric != "euclidean":
        raise AtlasError(f"agglomerative: ward linkage needs metric='euclidean', got {metric!r}; "
                         "use linkage complete, average or single for other metrics.")
    return AgglomerativeClustering(n_clusters=n_clusters, linkage=linkage, metric=metric)


def _hdbscan(min_cluster_size, min_samples, cluster_selection_epsilon, cluster_selection_method):
    kwargs = {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
              "cluster_selection_epsilon": cluster_selection_epsilon,
              "cluster_selection_method": cluster_selection_method, "copy": True}
    return HDBSCAN(**accepted_kwargs(HDBSCAN, kwargs))


def _nested(outer, inner, k_max, inner_k_max, split_threshold, random_state, k="auto"):
    """Two-level clustering: the outer and inner clusterers are k-choosing AtlasClusters of the named methods."""
    return NestedClusterer(outer=AtlasCluster(outer, random_state=random_state),
                           inner=AtlasCluster(inner, random_state=random_state), k=k, k_max=k_max,
                           inner_k_max=inner_k_max, split_threshold=split_threshold)


CLUSTERERS = Registry("cluster")
CLUSTERERS.add("kmeans", "k-means (k-means++ or random init, lloyd or elkan)", KMeans,
               defaults={"init": "k-means++", "n_init": 10, "algorithm": "lloyd", "max_iter": 300},
               choices={"init": ("k-means++", "random"), "algorithm": ("lloyd", "elkan")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"), estimator_type=KMeans)
CLUSTERERS.add("minibatch_kmeans", "mini-batch k-means for large tables", MiniBatchKMeans,
               defaults={"init": "k-means++", "n_init": 3, "batch_size": 1024, "max_iter": 100},
               choices={"init": ("k-means++", "random")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"), estimator_type=MiniBatchKMeans)
CLUSTERERS.add("gmm", "Gaussian mixture (full, tied, diag or spherical covariances)", GaussianMixture,
               defaults={"covariance_type": "full", "n_init": 1, "max_iter": 100, "reg_covar": 1e-6},
               choices={"covariance_type": COVARIANCE_TYPES},
               takes_k="n_components", auto_k=("silhouette", "bic", "aic", "elbow"),
               estimator_type=GaussianMixture)
CLUSTERERS.add("gmm_merged", "Gaussian mixture on whitened principal components, k by BIC, then components "
               "merged while they misclassify each other (Hennig's DEMP): one cluster per non-Gaussian phase",
               MergedGaussianMixture,
               defaults={"max_components": 8, "n_pca": 12, "merge_above": 0.05, "n_init": 2, "reg_covar": 1e-4},
               takes_k="n_clusters", auto_k=("self",), estimator_type=MergedGaussianMixture)
CLUSTERERS.add("bgmm", "Bayesian Gaussian mixture; k is an upper bound, unused components are pruned",
               BayesianGaussianMixture,
               defaults={"covariance_type": "full", "weight_concentration_prior_type": "dirichlet_process",
                         "weight_concentration_prior": None, "n_init": 1, "max_iter": 500},
               choices={"covariance_type": COVARIANCE_TYPES,
                        "weight_concentration_prior_type": ("dirichlet_process", "dirichlet_distribution")},
               takes_k="n_components", auto_k=("prune",), estimator_type=BayesianGaussianMixture)
CLUSTERERS.add("dbscan", "density clusters; noise is -1; new rows join the cluster of a core sample within eps",
               DBSCAN, defaults={"eps": 0.5, "min_samples": 5, "metric": "euclidean"},
               choices={"metric": ("euclidean", "manhattan", "cosine", "chebyshev")}, seeded=False,
               estimator_type=DBSCAN)
CLUSTERERS.add("hdbscan", "hierarchical density clusters (no eps to tune); noise is -1", _hdbscan,
               defaults={"min_cluster_size": 5, "min_samples": None, "cluster_selection_epsilon": 0.0,
                         "cluster_selection_method": "eom"},
               choices={"cluster_selection_method": ("eom", "leaf")}, seeded=False, estimator_type=HDBSCAN)
CLUSTERERS.add("spectral", "spectral clustering on an rbf or nearest-neighbour graph", SpectralClustering,
               defaults={"affinity": "rbf", "gamma": 1.0, "n_neighbors": 10, "assign_labels": "kmeans",
                         "n_init": 10},
               choices={"affinity": ("rbf", "nearest_neighbors"),
                        "assign_labels": ("kmeans", "discretize", "cluster_qr")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"), estimator_type=SpectralClustering)
CLUSTERERS.add("agglomerative", "hierarchical clustering (ward, complete, average or single linkage)",
               _agglomerative, defaults={"linkage": "ward", "metric": "euclidean"},
               choices={"linkage": LINKAGES, "metric": ("euclidean", "cosine", "manhattan")},
               takes_k="n_clusters", auto_k=("silhouette", "elbow"), seeded=False,
               estimator_type=AgglomerativeClustering)
CLUSTERERS.add("nested", "cluster, then split each cluster again where it shows clear structure of its own",
               _nested, defaults={"outer": "kmeans", "inner": "kmeans", "k_max": 10, "inner_k_max": 6,
                                  "split_threshold": 0.5},
               choices={"outer": ("kmeans", "gmm", "agglomerative"), "inner": ("kmeans", "gmm", "agglomerative")},
               takes_k="k", auto_k=("self",), estimator_type=NestedClusterer)


def make_clusterer(method: str = "kmeans", params: dict | None = None, *, k="auto", select: str = "silhouette",
                   k_min: int = 2, k_max: int = 10, random_state=None) -> "AtlasCluster":
    """An AtlasCluster around the named method built with checked parameters (``atomatlas list cluster``)."""
    estimator = CLUSTERERS[method].make(params, random_state=random_state)
    return AtlasCluster(estimator, k=k, select=select, k_min=k_min, k_max=k_max, random_state=random_state)


def method_of(estimator) -> "Method":
    """The registry entry of a named method or of an estimator built by one (a custom estimator gets a generic one)."""
    if isinstance(estimator, str):
        return CLUSTERERS[estimator]
    for spec in CLUSTERERS:
        if spec.estimator_type is not None and isinstance(estimator, spec.estimator_type):
            return spec
    params = estimator.get_params(deep=False)
    takes_k = "n_clusters" if "n_clusters" in params else None
    return Method(type(estimator).__name__, "cluster", "", type(estimator), takes_k=takes_k,
                  auto_k=("silhouette", "elbow") if takes_k else ())


def _distinct_rows(X: np.ndarray, enough: int) -> int:
    """Rows that differ by more than round-off (1e-8 of the largest value): what k-means can tell apart.
    Exact below ``enough``; otherwise some count >= ``enough``, from the first rows when they hold that many
    (counting them all sorts the whole table: a fifth of k-means's own time at 10^6 rows)."""
    scale = float(np.abs(X).max()) or 1.0

    def count(rows) -> int:
        return len(np.unique(np.round(rows * (1e8 / scale)), axis=0))

    head = min(len(X), max(1000, 10 * enough))
    found = count(X[:head])
    return found if found >= enough or head == len(X) else count(X)


DEFAULT_K_MAX = 10  # the default search range's end: cut quietly to what the rows allow; a larger one is said


class AtlasCluster(ClusterMixin, BaseEstimator):
    """A clusterer with automatic choice of k and prediction of new rows, around any scikit-learn clusterer.

    Parameters
    ----------
    estimator : str or estimator
        A method name from ``CLUSTERERS`` (``atomatlas list cluster``; built with its
        defaults) or an unfitted clusterer, e.g. ``KMeans(n_init=20)`` or one from
        :func:`make_clusterer`. Its parameters are tuned like any nested parameter:
        ``set_params(estimator__n_init=5)``.
    k : int, "auto" or None
        Number of clusters. ``"auto"`` searches ``k_min..k_max`` and picks by ``select``.
        Density methods (dbscan, hdbscan) take no k.
    select : {"silhouette", "bic", "aic", "elbow"}
        Criterion for ``k="auto"``; BIC and AIC need a mixture (gmm).
    k_min, k_max : int
    random_state : int, RandomState or None
        Seeds a named estimator (and an estimator instance that has a ``random_state``).

    Attributes
    ----------
    labels_, k_, estimator_, selected_by_
    scores_ : dict of arrays (one entry per k tried; ``pd.DataFrame(scores_)`` for a table) or None
    """

    def __init__(self, estimator="kmeans", k="auto", select="silhouette", k_min=2, k_max=10, random_state=None):
        self.estimator = estimator
        self.k = k
        self.select = select
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state

    def _template(self, spec):
        """An unfitted estimator to clone for each k: built by name, or the given one seeded."""
        if isinstance(self.estimator, str):
            return spec.make({}, random_state=self.random_state)
        template = clone(self.estimator)
        if self.random_state is not None and "random_state" in template.get_params(deep=False):
            template.set_params(random_state=self.random_state)
        return template

    def _with_k(self, template, spec, k):
        if spec.takes_k is None:
            raise AtlasError(f"{spec.step} method {spec.name!r} does not take k: it finds the number "
                             f"of clusters itself; drop --k.")
        return clone(template).set_params(**{spec.takes_k: int(k)})

    def _k_range(self, spec, n_rows, n_distinct):
        if self.select not in CRITERIA:
            raise AtlasError(f"unknown k selection {self.select!r}; choose one of {list(CRITERIA)}.")
        if self.select not in spec.auto_k:
            allowed = [c for c in spec.auto_k if c in CRITERIA]
            raise AtlasError(f"cluster method {spec.name!r} cannot choose k by {self.select!r}; "
                             f"use --select {' or '.join(allowed) or 'silhouette'} (BIC and AIC need --method gmm).")
        lowest = 1 if self.select in ("bic", "aic") else 2
        if not isinstance(self.k_min, int) or self.k_min < lowest:
            raise AtlasError(f"--k-min must be an integer >= {lowest} for {self.select}; got {self.k_min!r}.")
        k_max = min(int(self.k_max), n_rows - 1, n_distinct)  # more clusters than distinct rows: empty clusters
        if k_max < self.k_min:
            raise AtlasError(f"automatic k needs k_min <= k_max < number of rows; got k_min={self.k_min}, "
                             f"k_max={self.k_max} with {n_rows} rows ({n_distinct} distinct).")
        if k_max < int(self.k_max) and int(self.k_max) > DEFAULT_K_MAX:  # asked for more than the default: say so
            warnings.warn(f"k_max = {self.k_max} is more than {n_rows} rows ({n_distinct} distinct) allow; k is "
                          f"searched from {self.k_min} to {k_max}", UserWarning, stacklevel=2)
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
        spec = method_of(self.estimator)
        template = self._template(spec)
        with library_refusals("cluster", spec.name, _set_params(template, spec)):
            estimator = self._choose_estimator(X, spec, template)
            self.labels_ = np.asarray(estimator.fit_predict(X), dtype=int)
        if (self.labels_ < 0).all():
            shown = ", ".join(f"{k}={v!r}" for k, v in _set_params(template, spec).items()) or "default parameters"
            raise AtlasError(f"{spec.name} ({shown}) called every one of the {len(X)} rows noise: no cluster was "
                             "found; raise eps (dbscan) or lower min_samples / min_cluster_size.")
        self.estimator_ = estimator
        if self.scores_ is None and getattr(estimator, "scores_", None) is not None:
            self.scores_ = estimator.scores_  # a method that chose k itself (nested, gmm_merged)
            self.selected_by_ = getattr(estimator, "selected_by_", None) or "silhouette"
        self.k_ = int(len(np.unique(self.labels_[self.labels_ >= 0])))
        self.assigner_ = assigner_for(estimator, X, self.labels_)
        self.n_features_in_ = X.shape[1]
        return self

    def _choose_estimator(self, X, spec, template):
        """The unfitted estimator with its k: given, searched and chosen, or left to the method."""
        given = isinstance(self.k, (int, np.integer)) and not isinstance(self.k, bool)
        n_rows, n_distinct = X.shape[0], _distinct_rows(X, (int(self.k) if given else int(self.k_max)) + 1)
        self.scores_, self.selected_by_ = None, None
        if spec.takes_k is None:
            if self.k not in (None, "auto"):
                self._with_k(template, spec, 1)  # raises the "does not take k" error
            return template
        if self.k == "auto" and "self" in spec.auto_k:
            return clone(template).set_params(**{spec.takes_k: "auto"})
        if self.k == "auto" and "prune" in spec.auto_k:
            self.selected_by_ = "prune"
            return self._with_k(template, spec, min(int(self.k_max), n_rows))
        if self.k != "auto":
            return self._with_k(template, spec, self._check_k(self.k, n_rows, n_distinct))
        ks = self._k_range(spec, n_rows, n_distinct)
        scores = search_k(self._with_k(template, spec, ks[0]), X, ks, spec.takes_k,
                          progress=lambda items: bar(items, f"choosing k ({spec.name})", "k"))
        # A dict of arrays (like GridSearchCV.cv_results_) keeps the fitted object saveable by skops.
        self.scores_ = {column: scores[column].to_numpy() for column in scores.columns}
        self.selected_by_ = self.select
        return self._with_k(template, spec, choose(scores, self.select))

    def fit_predict(self, X, y=None, **kwargs):
        return self.fit(X).labels_

    def predict(self, X):
        check_is_fitted(self, "assigner_")
        return np.asarray(self.assigner_.predict(check_array(X, dtype=float)), dtype=int)


def _set_params(estimator, spec) -> dict:
    """The estimator's parameters that differ from the method's defaults (for messages)."""
    if not spec.defaults:
        return {}
    params = estimator.get_params(deep=False)
    return {k: params[k] for k in spec.defaults if k in params and params[k] != spec.defaults[k]}
