"""Anomaly scores and thresholds: seed 004's 4% density rule and planted outliers for every detector."""

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from atomatlas.datasets.synthetic import mixture_blobs
from atomatlas.errors import AtlasError
from atomatlas.learn.outliers import DETECTORS, make_detector


def test_gmm_percentile_rule_is_the_seeds():
    X, _ = mixture_blobs()
    detector = make_detector("gmm", {"n_components": 3}, percentile=4, random_state=42).fit(X)
    densities = GaussianMixture(3, n_init=10, random_state=42).fit(X).score_samples(X)
    seed_flags = densities < np.percentile(densities, 4)  # the seed's own lines
    assert np.array_equal(detector.flags_, seed_flags)
    assert detector.flags_.sum() == 50


@pytest.fixture
def planted():
    """300 normal rows spread mostly in a plane of 5-D, and 6 rows off that plane at the end."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)) * np.array([5.0, 5.0, 0.3, 0.3, 0.3])
    odd = rng.normal(size=(6, 5)) * 0.3 + np.array([0.0, 0.0, 3.0, -3.0, 3.0])
    return np.vstack([X, odd])


@pytest.mark.parametrize("method", DETECTORS.names())
def test_every_detector_finds_planted_outliers_with_the_robust_threshold(planted, method):
    params = {"n_components": 1} if method == "gmm" else {}
    detector = make_detector(method, params, threshold="mad", n_mad=5, random_state=0).fit(planted)
    assert detector.flags_[-6:].all()
    # LOF compares local densities, and the rim of the wide plane is sparse: up to 6% of normal rows flagged
    assert detector.flags_[:-6].sum() <= (18 if method == "lof" else 5)


def test_the_threshold_is_kept_for_new_rows(planted):
    detector = make_detector("gmm", {"n_components": 1}, threshold="mad", random_state=0).fit(planted[:300])
    assert detector.predict(np.array([[0.0] * 5, [9.0] * 5])).tolist() == [1, -1]  # inlier, outlier


def test_bad_detector_settings():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(AtlasError, match=r"pca_error: n_components=3 must be below min\(rows, features\) = 3"):
        make_detector("pca_error", {"n_components": 3}).fit(X)
    with pytest.raises(AtlasError, match="gmm: n_components=30 is more than the 20 rows"):
        make_detector("gmm", {"n_components": 30}).fit(X)
    with pytest.raises(AtlasError, match="threshold must be one of"):
        make_detector("gmm", threshold="top").fit(X)
    with pytest.raises(AtlasError, match="unknown parameter 'k'"):
        make_detector("lof", {"k": 3}).fit(X)
