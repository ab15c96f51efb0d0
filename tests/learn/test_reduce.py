import numpy as np
import pytest

from atomatlas.errors import AtlasError
from atomatlas.learn.reduce import REDUCERS, make_reducer

FAST = {"pca": {}, "kernel_pca": {"kernel": "poly"}, "tsne": {"perplexity": 10.0, "n_iter": 100},
        "umap": {"n_neighbors": 10}, "mds": {"n_init": 1, "max_iter": 100}}


def test_every_reducer_is_tested():
    assert set(FAST) == set(REDUCERS.names())


@pytest.mark.parametrize("method", sorted(FAST))
def test_reducer_maps_rows_and_new_rows(blobs, method):
    X, _ = blobs
    reducer = make_reducer(method, FAST[method], random_state=0)
    embedding = reducer.fit_transform(X)
    assert embedding.shape == (len(X), 2) and np.isfinite(embedding).all()
    placed = reducer.transform(X[:5] + 1e-3)
    assert placed.shape == (5, 2) and np.isfinite(placed).all()
    # a new row next to a training row lands next to it on the map (within 1% of the map's extent; measured
    # 0.01-0.1%), not just somewhere finite
    spread = np.ptp(embedding, axis=0).max()
    assert np.linalg.norm(placed - embedding[:5], axis=1).max() < 0.01 * spread
    farther = reducer.transform(X[:5] + 0.5)
    assert np.linalg.norm(farther - embedding[:5], axis=1).mean() > np.linalg.norm(placed - embedding[:5], axis=1).mean()
    again = make_reducer(method, FAST[method], random_state=0).fit_transform(X)
    assert np.allclose(embedding, again)  # deterministic for a seed


def test_neighbour_embeddings_place_training_rows_where_they_were(blobs):
    X, _ = blobs
    reducer = make_reducer("mds", FAST["mds"], random_state=0).fit(X)
    assert np.allclose(reducer.transform(X), reducer.embedding_)


def test_pca_explained_variance_sums_to_one_with_all_components(blobs):
    X, _ = blobs
    pca = make_reducer("pca", {"n_components": 4}).fit(X)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0)
    assert np.all(np.diff(pca.explained_variance_ratio_) <= 0)


@pytest.mark.parametrize("kernel", ["rbf", "poly", "cosine"])
def test_kernel_pca_kernels(blobs, kernel):
    X, _ = blobs
    assert make_reducer("kernel_pca", {"kernel": kernel}).fit_transform(X).shape == (90, 2)


def test_rbf_kernel_pca_unrolls_concentric_circles():
    """The textbook geometry: two rings no line separates become linearly separable (0.995 here; 0.5 raw or PCA)."""
    from sklearn.datasets import make_circles
    from sklearn.linear_model import LogisticRegression

    X, y = make_circles(200, factor=0.3, noise=0.05, random_state=0)
    unrolled = make_reducer("kernel_pca", {"kernel": "rbf", "gamma": 10.0}).fit_transform(X)
    flat = make_reducer("pca", {}).fit_transform(X)
    assert LogisticRegression().fit(unrolled, y).score(unrolled, y) >= 0.97
    assert LogisticRegression().fit(flat, y).score(flat, y) <= 0.6


def test_metric_mds_recovers_a_rotated_grid():
    """A flat 6 x 6 grid turned in 3-D: metric MDS to 2-D keeps every pairwise distance (to 0.05 of a spacing)."""
    from scipy.spatial.distance import pdist

    grid = np.array([[i, j] for i in range(6) for j in range(6)], dtype=float)
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    points = np.c_[grid, np.zeros(len(grid))] @ rotation.T
    reducer = make_reducer("mds", {"n_init": 1, "max_iter": 300}, random_state=0).fit(points)
    assert np.abs(pdist(reducer.embedding_) - pdist(grid)).max() < 0.05


def test_non_metric_mds(blobs):
    X, y = blobs
    reducer = make_reducer("mds", {"metric": False, "n_init": 1, "max_iter": 100}, random_state=0).fit(X)
    assert reducer.embedding_.shape == (90, 2) and np.isfinite(reducer.stress_)
    from sklearn.metrics import silhouette_score

    assert silhouette_score(reducer.embedding_, y) > 0.5  # the three blobs stay apart on the map


def test_tsne_perplexity_too_large(blobs):
    X, _ = blobs
    with pytest.raises(AtlasError, match=r"perplexity 50 is too large for 90 rows \(it must stay below rows / 3 = 30\)"):
        make_reducer("tsne", {"perplexity": 50.0}).fit(X)
