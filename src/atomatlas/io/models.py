"""Saving and loading fitted models without unpickling, and without trusting the file.

A run folder holds ``model.skops`` (the fitted scikit-learn objects, written by
skops.io, which rebuilds objects from a JSON schema instead of executing pickle code)
and ``model.json`` (format name and version, package versions, feature columns and how
the steps connect).

A model file may have been edited by someone else, so loading audits it before
anything is imported or constructed:

* the archive's ``schema.json`` is read and walked by us (not by skops); every node must
  use one of the loaders in :data:`ALLOWED_LOADERS` (no functions, partials, methods,
  operator objects or reduce-style constructor calls) and name one of the fully
  qualified types in :data:`ALLOWED_TYPES`, an explicit list: where a type is *found*
  never matters (a module that happens to import ``subprocess.Popen`` does not make
  ``Popen`` trusted);
* each listed type, once imported, must be a class whose own ``__module__`` and
  ``__qualname__`` give exactly the listed name;
* ``model.json`` must name a known ``kind`` and give consistent feature columns; the
  loaded objects must have the types their role allows (a scaler is a scaler);
* the two files are bound to each other: ``model.json`` records the SHA-256 of
  ``model.skops`` (a model.skops copied from another run is refused before it is read), and
  ``model.skops`` holds the SHA-256 of everything else in ``model.json`` (an edited
  model.json, reversed feature columns say, is refused: its labels would be silently wrong).

Anything else is refused in one line; nothing is half-loaded.
"""

from __future__ import annotations

import importlib
import json
import sys
import zipfile
from pathlib import Path

from atomatlas import __version__
from atomatlas.errors import AtlasError

MODEL_FORMAT = "atomatlas-model"
MODEL_FORMAT_VERSION = 3  # 2: estimators wrap their method, outliers follow OutlierMixin; 3: the files bound
META_DIGEST = "model_json_sha256"  # the key of model.skops's dict that holds model.json's digest
FILE_DIGEST = "model_skops_sha256"  # the key of model.json that holds model.skops's checksum
MODEL_FILE = "model.skops"
META_FILE = "model.json"
MAX_SCHEMA_BYTES = 64 * 1024 * 1024  # a schema is metadata: far below this for any real model
KINDS = ("cluster", "anomaly", "classifier")

# skops node loaders that only rebuild data and plain objects (state set on a bare instance)
ALLOWED_LOADERS = frozenset({"DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode", "MaskedArrayNode",
                             "ObjectNode", "RandomStateNode", "TreeNode", "TypeNode"})

# Every type our saved models contain, by fully qualified name (module of definition + class).
# tests/test_models.py saves every registered method and checks the list is complete.
ALLOWED_TYPES = frozenset({
    # containers and scalars
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "builtins.bool", "builtins.NoneType",
    "numpy.ndarray", "numpy.ma.MaskedArray", "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32",
    "numpy.bool", "numpy.str_", "numpy.random.mtrand.RandomState",
    # scaling, reduction
    "sklearn.preprocessing._data.StandardScaler", "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.preprocessing._data.RobustScaler", "sklearn.preprocessing._data.KernelCenterer",
    "sklearn.preprocessing._function_transformer.FunctionTransformer", "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.decomposition._pca.PCA", "sklearn.decomposition._kernel_pca.KernelPCA",
    # clustering and mixtures
    "sklearn.cluster._kmeans.KMeans", "sklearn.cluster._kmeans.MiniBatchKMeans", "sklearn.cluster._dbscan.DBSCAN",
    "sklearn.cluster._hdbscan.hdbscan.HDBSCAN", "sklearn.cluster._spectral.SpectralClustering",
    "sklearn.cluster._agglomerative.AgglomerativeClustering",
    "sklearn.mixture._gaussian_mixture.GaussianMixture", "sklearn.mixture._bayesian_mixture.BayesianGaussianMixture",
    # neighbours (assignment of new rows, placement in embeddings, LOF)
    "sklearn.neighbors._unsupervised.NearestNeighbors", "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._lof.LocalOutlierFactor",
    "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64", "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    # anomaly detection
    "sklearn.ensemble._iforest.IsolationForest", "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
    # classifiers
    "sklearn.pipeline.Pipeline", "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._logistic.LogisticRegressionCV", "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.model_selection._search.GridSearchCV", "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.metrics._scorer._PassthroughScorer",
    # atomatlas estimators
    "atomatlas.learn.cluster.AtlasCluster", "atomatlas.learn.nested.NestedClusterer",
    "atomatlas.learn.merged_mixture.MergedGaussianMixture",
    "atomatlas.learn.assign.NearestClusterAssigner", "atomatlas.learn.reduce.TSNE", "atomatlas.learn.reduce.UMAP",
    "atomatlas.learn.reduce.MDS", "atomatlas.learn.nn.mlp.TorchMLPClassifier",
    "atomatlas.learn.outliers.AnomalyDetector",
})


