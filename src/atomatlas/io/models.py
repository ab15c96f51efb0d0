"""Saving and loading fitted models without unpickling.

A run folder holds ``model.skops`` (the fitted scikit-learn objects, written by
skops.io, which rebuilds objects from a schema instead of executing pickle code) and
``model.json`` (format name and version, package versions, feature columns and how
the steps connect). Loading refuses:

* a folder without ``model.json`` or with another format;
* a model format version this atomatlas does not read (rerun the fit instead);
* any object type other than classes of scikit-learn, NumPy and SciPy and the
  atomatlas estimators listed in ``ATOMATLAS_TYPES`` (functions are never trusted).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from atomatlas import __version__
from atomatlas.errors import AtlasError

MODEL_FORMAT = "atomatlas-model"
MODEL_FORMAT_VERSION = 1
MODEL_FILE = "model.skops"
META_FILE = "model.json"
# Classes from these libraries may be rebuilt on load; anything else is refused.
TRUSTED_LIBRARIES = ("sklearn.", "numpy.", "scipy.")
ATOMATLAS_TYPES = frozenset({
    "atomatlas.learn.cluster.AtlasCluster",
    "atomatlas.learn.nested.NestedClusterer",
    "atomatlas.learn.assign.NearestClusterAssigner",
    "atomatlas.learn.reduce.TSNE",
    "atomatlas.learn.reduce.UMAP",
    "atomatlas.learn.reduce.MDS",
    "atomatlas.learn.nn.mlp.TorchMLPClassifier",
    "atomatlas.learn.anomaly.AnomalyDetector",
})


def _is_trusted(name: str) -> bool:
    """A listed atomatlas estimator, or a class (never a function) of a trusted library."""
    if name in ATOMATLAS_TYPES:
        return True
    if not name.startswith(TRUSTED_LIBRARIES):
        return False
    import importlib

    module_name, _, attribute = name.rpartition(".")
    try:
        return isinstance(getattr(importlib.import_module(module_name), attribute), type)
    except (ImportError, AttributeError):
        return False


def save_model(folder: str | Path, model: dict, meta: dict) -> None:
    """Write ``model`` (a dict of fitted estimators) and its metadata into ``folder``."""
    import sklearn
    import skops.io

    folder = Path(folder)
    skops.io.dump(model, folder / MODEL_FILE)
    header = {"format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION, "atomatlas_version": __version__,
              "scikit_learn_version": sklearn.__version__, **meta}
    (folder / META_FILE).write_text(json.dumps(header, indent=2) + "\n")


def read_meta(folder: str | Path) -> dict:
    """The checked ``model.json`` of a run folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AtlasError(f"{folder}: not a folder; give the --out folder of an earlier cluster or fit-classifier run.")
    meta_path = folder / META_FILE
    if not meta_path.exists() or not (folder / MODEL_FILE).exists():
        raise AtlasError(f"{folder}: no saved model ({META_FILE} and {MODEL_FILE}); give the --out folder of "
                         "a cluster, fit-classifier or run command (reduce-only runs save no model).")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise AtlasError(f"{meta_path}: not valid JSON ({exc.msg}); the run folder is damaged, rerun the fit.") from exc
    if meta.get("format") != MODEL_FORMAT:
        raise AtlasError(f"{meta_path}: not an atomatlas model (format {meta.get('format')!r}).")
    version = meta.get("format_version")
    if version != MODEL_FORMAT_VERSION:
        raise AtlasError(f"{folder}: saved by atomatlas {meta.get('atomatlas_version', '?')} in model format "
                         f"v{version}; this atomatlas {__version__} reads v{MODEL_FORMAT_VERSION} only; "
                         "rerun the fit with this version.")
    return meta


def load_model(folder: str | Path) -> tuple[dict, dict]:
    """Load ``(model, meta)`` from a run folder, refusing untrusted or incompatible content."""
    import sklearn
    import skops.io

    folder = Path(folder)
    meta = read_meta(folder)
    path = folder / MODEL_FILE
    try:
        types = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several types for a damaged archive
        raise AtlasError(f"{path}: not a readable skops file ({exc}); rerun the fit.") from exc
    refused = sorted(t for t in types if not _is_trusted(t))
    if refused:
        raise AtlasError(f"{path}: refusing to load object type(s) {refused}; only scikit-learn, NumPy, SciPy and "
                         "atomatlas types are loaded.")
    if meta.get("scikit_learn_version") != sklearn.__version__:
        print(f"atomatlas: note: {folder} was fit with scikit-learn {meta.get('scikit_learn_version')}, "
              f"this is {sklearn.__version__}; predictions may differ slightly.", file=sys.stderr)
    model = skops.io.load(path, trusted=types)
    return model, meta
