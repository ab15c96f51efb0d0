"""Saved models: round trips, and files edited to run code or to break predictions are refused."""

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io
from sklearn.datasets import make_blobs
from sklearn.pipeline import Pipeline

from atomatlas.errors import AtlasError
from atomatlas.io.models import (ALLOWED_TYPES, META_FILE, MODEL_FILE, MODEL_FORMAT_VERSION, audit_types, load_model,
                                 save_model)
from atomatlas.learn.cluster import AtlasCluster, make_clusterer
from atomatlas.learn.scale import make_scaler


class NotTrusted:
    """A type outside the allow-list: must not be loaded."""

    def __init__(self):
        self.payload = [1, 2, 3]


def _cluster_folder(tmp_path, X):
    folder = tmp_path / "run"
    folder.mkdir()
    save_model(folder, {"scaler": make_scaler("standard").fit(X), "reducer": None,
                        "clusterer": AtlasCluster("kmeans", k=3, random_state=0).fit(X), "anomaly": None},
               {"kind": "cluster", "feature_names": [f"f{i}" for i in range(X.shape[1])], "cluster_on": "scaled"})
    return folder


def _edit_schema(folder, edit):
    """Rewrite model.skops with ``edit(schema)`` applied, as an attacker with write access could."""
    path = folder / MODEL_FILE
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema)
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    # a careful attacker records the new file's checksum too: the type audit, not the checksum, stops them
    from atomatlas.io.models import FILE_DIGEST, file_digest

    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps({**meta, FILE_DIGEST: file_digest(path)}))


def _json(value):
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": json.dumps(value),
            "is_json": True}


def _args(*values):
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
            "content": [_json(v) for v in values]}


def test_round_trip_predicts_the_same(tmp_path, blobs):
    X, _ = blobs
    model = AtlasCluster("nested", random_state=0).fit(X)
    save_model(tmp_path, {"scaler": make_scaler("none").fit(X), "clusterer": model},
               {"kind": "cluster", "feature_names": ["a", "b", "c", "d"]})
    loaded, meta = load_model(tmp_path)
    assert meta["kind"] == "cluster" and meta["format_version"] == MODEL_FORMAT_VERSION
    assert np.array_equal(loaded["clusterer"].predict(X), model.labels_)


def _every_fitted_model():
    """One fitted object per registered method, as runs save them."""
    from atomatlas.learn.outliers import DETECTORS, make_detector
    from atomatlas.learn.cluster import CLUSTERERS
    from atomatlas.learn.propagation import seed_classifier
    from atomatlas.learn.reduce import REDUCERS, make_reducer
    from atomatlas.learn.scale import SCALERS
    from atomatlas.learn.supervised import CLASSIFIERS, make_classifier

    X, y = make_blobs(150, centers=3, n_features=4, cluster_std=0.4, random_state=0)
    labels = np.array(["a", "b", "c"])[y]
    fitted = [make_scaler(name).fit(X) for name in SCALERS.names()]
    fitted += [make_reducer(name, {"perplexity": 10.0} if name == "tsne" else {}, random_state=0).fit(X)
               for name in REDUCERS.names()]
    for name in CLUSTERERS.names():
        k = None if name in ("dbscan", "hdbscan") else ("auto" if name in ("nested", "bgmm") else 3)
        fitted.append(AtlasCluster(name, k=k, random_state=0).fit(X))
    for metric in ("manhattan", "chebyshev", "cosine"):
        fitted.append(make_clusterer("dbscan", {"metric": metric, "eps": 0.5}, k=None).fit(X))
        fitted.append(make_clusterer("agglomerative", {"linkage": "average", "metric": "manhattan"}, k=3).fit(X))
    fitted.append(AtlasCluster("kmeans", k="auto", random_state=0).fit(X))
    for name in CLASSIFIERS.names():
        params = {"k": [5, 10]} if name == "kmeans_logistic" else ({"epochs": 3} if name == "torch_mlp" else {})
        for target in (labels, y):
            fitted.append(Pipeline([("scale", make_scaler("standard")),
                                    ("model", make_classifier(name, params, random_state=0))]).fit(X, target))
    fitted.append(Pipeline([("scale", make_scaler("standard")), ("model", seed_classifier(0))]).fit(X, labels))
    fitted += [make_detector(name, random_state=0).fit(X) for name in DETECTORS.names()]
    return fitted


