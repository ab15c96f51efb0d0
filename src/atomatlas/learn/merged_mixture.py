"""A Gaussian mixture whose components are merged into clusters: automatic k for non-Gaussian phases.

A liquid, a grain boundary or a thermally broadened crystal is not one Gaussian in
descriptor space, so BIC gives it several components and "one component, one cluster"
over-counts the phases. :class:`MergedGaussianMixture` follows Hennig (2010, "Methods
for merging Gaussian mixture components", Adv. Data Anal. Classif. 4, 3), method DEMP:

1. the rows are reduced to ``n_pca`` whitened principal components (a full covariance in
   a hundred correlated features is ill-conditioned);
2. a full-covariance mixture is fitted for 1 .. ``max_components`` components and the one
   of lowest BIC is kept;
3. components are merged pairwise, greedily, while the two closest clusters would misclassify
   at least ``merge_above`` of one another's rows (the directly estimated misclassification
   probability, DEMP: the posterior mass of cluster a that the Bayes rule gives to b).

A cluster's posterior is the sum of its components' posteriors, so ``predict_proba`` and
:func:`assignment_uncertainty` work as for any mixture. Given ``n_clusters`` as an
integer, it is a plain mixture of that many components (no merging).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted


class MergedGaussianMixture(ClusterMixin, BaseEstimator):
    """Mixture components chosen by BIC, then merged by misclassification probability (DEMP).

    Parameters
    ----------
    n_clusters : "auto" or int
    max_components : int, largest mixture tried by BIC
    n_pca : int or None, whitened principal components clustered (None: the rows as given)
    merge_above : float in (0, 1], merge two clusters while one would lose at least this share of its rows to the
        other (1: never merge, one cluster per BIC component)
    n_init, reg_covar : as GaussianMixture's
    random_state : int or None

    Attributes
    ----------
    labels_, n_clusters_, mixture_, groups_ (component indices of each cluster), scores_ ({"k", "bic"} per mixture
    tried, or None), chosen_k_ (components BIC chose), selected_by_
    """

    _parameter_constraints = {
        "n_clusters": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_components": [Interval(Integral, 1, None, closed="left")],
        "n_pca": [Interval(Integral, 1, None, closed="left"), None],
        "merge_above": [Interval(Real, 0, 1, closed="right")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters="auto", max_components=8, n_pca=12, merge_above=0.05, n_init=2, reg_covar=1e-4,
                 random_state=None):
        self.n_clusters = n_clusters
        self.max_components = max_components
        self.n_pca = n_pca
        self.merge_above = merge_above
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.random_state = random_state

    def _mixture(self, k: int) -> GaussianMixture:
        return GaussianMixture(k, covariance_type="full", n_init=self.n_init, reg_covar=self.reg_covar,
                               random_state=self.random_state)

    def fit(self, X, y=None):
        from threadpoolctl import threadpool_limits

        # BLAS threads on 12 x 12 covariances start up for longer than they work: one thread made the fit 8.7 s ->
        # 1.0 s on 2048 atoms with both cores busy, the labels the same (bench/bench_environments.py)
        with threadpool_limits(1, user_api="blas"):
            return self._fit(X)

    def _fit(self, X):
        self._validate_params()
        X = check_array(X, dtype=float)
        self.reducer_ = None
        if self.n_pca is not None and X.shape[1] > self.n_pca:
            self.reducer_ = PCA(self.n_pca, whiten=True, random_state=self.random_state).fit(X)
        Y = self._reduced(X)
        self.scores_, self.selected_by_ = None, None
        if self.n_clusters == "auto":
            fits = [self._mixture(k).fit(Y) for k in range(1, min(self.max_components, len(Y) - 1) + 1)]
            bic = np.array([fit.bic(Y) for fit in fits])
            self.mixture_ = fits[int(np.argmin(bic))]
            self.scores_ = {"k": np.arange(1, len(fits) + 1), "bic": bic}
            self.selected_by_ = "bic"
            self.groups_ = merge_components(self.mixture_.predict_proba(Y), self.merge_above)
        else:
            self.mixture_ = self._mixture(int(self.n_clusters)).fit(Y)
            self.groups_ = [[j] for j in range(int(self.n_clusters))]
        self.chosen_k_ = int(self.mixture_.n_components)
        self.n_clusters_ = len(self.groups_)
        self.labels_ = self.predict(X)
        self.n_features_in_ = X.shape[1]
        return self

    def _reduced(self, X):
        return X if self.reducer_ is None else self.reducer_.transform(X)

    def predict_proba(self, X):
        """(rows, clusters): each cluster's posterior, the sum of its components'."""
        check_is_fitted(self, "mixture_")
        tau = self.mixture_.predict_proba(self._reduced(check_array(X, dtype=float)))
        return _grouped(tau, self.groups_)

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_

    def bic(self, X):
        return self.mixture_.bic(self._reduced(check_array(X, dtype=float)))

    def aic(self, X):
        return self.mixture_.aic(self._reduced(check_array(X, dtype=float)))


def _grouped(tau: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    return np.stack([tau[:, group].sum(axis=1) for group in groups], axis=1)


def merge_components(tau: np.ndarray, merge_above: float) -> list[list[int]]:
    """Hennig's DEMP: greedily merge the pair of clusters with the largest misclassification probability
    max(P(b | a), P(a | b)), P(b | a) being the share of a's posterior mass on rows the Bayes rule gives to b,
    while that probability is at least ``merge_above``. Returns each cluster's component indices, sorted."""
    groups = [[j] for j in range(tau.shape[1])]
    while len(groups) > 1:
        T = _grouped(tau, groups)
        assigned = T.argmax(axis=1)
        mass = T.sum(axis=0)
        # into[a, b]: posterior mass of a on rows assigned to b
        into = np.stack([T[assigned == b].sum(axis=0) for b in range(len(groups))], axis=1)
        lost = into / np.maximum(mass, 1e-300)[:, None]
        np.fill_diagonal(lost, -1.0)
        pair = np.maximum(lost, lost.T)
        a, b = np.unravel_index(np.argmax(pair), pair.shape)
        if pair[a, b] < merge_above or merge_above >= 1.0:
            break
        a, b = min(a, b), max(a, b)
        groups[a] = sorted(groups[a] + groups[b])
        del groups[b]
    return groups


def assignment_uncertainty(estimator, X: np.ndarray) -> np.ndarray | None:
    """Per row, 0 (sure) .. 1 (a tie): the second-best cluster's posterior over the best one's for a mixture, the
    nearest centre's distance over the second nearest's for k-means; None for other clusterers."""
    if hasattr(estimator, "predict_proba"):
        proba = np.sort(estimator.predict_proba(X), axis=1)
        if proba.shape[1] < 2:
            return np.zeros(len(X))
        return proba[:, -2] / np.maximum(proba[:, -1], 1e-300)
    if hasattr(estimator, "cluster_centers_") and hasattr(estimator, "transform"):
        distances = np.sort(estimator.transform(X), axis=1)
        if distances.shape[1] < 2:
            return np.zeros(len(X))
        return distances[:, 0] / np.maximum(distances[:, 1], 1e-300)
    return None
