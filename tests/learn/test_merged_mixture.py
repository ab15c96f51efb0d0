"""gmm_merged: BIC picks the mixture, DEMP merges the components of one non-Gaussian phase."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from atomatlas.errors import AtlasError
from atomatlas.learn.cluster import make_clusterer
from atomatlas.learn.merged_mixture import MergedGaussianMixture, assignment_uncertainty, merge_components


@pytest.fixture(scope="module")
def two_phases():
    """Two heavy-tailed phases (Student t, 3 degrees of freedom: BIC needs several Gaussians for each), far apart."""
    rng = np.random.default_rng(0)
    a = rng.standard_t(3, (500, 2)) * [1, 0.5]
    b = rng.standard_t(3, (500, 2)) * [0.5, 1] + [30, 0]
    return np.vstack([a, b]), np.repeat([0, 1], 500)


def test_components_of_one_phase_are_merged(two_phases):
    X, truth = two_phases
    model = MergedGaussianMixture(random_state=0).fit(X)
    assert model.chosen_k_ > 2  # BIC alone over-counts
    assert model.n_clusters_ == 2 and adjusted_rand_score(truth, model.labels_) == 1.0
    assert sorted(j for group in model.groups_ for j in group) == list(range(model.chosen_k_))
    unmerged = MergedGaussianMixture(merge_above=1.0, random_state=0).fit(X)
    assert unmerged.n_clusters_ == unmerged.chosen_k_ == model.chosen_k_
    given = MergedGaussianMixture(n_clusters=2, random_state=0).fit(X)
    assert given.n_clusters_ == 2 and given.scores_ is None and adjusted_rand_score(truth, given.labels_) == 1.0
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_merging_stops_where_clusters_are_apart():
    tau = np.array([[0.6, 0.4, 0.0], [0.4, 0.6, 0.0], [0.0, 0.0, 1.0], [0.0, 0.01, 0.99]])
    assert merge_components(tau, 0.05) == [[0, 1], [2]]
    assert merge_components(tau, 1.0) == [[0], [1], [2]]


def test_atlas_cluster_reports_bic_and_the_merge(two_phases):
    X, _ = two_phases
    model = make_clusterer("gmm_merged", {}, random_state=0).fit(X)
    assert model.k_ == 2 and model.selected_by_ == "bic" and list(model.scores_["k"]) == list(range(1, 9))
    with pytest.raises(AtlasError, match=r"'merge_above' parameter of MergedGaussianMixture must be a float"):
        make_clusterer("gmm_merged", {"merge_above": 1.5})


def test_assignment_uncertainty_is_zero_at_a_centre_and_one_at_a_tie():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [9.9, 0.0]])
    kmeans = KMeans(2, n_init=1, random_state=0).fit(X)
    middle = np.array([[5.0, 0.0], [kmeans.cluster_centers_[0][0], 0.0]])
    np.testing.assert_allclose(assignment_uncertainty(kmeans, middle), [1.0, 0.0], atol=1e-12)
    rng = np.random.default_rng(1)
    blobs = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(6, 1, (200, 2))])
    mixture = MergedGaussianMixture(n_clusters=2, random_state=0).fit(blobs)
    low, high = 0.0, 6.0  # bisect the segment between the means for the point both posteriors share
    for _ in range(60):
        middle = (low + high) / 2
        p = mixture.predict_proba([[middle, middle]])[0]
        low, high = (middle, high) if p[mixture.predict([[0.0, 0.0]])[0]] > 0.5 else (low, middle)
    far, tie = assignment_uncertainty(mixture, np.array([[-1.0, -1.0], [middle, middle]]))
    assert far < 1e-3 and tie == pytest.approx(1.0, abs=1e-6)
    assert assignment_uncertainty(object(), blobs) is None


def test_k_selection_records_a_merge_only_for_merged_mixtures(two_phases):
    from atomatlas.learn.cluster import AtlasCluster
    from atomatlas.runs.flow import k_selection_record

    merged = make_clusterer("gmm_merged", {}, random_state=0).fit(two_phases[0])
    record = k_selection_record(merged)
    assert record["chosen_k"] == merged.estimator_.chosen_k_ > 2 and record["merged_to"] == 2
    rng = np.random.default_rng(0)  # nested: 2 outer clusters, one split in 2; its k is not a merge
    X = np.vstack([rng.normal([0, 0], 0.3, (100, 2)), rng.normal([30, 0], 0.3, (100, 2)),
                   rng.normal([30, 2], 0.3, (100, 2))])
    nested = AtlasCluster("nested", random_state=0).fit(X)
    record = k_selection_record(nested)
    assert (nested.k_, record["chosen_k"]) == (3, 2) and "merged_to" not in record