def test_the_allow_list_covers_every_model_atomatlas_saves(tmp_path):
    names = set()
    for number, model in enumerate(_every_fitted_model()):
        folder = tmp_path / str(number)
        folder.mkdir()
        skops.io.dump({"x": model}, folder / MODEL_FILE)
        names |= set(audit_types(folder / MODEL_FILE))  # raises if a type is missing from the list
    assert "sklearn.cluster._kmeans.KMeans" in names and "atomatlas.learn.cluster.AtlasCluster" in names
    assert names <= ALLOWED_TYPES


def test_incompatible_format_version_is_refused(tmp_path, blobs):
    folder = _cluster_folder(tmp_path, blobs[0])
    meta = json.loads((folder / META_FILE).read_text())
    meta["format_version"] = 99
    meta["atomatlas_version"] = "9.0.0"
    (folder / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(AtlasError, match=rf"saved by atomatlas 9.0.0 in atomatlas-model format v99.*reads v{MODEL_FORMAT_VERSION} only; rerun the fit"):
        load_model(folder)


def test_untrusted_types_are_refused(tmp_path):
    skops.io.dump({"x": NotTrusted()}, tmp_path / MODEL_FILE)
    from atomatlas.io.models import FILE_DIGEST, file_digest

    (tmp_path / META_FILE).write_text(json.dumps({"format": "atomatlas-model", "format_version": MODEL_FORMAT_VERSION,
                                                  "kind": "cluster", "feature_names": ["a"],
                                                  FILE_DIGEST: file_digest(tmp_path / MODEL_FILE)}))
    with pytest.raises(AtlasError, match=r"refusing to load object type\(s\) \['(tests\.)?test_models\.NotTrusted'\]"):
        load_model(tmp_path)


POPEN_THROUGH_NUMPY = {"__class__": "Popen", "__module__": "numpy.distutils.fcompiler.gnu",
                       "__loader__": "ConstructorFromReduceNode"}

CRAFTED = {
    # subprocess.Popen reached as an attribute of a numpy module, called with arguments from the file
    "popen-reduce": {**POPEN_THROUGH_NUMPY, "content": {
        "__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
        "content": [{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                     "content": [_json("touch"), _json("{marker}")]}]}},
    # the same class through the loaders a trusted name may use
    "popen-object": {**POPEN_THROUGH_NUMPY, "__loader__": "ObjectNode"},
    "popen-array": {**POPEN_THROUGH_NUMPY, "__loader__": "NdArrayNode", "type": "json", "content": [_json("touch")],
                    "shape": _args(1)},
    "os-system": {"__class__": "system", "__module__": "os", "__loader__": "FunctionNode"},
    "posix-system-as-type": {"__class__": "system", "__module__": "posix", "__loader__": "TypeNode"},
    "eval": {"__class__": "eval", "__module__": "builtins", "__loader__": "FunctionNode"},
    "eval-as-type": {"__class__": "eval", "__module__": "builtins", "__loader__": "TypeNode"},
    "partial": {"__class__": "partial", "__module__": "functools", "__loader__": "PartialNode", "content": {
        "func": {"__class__": "system", "__module__": "os", "__loader__": "FunctionNode"},
        "args": _args("touch {marker}"), "kwds": {"__class__": "dict", "__module__": "builtins",
                                                  "__loader__": "DictNode", "content": {}},
        "namespace": {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": {}}}},
    "attrgetter": {"__class__": "attrgetter", "__module__": "operator", "__loader__": "OperatorFuncNode",
                   "attrs": _args("system")},
    "trusted-name-wrong-loader": {"__class__": "KMeans", "__module__": "sklearn.cluster._kmeans",
                                  "__loader__": "MethodNode", "content": {"func": "fit", "obj": _json(1)}},
    "malformed-node": {"__class__": ["list"], "__module__": "builtins", "__loader__": "ListNode", "content": []},
}


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_model_files_never_run_code(tmp_path, blobs, name):
    folder = _cluster_folder(tmp_path, blobs[0])
    marker = tmp_path / "pwned"
    node = json.loads(json.dumps(CRAFTED[name]).replace("{marker}", str(marker)))
    _edit_schema(folder, lambda schema: schema["content"].__setitem__("scaler", node))
    sys.modules.pop("numpy.distutils.fcompiler.gnu", None)
    with pytest.raises(AtlasError, match=r"model.skops: refusing to load object type\(s\)"):
        load_model(folder)
    assert not marker.exists()
    assert "numpy.distutils.fcompiler.gnu" not in sys.modules  # refused before anything was imported


def test_a_listed_name_must_be_defined_where_it_is_named():
    from atomatlas.io.models import _defined_where_named

    assert _defined_where_named("sklearn.cluster._kmeans.KMeans")
    assert _defined_where_named("numpy.ma.MaskedArray")
    assert not _defined_where_named("sklearn.cluster.KMeans")  # a re-export, not the defining module
    assert not _defined_where_named("numpy.load")  # a function


def test_not_a_run_folder(tmp_path):
    with pytest.raises(AtlasError, match=r"no saved model"):
        load_model(tmp_path)
    (tmp_path / META_FILE).write_text("{")
    (tmp_path / MODEL_FILE).write_text("")
    with pytest.raises(AtlasError, match=r"not valid JSON"):
        load_model(tmp_path)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.pop("kind"), r"kind None is not one of \['cluster', 'anomaly', 'classifier'\]"),
    (lambda m: m.update(kind="classifier"), r"model.json: it was edited after the fit"),
    (lambda m: m.update(kind="ghost"), r"kind 'ghost' is not one of"),
    (lambda m: m.update(feature_names="f0"), r"feature_names must be a non-empty list"),
    (lambda m: m.update(feature_names=["f0", "f1"]), r"model.json: it was edited after the fit"),
    (lambda m: m.update(feature_names=m["feature_names"][::-1]), r"model.json: it was edited after the fit \(its "
     r"content is not what model.skops records: feature columns, their order"),
    (lambda m: m.update(cluster_on="sideways"), r"cluster_on 'sideways' is not"),
    (lambda m: m.update(structures={"descriptor": "soap"}), r"the structures block .* is incomplete"),
])
def test_damaged_model_json_is_refused(tmp_path, blobs, edit, message):
    folder = _cluster_folder(tmp_path, blobs[0])
    meta = json.loads((folder / META_FILE).read_text())
    edit(meta)
    (folder / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(AtlasError, match=message):
        load_model(folder)


def test_a_step_of_the_wrong_type_is_refused(tmp_path, blobs):
    folder = _cluster_folder(tmp_path, blobs[0])
    _edit_schema(folder, lambda schema: schema["content"].__setitem__("scaler", _json([1, 2])))
    with pytest.raises(AtlasError, match=r"the scaler step is list, not a fitted BaseEstimator"):
        load_model(folder)


def test_a_truncated_model_file_is_refused(tmp_path, blobs):
    folder = _cluster_folder(tmp_path, blobs[0])
    data = (folder / MODEL_FILE).read_bytes()
    (folder / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(AtlasError, match=r"model.skops: it is not the model.skops that model.json was saved with"):
        load_model(folder)
    from atomatlas.io.models import FILE_DIGEST, file_digest

    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps({**meta, FILE_DIGEST: file_digest(folder / MODEL_FILE)}))
    with pytest.raises(AtlasError, match=r"not a readable skops file"):
        load_model(folder)


def test_model_files_of_two_runs_cannot_be_mixed(cli, tmp_path):
    """model.skops of a run clustering scaled rows copied into one clustering reduced rows: 'X has 2 features, but
    KMeans is expecting 26' (exit 1) before; now refused in one line, either way round."""
    import shutil

    fe = "dataset:Fe2_descriptor.csv"
    assert cli("cluster", fe, "--k", "3", "--out", tmp_path / "scaled")[0] == 0
    assert cli("cluster", fe, "--k", "3", "--reduce", "pca", "--out", tmp_path / "reduced")[0] == 0
    for source, target in (("scaled", "reduced"), ("reduced", "scaled")):
        shutil.copytree(tmp_path / target, tmp_path / f"mixed-{target}")
        shutil.copy(tmp_path / source / MODEL_FILE, tmp_path / f"mixed-{target}" / MODEL_FILE)
        status, _, err = cli("predict", tmp_path / f"mixed-{target}", fe, "--out", tmp_path / f"new-{target}")
        assert status == 2 and "it is not the model.skops that model.json was saved with" in err, err
        assert len(err.strip().splitlines()) == 1


def test_run_folder_doc_shows_the_current_format_version():
    doc = (Path(__file__).parents[1] / "docs" / "run-folder.md").read_text()
    assert f'"format_version": {MODEL_FORMAT_VERSION},' in doc