def skops_io():
    """``skops.io``, imported without its walk over every scikit-learn estimator.

    On import, skops lists all of scikit-learn's estimators as its default trusted types,
    which imports every scikit-learn module and, through array_api_compat, torch: 3-8 s per
    process. atomatlas never uses those defaults (every load passes the types the audit
    allowed, :func:`audit_types`), so the walk is given nothing to list.
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    walk = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = walk
    return skops.io


def save_model(folder: str | Path, model: dict, meta: dict) -> None:
    """Write ``model`` (a dict of fitted estimators) and its metadata into ``folder``."""
    import sklearn

    skops = skops_io()

    folder = Path(folder)
    header = json.loads(json.dumps({"format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION,
                                    "atomatlas_version": __version__, "scikit_learn_version": sklearn.__version__,
                                    **meta}))  # as it will read back
    skops.dump({**model, META_DIGEST: meta_digest(header)}, folder / MODEL_FILE)
    header[FILE_DIGEST] = file_digest(folder / MODEL_FILE)
    (folder / META_FILE).write_text(json.dumps(header, indent=2) + "\n")


def meta_digest(meta: dict) -> str:
    """SHA-256 of model.json's content other than the checksum of model.skops (canonical JSON)."""
    import hashlib

    rest = {k: v for k, v in meta.items() if k != FILE_DIGEST}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str:
    import hashlib

    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _damaged(path, what: str) -> AtlasError:
    return AtlasError(f"{path}: {what}; the run folder is damaged or was edited: rerun the fit.")


