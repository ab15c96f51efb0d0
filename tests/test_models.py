import json

import numpy as np
import pytest
import skops.io

from atomatlas.errors import AtlasError
from atomatlas.io.models import META_FILE, MODEL_FILE, load_model, save_model
from atomatlas.learn.cluster import AtlasCluster


class NotTrusted:
    """A type outside scikit-learn, NumPy, SciPy and atomatlas: must not be loaded."""

    def __init__(self):
        self.payload = [1, 2, 3]


def test_round_trip_predicts_the_same(tmp_path, blobs):
    X, _ = blobs
    model = AtlasCluster("nested", random_state=0).fit(X)
    save_model(tmp_path, {"clusterer": model}, {"kind": "cluster"})
    loaded, meta = load_model(tmp_path)
    assert meta["kind"] == "cluster" and meta["format_version"] == 1
    assert np.array_equal(loaded["clusterer"].predict(X), model.labels_)


def test_incompatible_format_version_is_refused(tmp_path, blobs):
    X, _ = blobs
    save_model(tmp_path, {"clusterer": AtlasCluster("kmeans", k=3).fit(X)}, {"kind": "cluster"})
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["format_version"] = 99
    meta["atomatlas_version"] = "9.0.0"
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(AtlasError, match=r"saved by atomatlas 9.0.0 in model format v99.*reads v1 only; rerun the fit"):
        load_model(tmp_path)


def test_untrusted_types_are_refused(tmp_path):
    skops.io.dump({"x": NotTrusted()}, tmp_path / MODEL_FILE)
    (tmp_path / META_FILE).write_text(json.dumps({"format": "atomatlas-model", "format_version": 1}))
    with pytest.raises(AtlasError, match=r"refusing to load object type\(s\) \['(tests\.)?test_models\.NotTrusted'\]"):
        load_model(tmp_path)


def test_not_a_run_folder(tmp_path):
    with pytest.raises(AtlasError, match=r"no saved model"):
        load_model(tmp_path)
    (tmp_path / META_FILE).write_text("{")
    (tmp_path / MODEL_FILE).write_text("")
    with pytest.raises(AtlasError, match=r"not valid JSON"):
        load_model(tmp_path)


def test_functions_are_never_trusted():
    from atomatlas.io.models import _is_trusted

    assert _is_trusted("sklearn.cluster._kmeans.KMeans")
    assert _is_trusted("atomatlas.learn.cluster.AtlasCluster")
    assert not _is_trusted("numpy.load")  # a function, even from a trusted library
    assert not _is_trusted("builtins.eval")
    assert not _is_trusted("atomatlas.pipeline.run_config")
