import numpy as np
import pytest

from atomatlas.errors import AtlasError
from atomatlas.learn.cluster import CLUSTERERS
from atomatlas.learn.reduce import REDUCERS
from atomatlas.learn.scale import SCALERS


def test_unknown_method_lists_the_choices():
    with pytest.raises(AtlasError, match=r"unknown cluster method 'kmean'; choose one of \['kmeans'"):
        CLUSTERERS["kmean"]


def test_unknown_parameter_lists_the_allowed_ones():
    with pytest.raises(AtlasError, match=r"unknown parameter 'n_inits' for cluster method 'kmeans'; allowed: "
                                         r"algorithm, init, max_iter, n_init"):
        CLUSTERERS["kmeans"].make({"n_inits": 3}, k=2)


@pytest.mark.parametrize("registry, method, params, message", [
    (CLUSTERERS, "kmeans", {"init": "kmeans++"}, r"init='kmeans\+\+' is not allowed; choose one of"),
    (CLUSTERERS, "kmeans", {"n_init": "ten"}, r"n_init='ten' should be an integer"),
    (CLUSTERERS, "kmeans", {"n_init": 0}, r"n_init"),  # range checked by scikit-learn, before fit
    (CLUSTERERS, "gmm", {"covariance_type": "round"}, r"choose one of \['full', 'tied', 'diag', 'spherical'\]"),
    (CLUSTERERS, "agglomerative", {"linkage": "ward", "metric": "cosine"}, r"ward linkage needs metric='euclidean'"),
    (REDUCERS, "kernel_pca", {"kernel": "sigmoid"}, r"choose one of \['rbf', 'poly', 'cosine'\]"),
    (SCALERS, "standard", {"with_mean": "yes"}, r"should be true or false"),
])
def test_bad_parameter_values(registry, method, params, message):
    with pytest.raises(AtlasError, match=message):
        spec = registry[method]
        spec.make(params, k=2) if spec.takes_k else spec.make(params)


def test_density_methods_take_no_k():
    with pytest.raises(AtlasError, match="does not take k"):
        CLUSTERERS["dbscan"].make({}, k=3)


def test_every_method_builds_with_defaults_and_fits(blobs):
    """Each default-built estimator fits the blobs and gives outputs of the right shape."""
    X, _ = blobs
    for registry in (SCALERS, REDUCERS, CLUSTERERS):
        for method in registry:
            if registry is REDUCERS and method.name in ("tsne", "umap"):
                continue  # neighbour embeddings: tested in tests/learn/test_reduce.py (slow to start)
            estimator = method.make({}, k=3) if method.takes_k else method.make({})
            if registry is CLUSTERERS:
                labels = estimator.fit_predict(X)
                assert labels.shape == (len(X),) and len(set(labels) - {-1}) >= 1, method.name
            else:
                out = estimator.fit_transform(X)
                width = X.shape[1] if registry is SCALERS else 2
                assert out.shape == (len(X), width) and np.isfinite(out).all(), method.name
