"""Anomaly and novelty detection: a score per row (higher = odder) and a threshold.

Scores:

* ``gmm``: minus the log-density of a Gaussian mixture (seed 004 flags the 4% least dense);
* ``pca_error``: squared distance from the row to its PCA reconstruction;
* ``isolation_forest``: scikit-learn's IsolationForest, sign flipped;
* ``lof``: local outlier factor (novelty mode, so new rows can be scored).

Thresholds, both set on the fitted rows and kept for new ones (novelty detection):

* ``percentile``: flag the ``percentile`` % highest scores (the seed's rule; always flags
  that share, anomalies or not);
* ``mad``: flag scores above median + ``n_mad`` x (1.4826 MAD), a robust z-score that
  flags nothing in clean data and only the odd rows when there are a few.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import LocalOutlierFactor
from sklearn.utils.validation import check_array, check_is_fitted

from atomatlas.errors import AtlasError
from atomatlas.learn.registry import Registry, library_refusals

THRESHOLDS = ("percentile", "mad")


def _gmm(n_components, covariance_type, n_init, random_state):
    return GaussianMixture(n_components=n_components, covariance_type=covariance_type, n_init=n_init,
                           random_state=random_state)


def _pca_error(n_components, random_state):
    return PCA(n_components=n_components, random_state=random_state)


def _isolation_forest(n_estimators, random_state):
    return IsolationForest(n_estimators=n_estimators, random_state=random_state)


def _lof(n_neighbors):
    # novelty mode so new rows can be scored; the fitted rows keep their own scores (negative_outlier_factor_)
    return LocalOutlierFactor(n_neighbors=n_neighbors, novelty=True)


DETECTORS = Registry("anomaly detector")
DETECTORS.add("gmm", "minus the log-density of a Gaussian mixture (seed 004)", _gmm,
              defaults={"n_components": 3, "covariance_type": "full", "n_init": 10},
              choices={"covariance_type": ("full", "tied", "diag", "spherical")}, estimator_type=GaussianMixture)
DETECTORS.add("pca_error", "PCA reconstruction error (squared distance to the PCA subspace)", _pca_error,
              defaults={"n_components": 2}, estimator_type=PCA)
DETECTORS.add("isolation_forest", "isolation forest (scikit-learn)", _isolation_forest,
              defaults={"n_estimators": 200}, estimator_type=IsolationForest)
DETECTORS.add("lof", "local outlier factor (scikit-learn); new rows scored in novelty mode", _lof,
              defaults={"n_neighbors": 20}, seeded=False, estimator_type=LocalOutlierFactor)


def oddness(estimator, X) -> np.ndarray:
    """How odd each row is to a fitted detector (higher = odder), for every detector kind."""
    from sklearn.decomposition import PCA

    if isinstance(estimator, PCA):
        restored = estimator.inverse_transform(estimator.transform(X))
        return ((X - restored) ** 2).sum(axis=1)
    return -estimator.score_samples(X)


def _training_oddness(estimator, X) -> np.ndarray:
    """Oddness of the rows a detector was fit on: LOF scores its own rows without counting each row as its neighbour."""
    from sklearn.neighbors import LocalOutlierFactor

    if isinstance(estimator, LocalOutlierFactor):
        return -estimator.negative_outlier_factor_
    return oddness(estimator, X)


def make_detector(method: str = "gmm", params: dict | None = None, *, threshold: str = "percentile",
                  percentile: float = 4.0, n_mad: float = 5.0, random_state=None) -> "AnomalyDetector":
    """An AnomalyDetector around the named detector built with checked parameters (``atomatlas list anomaly``)."""
    return AnomalyDetector(DETECTORS[method].make(params, random_state=random_state), threshold=threshold,
                           percentile=percentile, n_mad=n_mad)


def method_of(estimator):
    """The registry entry of a named detector or of an estimator built by one."""
    if isinstance(estimator, str):
        return DETECTORS[estimator]
    for spec in DETECTORS:
        if spec.estimator_type is not None and isinstance(estimator, spec.estimator_type):
            return spec
    raise AtlasError(f"{type(estimator).__name__} is not a detector atomatlas knows; choose one of "
                     f"{DETECTORS.names()}.")


class AnomalyDetector(OutlierMixin, BaseEstimator):
    """Score rows by how odd they are; flag those beyond a threshold fixed on the fitted rows.

    scikit-learn's outlier conventions: ``predict`` gives -1 for outliers and +1 for
    inliers, ``score_samples`` is higher for more normal rows and
    ``decision_function = score_samples - offset_`` is negative for outliers.
    :meth:`oddness` is the score atomatlas writes (higher = odder).

    Parameters
    ----------
    estimator : str or estimator
        A detector name (``gmm``, ``pca_error``, ``isolation_forest``, ``lof``) or an
        unfitted one of those kinds (``make_detector`` builds it with parameters).
    threshold : {"percentile", "mad"}
    percentile : float, share of fitted rows flagged by the percentile rule (the seed's 4)
    n_mad : float, robust deviations above the median for the mad rule

    Attributes
    ----------
    estimator_ : the fitted detector
    scores_ : oddness of the fitted rows; flags_ : which of them are flagged
    threshold_ : the oddness above which a row is an outlier; offset_ = -threshold_

    >>> detector = make_detector("gmm", threshold="percentile", percentile=4).fit(X)   # doctest: +SKIP
    >>> detector.predict(new_rows)                                                    # doctest: +SKIP
    """

    def __init__(self, estimator="gmm", threshold="percentile", percentile=4.0, n_mad=5.0):
        self.estimator = estimator
        self.threshold = threshold
        self.percentile = percentile
        self.n_mad = n_mad

    def fit(self, X, y=None):
        X = check_array(X, dtype=float)
        if self.threshold not in THRESHOLDS:
            raise AtlasError(f"threshold must be one of {list(THRESHOLDS)}; got {self.threshold!r}.")
        spec = method_of(self.estimator)
        self.estimator_ = spec.make({}) if isinstance(self.estimator, str) else clone(self.estimator)
        self._check_sizes(spec.name, X)
        with library_refusals("anomaly detector", spec.name, None):
            self.estimator_.fit(X)
        self.scores_ = _training_oddness(self.estimator_, X)
        if self.threshold == "percentile":
            self.threshold_ = float(np.percentile(self.scores_, 100 - self.percentile))
        else:
            median = float(np.median(self.scores_))
            mad = 1.4826 * float(np.median(np.abs(self.scores_ - median)))
            self.threshold_ = median + self.n_mad * max(mad, 1e-12 * max(1.0, abs(median)))
        self.offset_ = -self.threshold_
        self.flags_ = self.scores_ > self.threshold_
        self.n_features_in_ = X.shape[1]
        return self

    def _check_sizes(self, name: str, X) -> None:
        if len(X) < 2:
            raise AtlasError(f"{name}: a threshold needs at least 2 rows to compare; got {len(X)} sample.")
        n_components = getattr(self.estimator_, "n_components", None)
        if name == "pca_error" and n_components >= min(X.shape):
            raise AtlasError(f"pca_error: n_components={n_components} must be below min(rows, features) = "
                             f"{min(X.shape)}, or every row is reconstructed exactly.")
        if name == "gmm" and n_components > len(X):
            raise AtlasError(f"gmm: n_components={n_components} is more than the {len(X)} rows.")
        if name == "lof" and self.estimator_.n_neighbors >= len(X):
            raise AtlasError(f"lof: n_neighbors={self.estimator_.n_neighbors} must be below the {len(X)} rows.")

    def oddness(self, X) -> np.ndarray:
        """How odd each row is (higher = odder), on the scale of ``threshold_``."""
        check_is_fitted(self, "estimator_")
        return oddness(self.estimator_, check_array(X, dtype=float))

    def score_samples(self, X) -> np.ndarray:
        """scikit-learn's sign: higher = more normal."""
        return -self.oddness(X)

    def decision_function(self, X) -> np.ndarray:
        """Negative for outliers, positive for inliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """-1 for outliers, +1 for inliers (by the threshold fixed at fit time)."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    def fit_predict(self, X, y=None, **kwargs) -> np.ndarray:
        """The fitted rows' labels by their own scores (LOF's training scores, not its novelty scores)."""
        return np.where(self.fit(X, y).flags_, -1, 1)
