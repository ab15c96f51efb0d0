import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score

from atomatlas.errors import AtlasError
from atomatlas.learn.cluster import CLUSTERERS, AtlasCluster, make_clusterer
from atomatlas.learn.select_k import elbow_index

# Parameters under which each method must recover three well-separated blobs exactly.
RECOVERS_BLOBS = {
    "kmeans": {}, "minibatch_kmeans": {}, "gmm": {}, "bgmm": {}, "spectral": {"affinity": "nearest_neighbors"},
    "agglomerative": {}, "dbscan": {"eps": 2.5, "min_samples": 4}, "hdbscan": {"min_cluster_size": 10},
    "nested": {}, "gmm_merged": {"n_pca": 2},
}


def test_every_registered_method_is_tested():
    assert set(RECOVERS_BLOBS) == set(CLUSTERERS.names())


@pytest.mark.parametrize("method", sorted(RECOVERS_BLOBS))
def test_method_recovers_blobs_and_predicts_its_own_rows(blobs, method):
    X, y = blobs
    spec = CLUSTERERS[method]
    k = "auto" if spec.takes_k else None
    model = make_clusterer(method, RECOVERS_BLOBS[method], k=k, random_state=0).fit(X)
    assert model.k_ == 3
    assert adjusted_rand_score(y, model.labels_) == pytest.approx(1.0)
    # every fitted method labels new rows; training rows get their own label back
    assert adjusted_rand_score(model.labels_, model.predict(X)) == pytest.approx(1.0)


# ward is euclidean only (its refusal of other metrics is tested in test_registry): those pairs are not generated
LINKAGE_METRICS = [("ward", "euclidean")] + [(linkage, metric) for linkage in ("complete", "average", "single")
                                             for metric in ("euclidean", "cosine", "manhattan")]


@pytest.mark.parametrize("linkage, metric", LINKAGE_METRICS)
def test_agglomerative_linkages_and_metrics(blobs, linkage, metric):
    X, y = blobs
    model = make_clusterer("agglomerative", {"linkage": linkage, "metric": metric}, k=3).fit(X)
    assert model.estimator_.linkage == linkage and model.estimator_.metric == metric
    assert adjusted_rand_score(y, model.labels_) == pytest.approx(1.0)  # every linkage and metric finds the blobs
    assert np.array_equal(model.predict(X), model.labels_)


@pytest.mark.parametrize("select", ["silhouette", "bic", "aic", "elbow"])
def test_automatic_k_finds_four_blobs(select):
    X, _ = make_blobs(n_samples=200, centers=4, n_features=3, cluster_std=0.5, random_state=1)
    model = AtlasCluster("gmm", k="auto", select=select, k_min=1 if select in ("bic", "aic") else 2, k_max=8,
                         random_state=0).fit(X)
    assert model.k_ == 4 and model.selected_by_ == select
    scores = pd.DataFrame(model.scores_)
    assert scores["k"].tolist() == list(range(1 if select in ("bic", "aic") else 2, 9))
    assert {"silhouette", "inertia", "bic", "aic"} <= set(scores.columns)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_kmeans_variants(blobs, init, algorithm):
    X, y = blobs
    model = make_clusterer("kmeans", {"init": init, "algorithm": algorithm, "n_init": 5}, k=3, random_state=0).fit(X)
    assert adjusted_rand_score(y, model.labels_) == pytest.approx(1.0)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_gmm_covariance_types(blobs, covariance_type):
    X, y = blobs
    model = make_clusterer("gmm", {"covariance_type": covariance_type}, k=3, random_state=0).fit(X)
    assert adjusted_rand_score(y, model.labels_) == pytest.approx(1.0)


def test_bgmm_prunes_unused_components(blobs):
    X, y = blobs
    model = AtlasCluster("bgmm", k="auto", k_max=8, random_state=0).fit(X)
    assert model.estimator_.n_components == 8 and model.k_ == 3


def test_same_seed_same_labels_other_seed_runs(blobs):
    X, _ = blobs
    a = make_clusterer("kmeans", {"n_init": 1, "init": "random"}, k=4, random_state=7).fit(X).labels_
    b = make_clusterer("kmeans", {"n_init": 1, "init": "random"}, k=4, random_state=7).fit(X).labels_
    assert np.array_equal(a, b)


def test_dbscan_marks_far_new_points_as_noise():
    X, _ = make_moons(n_samples=200, noise=0.05, random_state=0)
    model = make_clusterer("dbscan", {"eps": 0.2, "min_samples": 5}).fit(X)
    assert model.k_ == 2
    new = np.array([[0.0, 1.0], [1.0, -0.5], [5.0, 5.0]])
    labels = model.predict(new)
    assert labels[2] == -1 and labels[0] >= 0 and labels[1] >= 0 and labels[0] != labels[1]


def test_k_larger_than_rows_is_refused(blobs):
    X, _ = blobs
    with pytest.raises(AtlasError, match=r"k=500 must be below the number of rows \(90\)"):
        AtlasCluster("kmeans", k=500).fit(X)


@pytest.mark.parametrize("kwargs, message", [
    ({"select": "gap"}, r"unknown k selection 'gap'"),
    ({"select": "bic"}, r"cannot choose k by 'bic'"),
    ({"k": 0}, r"k must be at least 1"),
    ({"k": "three"}, r"k must be a positive integer or 'auto'"),
    ({"k_min": 50, "k_max": 60}, r"automatic k needs k_min <= k_max < number of rows"),
])
def test_bad_k_options(blobs, kwargs, message):
    X, _ = blobs
    with pytest.raises(AtlasError, match=message):
        AtlasCluster("kmeans", **{"k": "auto", **kwargs}).fit(X[:20])


def test_elbow_of_a_sharp_knee():
    ks = np.arange(1, 9, dtype=float)
    inertia = np.array([100, 40, 10, 9, 8, 7, 6, 5], dtype=float)
    assert ks[elbow_index(ks, inertia)] == 3


def test_nested_splits_only_clear_substructure():
    # Two far groups; the first hides two sub-blobs, the second is one blob.
    rng = np.random.default_rng(0)
    sub_a = rng.normal([0, 0], 0.3, size=(60, 2))
    sub_b = rng.normal([4, 0], 0.3, size=(60, 2))
    lone = rng.normal([40, 40], 1.0, size=(120, 2))
    X = np.vstack([sub_a, sub_b, lone])
    model = AtlasCluster("nested", k="auto", random_state=0).fit(X)
    splits = model.estimator_.splits_
    assert model.k_ == 3
    assert sorted(s["split"] for s in splits) == [False, True]
    truth = np.repeat([0, 1, 2], [60, 60, 120])
    assert adjusted_rand_score(truth, model.labels_) == pytest.approx(1.0)
    assert np.array_equal(model.predict(X), model.labels_)
