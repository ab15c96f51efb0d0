"""Label few, label many: the propagation core and seed 004's digits sequence."""

import numpy as np
import pandas as pd
import pytest

from atomatlas.errors import AtlasError
from atomatlas.learn.propagation import ClusterPropagation, least_certain, seed_classifier, spread


def test_representatives_propagate_to_whole_clusters(blobs):
    X, y = blobs
    model = ClusterPropagation(3, random_state=0).fit(X)
    known = {int(r): y[r] for r in model.representatives_}
    propagated = model.propagate(known)
    assert all(v is not None for v in propagated)
    assert np.array_equal(propagated.astype(int), y)
    # each representative is the row closest to its own centroid
    for cluster, row in enumerate(model.representatives_):
        assert model.labels_[row] == cluster
        assert model.distance_[row] == model.distance_[model.labels_ == cluster].min()


def test_partial_propagation_keeps_the_closest_fraction(blobs):
    X, y = blobs
    model = ClusterPropagation(3, fraction=0.2, random_state=0).fit(X)
    known = {int(r): y[r] for r in model.representatives_}
    propagated = model.propagate(known)
    labelled = np.array([v is not None for v in propagated])
    assert 0.18 <= labelled.mean() <= 0.25
    for cluster in range(3):  # in each cluster, every labelled row is closer than every unlabelled one
        rows = model.labels_ == cluster
        assert model.distance_[rows & labelled].max() < model.distance_[rows & ~labelled].min()


def test_a_cluster_without_its_representative_takes_its_labelled_rows_majority(blobs):
    X, y = blobs
    model = ClusterPropagation(3, random_state=0).fit(X)
    rows = np.flatnonzero(model.labels_ == 0)[:3]
    rep = int(model.representatives_[0])
    known = {int(r): "odd" if i == 0 else "major" for i, r in enumerate(r for r in rows if r != rep)}
    known.update({int(model.representatives_[c]): f"c{c}" for c in (1, 2)})
    propagated = model.propagate(known)
    others = np.flatnonzero((model.labels_ == 0) & ~np.isin(np.arange(len(X)), list(known)))
    assert len(others) > 0 and (propagated[others] == "major").all()  # the cluster's rows take the majority label
    assert propagated[rep] == "major"
    assert [propagated[r] for r in known] == list(known.values())  # and the expert's rows keep their own


def test_unlabelled_clusters_stay_unlabelled(blobs):
    X, _ = blobs
    model = ClusterPropagation(3, random_state=0).fit(X)
    propagated = model.propagate({int(model.representatives_[0]): "a"})
    assert (propagated[model.labels_ == 0] == "a").all()
    assert all(v is None for v in propagated[model.labels_ != 0])


def test_budget_larger_than_the_rows_is_refused(blobs):
    X, _ = blobs
    with pytest.raises(AtlasError, match=r"budget \(91\) must be between 1 and the number of unlabelled rows \(90\)"):
        ClusterPropagation(91).fit(X)
    with pytest.raises(AtlasError, match=r"fraction must be in \(0, 1\]"):
        ClusterPropagation(3, fraction=0).fit(X)


def test_spreading_labels_every_row(blobs):
    X, y = blobs
    known = {int(np.flatnonzero(y == c)[0]): str(c) for c in range(3)}
    assert np.array_equal(spread(X, known).astype(int), y)


def test_least_certain_picks_one_row_per_cluster():
    proba = np.array([[0.5, 0.5], [0.55, 0.45], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    clusters = np.array([0, 0, 1, 1, 2])
    exclude = np.array([False, False, False, False, True])
    assert least_certain(proba, clusters, exclude, 5).tolist() == [0, 3]


def _digits_sequence(kmeans_seed: int) -> dict:
    """Seed 004's sequence on scikit-learn's digits with one KMeans seed (split as the seed: 42)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42)
    model = ClusterPropagation(50, random_state=kmeans_seed).fit(X_train)
    reps = model.representatives_
    known = {int(r): y_train[r] for r in reps}

    def score(rows, labels):
        return seed_classifier().fit(X_train[rows], labels).score(X_test, y_test)

    out = {"first_50": score(np.arange(50), y_train[:50]), "representatives": score(reps, y_train[reps])}
    for name, fraction in (("whole_clusters", 1.0), ("partial_20", 0.2)):
        propagated = model.propagate(known, fraction)
        rows = np.flatnonzero([v is not None for v in propagated])
        out[name] = score(rows, propagated[rows].astype(int))
        if name == "partial_20":
            out["propagated_correct"] = float((propagated[rows].astype(int) == y_train[rows]).mean())
    return out


def test_digits_sequence_reproduces_seed_004():
    runs = pd.DataFrame([_digits_sequence(seed) for seed in range(5)])
    mean = runs.mean()
    # the seed (one KMeans run): 83.3% -> 92.2% -> 93.3% -> 94.0%, propagated labels 99.0% correct.
    # Ours, averaged over five KMeans seeds (docs/seed-004.md prints the same numbers):
    assert mean["first_50"] == pytest.approx(0.8333, abs=0.0005)  # same rows, same model: the seed's exactly
    assert mean["representatives"] == pytest.approx(0.9173, abs=0.005)
    assert mean["whole_clusters"] == pytest.approx(0.9213, abs=0.005)
    assert mean["partial_20"] == pytest.approx(0.9191, abs=0.005)  # the seed's 94.0% is the top of its spread
    assert runs["partial_20"].max() == pytest.approx(0.9311, abs=0.005)
    assert mean["propagated_correct"] == pytest.approx(0.9799, abs=0.005)
    assert mean["first_50"] + 0.08 < min(mean["representatives"], mean["whole_clusters"], mean["partial_20"])
