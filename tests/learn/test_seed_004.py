"""Numbers from seed 004 (the clustering chapter) reproduced with atomatlas estimators."""

import numpy as np
import pytest

from atomatlas.datasets.synthetic import mixture_blobs, moons
from atomatlas.learn.cluster import make_clusterer


@pytest.fixture(scope="module")
def blobs():
    return mixture_blobs()


def test_gmm_bic_and_aic_match_the_seed(blobs):
    X, _ = blobs
    gmm = make_clusterer("gmm", {"n_init": 10}, k=3, random_state=42).fit(X).estimator_
    assert gmm.bic(X) == pytest.approx(8189.74, abs=0.01)
    assert gmm.aic(X) == pytest.approx(8102.52, abs=0.05)


@pytest.mark.parametrize("criterion", ["bic", "aic"])
def test_bic_and_aic_choose_three_components(blobs, criterion):
    X, _ = blobs
    model = make_clusterer("gmm", {"n_init": 3}, k="auto", select=criterion, k_min=1, k_max=8, random_state=42).fit(X)
    assert model.k_ == 3


def test_bayesian_mixture_keeps_three_effective_components(blobs):
    X, _ = blobs
    model = make_clusterer("bgmm", {"n_init": 10}, k="auto", k_max=10, random_state=42).fit(X)
    weights = np.round(model.estimator_.weights_, 2)
    assert (weights > 0.01).sum() == 3 and model.k_ == 3


def test_dbscan_on_moons_small_and_large_eps():
    X, _ = moons()
    small = make_clusterer("dbscan", {"eps": 0.05, "min_samples": 5}).fit(X)
    large = make_clusterer("dbscan", {"eps": 0.2, "min_samples": 5}).fit(X)
    assert small.k_ == 7 and (small.labels_ == -1).sum() > 0  # the seed: 7 clusters and many anomalies
    assert large.k_ == 2 and (large.labels_ == -1).sum() == 0
    # the seed's new points: it finds [-1, 0, 1, -1] (cluster ids may be permuted)
    labels = large.predict(np.array([[-0.5, 0], [0, 0.5], [1, -0.1], [2, 1]]))
    assert labels[0] == -1 and labels[3] == -1
    assert labels[1] >= 0 and labels[2] >= 0 and labels[1] != labels[2]


def _digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, random_state=42)


def test_logistic_ovr_is_the_seed_baseline_on_digits():
    from atomatlas.learn.supervised import make_classifier

    X_train, X_test, y_train, y_test = _digits_split()
    model = make_classifier("logistic_ovr", random_state=42).fit(X_train, y_train)
    assert model.score(X_test, y_test) == pytest.approx(0.9689, abs=0.0005)  # seed: 0.968888...


def test_kmeans_distances_as_features_beat_the_baseline_on_digits():
    from atomatlas.learn.supervised import make_classifier

    X_train, X_test, y_train, y_test = _digits_split()
    scores = [make_classifier("kmeans_logistic", {"k": [50]}, random_state=seed).fit(X_train, y_train)
              .score(X_test, y_test) for seed in (0, 42)]
    assert np.mean(scores) == pytest.approx(0.9778, abs=0.01)  # seed: 97.78% with k = 50
    assert min(scores) > 0.9689


def test_kmeans_logistic_grid_search_picks_k_by_cross_validation():
    from sklearn.model_selection import GridSearchCV

    from atomatlas.learn.supervised import make_classifier

    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X_train, X_test, y_train, y_test = _digits_split()
    ks = [20, 40, 60]
    model = make_classifier("kmeans_logistic", {"k": ks}, random_state=42)
    assert isinstance(model, GridSearchCV)
    model.fit(X_train, y_train)
    # the same folds, scored by hand: the grid must pick the k with the best mean cross-validated accuracy
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=42)
    by_hand = {k: cross_val_score(clone(model.estimator).set_params(kmeans__n_clusters=k), X_train, y_train,
                                  cv=folds).mean() for k in ks}
    assert model.best_params_ == {"kmeans__n_clusters": max(by_hand, key=by_hand.get)}
    assert model.cv_results_["mean_test_score"] == pytest.approx([by_hand[k] for k in ks])
    assert model.score(X_test, y_test) > 0.9689  # better than logistic regression on the pixels
