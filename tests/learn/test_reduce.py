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


def test_non_metric_mds(blobs):
    X, _ = blobs
    reducer = make_reducer("mds", {"metric": False, "n_init": 1, "max_iter": 100}, random_state=0).fit(X)
    assert reducer.embedding_.shape == (90, 2) and np.isfinite(reducer.stress_)


def test_tsne_perplexity_too_large(blobs):
    X, _ = blobs
    with pytest.raises(AtlasError, match=r"perplexity 50 is too large for 90 rows \(it must stay below rows / 3 = 30\)"):
        make_reducer("tsne", {"perplexity": 50.0}).fit(X)
