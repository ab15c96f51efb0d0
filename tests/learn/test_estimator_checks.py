"""scikit-learn's own estimator checks on atomatlas estimators (DESIGN: copy scikit-learn's contract)."""

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from atomatlas.learn.assign import NearestClusterAssigner
from atomatlas.learn.cluster import AtlasCluster, make_clusterer
from atomatlas.learn.merged_mixture import MergedGaussianMixture
from atomatlas.learn.nested import NestedClusterer
from atomatlas.learn.outliers import AnomalyDetector, make_detector
from atomatlas.learn.propagation import ClusterPropagation
from atomatlas.learn.reduce import MDS


def expected_failures(estimator):
    failures = {}
    if isinstance(estimator, (AtlasCluster, NestedClusterer)):
        failures["check_fit2d_1sample"] = "a fixed k larger than the rows is refused with our own message"
    if isinstance(estimator, AnomalyDetector) and type(estimator.estimator).__name__ == "LocalOutlierFactor":
        failures["check_outliers_fit_predict"] = ("LOF scores the fitted rows by their own outlier factors (fit_predict) "
                                                  "and other rows in novelty mode (predict), as scikit-learn's LOF does")
    if isinstance(estimator, MDS):
        failures["check_fit2d_1sample"] = "an embedding needs at least 3 rows; our message says so"
    return failures


ESTIMATORS = [
    AtlasCluster(k=3, random_state=0),
    AtlasCluster(KMeans(n_init=3), k="auto", k_max=4, random_state=0),
    make_clusterer("gmm", {"n_init": 1}, k=3, random_state=0),
    make_clusterer("gmm_merged", {"n_init": 1, "max_components": 3, "n_pca": 2}, random_state=0),
    MergedGaussianMixture(max_components=3, n_init=1, random_state=0),
    NestedClusterer(outer=AtlasCluster(random_state=0), inner=AtlasCluster(random_state=0), k=3),
    make_detector("gmm", {"n_components": 1}, random_state=0),
    make_detector("isolation_forest", {"n_estimators": 20}, threshold="mad", random_state=0),
    make_detector("lof", {"n_neighbors": 5}),
    ClusterPropagation(n_clusters=3, random_state=0),
    MDS(n_init=1, max_iter=50, random_state=0),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_wrapped_parameters_are_real_parameters():
    """set_params and grid search reach the wrapped method's parameters (no params dict)."""
    model = make_clusterer("kmeans", {"n_init": 3}, k=3, random_state=0)
    assert model.get_params()["estimator__n_init"] == 3
    model.set_params(estimator__n_init=5, k=4)
    assert model.estimator.n_init == 5 and model.k == 4
    detector = make_detector("gmm", {"n_components": 2}, random_state=0).set_params(estimator__n_components=1)
    assert detector.get_params()["estimator__n_components"] == 1
    X = np.random.default_rng(0).normal(size=(60, 2))
    search = GridSearchCV(AtlasCluster(KMeans(n_init=2, random_state=0)), {"k": [2, 3], "estimator__n_init": [1, 2]},
                          scoring=lambda est, X, y=None: -est.estimator_.inertia_, cv=2).fit(X)
    assert search.best_params_["k"] == 3 and set(search.cv_results_["param_estimator__n_init"]) == {1, 2}


def test_outliers_follow_scikit_learn_conventions():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(200, 2)), [[8.0, 8.0]]])
    detector = make_detector("gmm", {"n_components": 1}, threshold="mad", random_state=0)
    labels = detector.fit_predict(X)
    assert labels[-1] == -1 and (labels[:-1] == 1).mean() > 0.95
    assert detector.score_samples(X[-1:])[0] < detector.score_samples(X[:1])[0]  # higher = more normal
    assert (detector.decision_function(X) < 0).tolist() == (labels == -1).tolist()
    assert isinstance(detector, AnomalyDetector)


def test_lof_scores_its_own_rows_without_counting_each_row_as_its_neighbour():
    from sklearn.neighbors import LocalOutlierFactor

    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(100, 2)), [[6.0, 6.0]]])
    detector = make_detector("lof", {"n_neighbors": 10}, threshold="mad").fit(X)
    reference = -LocalOutlierFactor(n_neighbors=10).fit(X).negative_outlier_factor_
    np.testing.assert_allclose(detector.scores_, reference)


def test_nearest_cluster_assigner_labels_new_rows():
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    assigner = NearestClusterAssigner(radius=1.0).fit(X, [0, 0, 1, 1])
    assert assigner.predict([[0.05], [5.2], [20.0]]).tolist() == [0, 1, -1]
