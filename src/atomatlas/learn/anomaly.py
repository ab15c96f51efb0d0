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
from sklearn.base import BaseEstimator

from atomatlas.errors import AtlasError
from atomatlas.learn.registry import Registry, library_refusals

THRESHOLDS = ("percentile", "mad")


def _gmm(n_components, covariance_type, n_init, random_state):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=n_components, covariance_type=covariance_type, n_init=n_init,
                           random_state=random_state)


def _pca_error(n_components, random_state):
    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=random_state)


def _isolation_forest(n_estimators, random_state):
    from sklearn.ensemble import IsolationForest

    return IsolationForest(n_estimators=n_estimators, random_state=random_state)


def _lof(n_neighbors):
    from sklearn.neighbors import LocalOutlierFactor

    return LocalOutlierFactor(n_neighbors=n_neighbors, novelty=True)


DETECTORS = Registry("anomaly detector")
DETECTORS.add("gmm", "minus the log-density of a Gaussian mixture (seed 004)", _gmm,
              defaults={"n_components": 3, "covariance_type": "full", "n_init": 10},
              choices={"covariance_type": ("full", "tied", "diag", "spherical")})
DETECTORS.add("pca_error", "PCA reconstruction error (squared distance to the PCA subspace)", _pca_error,
              defaults={"n_components": 2})
DETECTORS.add("isolation_forest", "isolation forest (scikit-learn)", _isolation_forest,
              defaults={"n_estimators": 200})
DETECTORS.add("lof", "local outlier factor, novelty mode (scikit-learn)", _lof, defaults={"n_neighbors": 20},
              seeded=False)


def raw_score(estimator, X) -> np.ndarray:
    """Higher = more anomalous, for every detector."""
    from sklearn.decomposition import PCA

    if isinstance(estimator, PCA):
        restored = estimator.inverse_transform(estimator.transform(X))
        return ((X - restored) ** 2).sum(axis=1)
    return -estimator.score_samples(X)


class AnomalyDetector(BaseEstimator):
    """Fit a detector, score rows, flag those beyond a threshold fixed on the fitted rows.

    >>> detector = AnomalyDetector("gmm", threshold="percentile", percentile=4).fit(X)  # doctest: +SKIP
    >>> detector.scores_, detector.flags_, detector.threshold_                           # doctest: +SKIP
    """

    def __init__(self, method="gmm", params=None, threshold="percentile", percentile=4.0, n_mad=5.0,
                 random_state=None):
        self.method = method
        self.params = params
        self.threshold = threshold
        self.percentile = percentile
        self.n_mad = n_mad
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        if self.threshold not in THRESHOLDS:
            raise AtlasError(f"threshold must be one of {list(THRESHOLDS)}; got {self.threshold!r}.")
        spec = DETECTORS[self.method]
        self.estimator_ = spec.make(self.params, random_state=self.random_state)
        n_components = getattr(self.estimator_, "n_components", None)
        if self.method == "pca_error" and n_components >= min(X.shape):
            raise AtlasError(f"pca_error: n_components={n_components} must be below min(rows, features) = "
                             f"{min(X.shape)}, or every row is reconstructed exactly.")
        if self.method == "gmm" and n_components > len(X):
            raise AtlasError(f"gmm: n_components={n_components} is more than the {len(X)} rows.")
        if self.method == "lof" and self.estimator_.n_neighbors >= len(X):
            raise AtlasError(f"lof: n_neighbors={self.estimator_.n_neighbors} must be below the {len(X)} rows.")
        with library_refusals("anomaly detector", self.method, self.params):
            self.estimator_.fit(X)
        self.scores_ = raw_score(self.estimator_, X)
        if self.threshold == "percentile":
            self.threshold_ = float(np.percentile(self.scores_, 100 - self.percentile))
        else:
            median = float(np.median(self.scores_))
            mad = 1.4826 * float(np.median(np.abs(self.scores_ - median)))
            self.threshold_ = median + self.n_mad * max(mad, 1e-12 * max(1.0, abs(median)))
        self.flags_ = self.scores_ > self.threshold_
        return self

    def score_samples(self, X) -> np.ndarray:
        """Anomaly score of each row (higher = odder)."""
        return raw_score(self.estimator_, np.asarray(X, dtype=float))

    def predict(self, X) -> np.ndarray:
        """1 for anomalies, 0 for normal rows (the threshold set at fit time)."""
        return (self.score_samples(X) > self.threshold_).astype(int)
