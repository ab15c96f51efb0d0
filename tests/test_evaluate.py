import numpy as np
import pandas as pd
import pytest

from atomatlas.evaluate import cluster_accuracy, contingency, evaluate_clusters, purity, transform_labels


def test_cluster_accuracy_uses_the_best_one_to_one_matching():
    truth = np.array(["a", "a", "a", "b", "b", "c", "c", "c"])
    clusters = np.array([2, 2, 0, 1, 1, 0, 0, 0])
    # best matching: 2->a (2 rows), 1->b (2), 0->c (3) = 7 of 8
    assert cluster_accuracy(truth, clusters) == pytest.approx(7 / 8)
    assert purity(truth, clusters) == pytest.approx(7 / 8)


def test_extra_clusters_and_noise_count_as_wrong():
    truth = np.array(["a", "a", "b", "b"])
    assert cluster_accuracy(truth, np.array([0, 1, 2, 3])) == pytest.approx(0.5)
    assert cluster_accuracy(truth, np.array([0, -1, 1, 1])) == pytest.approx(0.75)
    assert purity(truth, np.array([0, 1, 2, 3])) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_scores_are_invariant_to_permuting_cluster_ids(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=200).astype(str)
    clusters = rng.integers(0, 5, size=200)
    permutation = rng.permutation(5)
    before = evaluate_clusters(pd.Series(truth), clusters)
    after = evaluate_clusters(pd.Series(truth), permutation[clusters])
    assert before == pytest.approx(after)


def test_unlabelled_rows_are_skipped():
    truth = pd.Series(["a", None, "b", np.nan, "b"])
    scores = evaluate_clusters(truth, np.array([0, 5, 1, 6, 1]))
    assert scores["n_labelled"] == 3 and scores["adjusted_rand_index"] == pytest.approx(1.0)


def test_contingency_counts():
    table = contingency(["x", "x", "y"], [1, 0, 0])
    assert table.loc["x"].tolist() == [1, 1] and table.loc["y"].tolist() == [1, 0]


def test_floor_transform_folds_nnatom_codes():
    folded = transform_labels(pd.Series([2.0, 2.5, 3.0, 3.5, 4.0, np.nan]), "floor")
    assert folded.iloc[:5].tolist() == [2, 2, 3, 3, 4] and pd.isna(folded.iloc[5])