def read_meta(folder: str | Path) -> dict:
    """The checked ``model.json`` of a run folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AtlasError(f"{folder}: not a folder; give the --out folder of an earlier cluster or fit-classifier run.")
    meta_path = folder / META_FILE
    if not meta_path.exists() or not (folder / MODEL_FILE).exists():
        raise AtlasError(f"{folder}: no saved model ({META_FILE} and {MODEL_FILE}); give the --out folder of "
                         "a cluster, fit-classifier or run command (reduce-only runs save no model).")
    from atomatlas.untrusted import check_regular, model_meta

    check_regular(folder / MODEL_FILE, "the run folder is damaged or was edited: rerun the fit.")
    meta = model_meta(meta_path, MODEL_FORMAT, MODEL_FORMAT_VERSION, "rerun the fit with this atomatlas.")
    check_meta(meta, meta_path)
    return meta


def check_meta(meta: dict, where) -> None:
    """Refuse a model.json whose fields a prediction would trip over."""
    kind = meta.get("kind")
    if kind not in KINDS:
        raise _damaged(where, f"kind {kind!r} is not one of {list(KINDS)}")
    features = meta.get("feature_names")
    if (not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features)
            or len(set(features)) != len(features)):
        raise _damaged(where, "feature_names must be a non-empty list of distinct column names")
    if meta.get("cluster_on") not in (None, "reduced", "scaled"):
        raise _damaged(where, f"cluster_on {meta.get('cluster_on')!r} is not 'reduced', 'scaled' or null")
    for key in ("id_columns", "classes", "embedding_columns"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _damaged(where, f"{key} must be a list of names")
    label = meta.get("label_column")
    if label is not None and not isinstance(label, str):
        raise _damaged(where, "label_column must be a column name or null")
    structures = meta.get("structures")
    if structures is not None:
        ok = (isinstance(structures, dict) and isinstance(structures.get("descriptor"), dict)
              and isinstance(structures["descriptor"].get("params"), dict) and isinstance(structures.get("centers"), dict)
              and isinstance(structures.get("species"), list) and all(isinstance(s, str) for s in structures["species"]))
        if not ok:
            raise _damaged(where, "the structures block (descriptor, centers, species) is incomplete")


def _read_schema(path: Path):
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise _damaged(path, f"schema.json is {info.file_size} bytes")
            return json.loads(archive.read(info))
    except AtlasError:
        raise
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise _damaged(path, f"not a readable skops file ({type(exc).__name__})") from exc


def audit_types(path: str | Path) -> list[str]:
    """Every type named in a skops file, refusing any loader or type not explicitly allowed."""
    path = Path(path)
    found: set[str] = set()
    refused: set[str] = set()

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if "__loader__" in node or "__module__" in node or "__class__" in node:
            loader, module, name = node.get("__loader__"), node.get("__module__"), node.get("__class__")
            if not all(isinstance(v, str) for v in (loader, module, name)):
                refused.add(f"{module}.{name} (malformed node)")
            elif loader not in ALLOWED_LOADERS:
                refused.add(f"{module}.{name} (loaded by {loader})")
            elif f"{module}.{name}" not in ALLOWED_TYPES:
                refused.add(f"{module}.{name}")
            else:
                found.add(f"{module}.{name}")
        for value in node.values():
            walk(value)

    walk(_read_schema(path))
    refused |= {name for name in found if not _defined_where_named(name)}
    if refused:
        raise AtlasError(f"{path}: refusing to load object type(s) {sorted(refused)}; only the scikit-learn, NumPy "
                         "and atomatlas types atomatlas itself saves are loaded (atomatlas.io.models.ALLOWED_TYPES).")
    return sorted(found)


def _defined_where_named(name: str) -> bool:
    """True when ``name`` imports as a class defined in that very module under that name."""
    module_name, _, attribute = name.rpartition(".")
    if module_name == "builtins":
        return True  # builtins are named by their own module; they are in the list by exact name
    try:
        obj = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and obj.__module__ == module_name and obj.__qualname__ == attribute


def _check_roles(model, meta: dict, path) -> None:
    """Each object of the model dict must have a type its role allows."""
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import Pipeline

    from atomatlas.learn.outliers import AnomalyDetector
    from atomatlas.learn.cluster import AtlasCluster

    if not isinstance(model, dict):
        raise _damaged(path, "the saved model is not a dict of fitted steps")
    if meta["kind"] == "classifier":
        roles = {"classifier": (Pipeline, False)}
    else:
        roles = {"scaler": (BaseEstimator, False), "reducer": (BaseEstimator, True),
                 "clusterer": (AtlasCluster, True), "anomaly": (AnomalyDetector, True)}
    for role, (kind, optional) in roles.items():
        value = model.get(role)
        if value is None and optional:
            continue
        if not isinstance(value, kind) or not hasattr(value, "transform" if role in ("scaler", "reducer")
                                                         else "predict"):
            raise _damaged(path, f"the {role} step is {type(value).__name__}, not a fitted {kind.__name__}")
    if meta["kind"] == "cluster" and model.get("clusterer") is None:
        raise _damaged(path, "a cluster model without a clusterer")
    if meta["kind"] == "anomaly" and model.get("anomaly") is None:
        raise _damaged(path, "an anomaly model without a detector")
    first = model["classifier"] if meta["kind"] == "classifier" else model["scaler"]
    n_features = getattr(first, "n_features_in_", None)
    if n_features is not None and n_features != len(meta["feature_names"]):
        raise _damaged(path, f"the model takes {n_features} features but model.json lists "
                             f"{len(meta['feature_names'])}")


def load_model(folder: str | Path) -> tuple[dict, dict]:
    """Load ``(model, meta)`` from a run folder, refusing untrusted, damaged or incompatible content."""
    import sklearn

    folder = Path(folder)
    meta = read_meta(folder)
    path = folder / MODEL_FILE
    if meta.get(FILE_DIGEST) != file_digest(path):
        raise _damaged(path, f"it is not the {MODEL_FILE} that {META_FILE} was saved with (its checksum differs): "
                             "the two files come from different runs, or one was edited")
    types = audit_types(path)  # before skops sees the file: nothing is imported or built from it until it passes
    if meta.get("scikit_learn_version") != sklearn.__version__:
        print(f"atomatlas: note: {folder} was fit with scikit-learn {meta.get('scikit_learn_version')}, "
              f"this is {sklearn.__version__}; predictions may differ slightly.", file=sys.stderr)
    try:
        model = skops_io().load(path, trusted=types)
    except Exception as exc:  # skops raises many types for a damaged archive; the types were checked above
        raise _damaged(path, f"cannot be rebuilt ({type(exc).__name__}: {exc})") from exc
    if not isinstance(model, dict) or model.pop(META_DIGEST, None) != meta_digest(meta):
        raise _damaged(folder / META_FILE, f"it was edited after the fit (its content is not what {MODEL_FILE} "
                                           "records: feature columns, their order or other fields)")
    _check_roles(model, meta, path)
    return model, meta
