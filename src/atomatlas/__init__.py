"""atomatlas: find structure in materials data without (or with few) labels.

The main jobs are the functions of :mod:`atomatlas.api` (one per kind of run, what the
command line calls): ``cluster``, ``reduce``, ``find_anomalies``, ``fit_classifier``,
``environments``, ``label_few``, ``segment``, ``classify_structures``,
``train_crystal_cnn``, ``predict``, ``run_recipe`` and ``run_config``. The estimators
(``AtlasCluster``, ``make_clusterer``, ``make_detector``...) live in :mod:`atomatlas.learn`.
The names below are imported on first use, so ``import atomatlas`` (and the CLI's
start-up) stays light: no scikit-learn, torch, dask, umap or openTSNE until needed.
"""

from atomatlas.errors import AtlasError

__version__ = "0.1.0"

_API = ("cluster", "reduce", "find_anomalies", "fit_classifier", "environments", "label_few", "segment",
        "classify_structures", "train_crystal_cnn", "predict", "run_recipe", "run_config")

_LAZY = {
    **{name: "atomatlas.api" for name in _API},
    "predict_run": "atomatlas.api",  # the name before 0.2
    "AtlasCluster": "atomatlas.learn.cluster",
    "make_clusterer": "atomatlas.learn.cluster",
    "make_detector": "atomatlas.learn.outliers",
    "AnomalyDetector": "atomatlas.learn.outliers",
    "NestedClusterer": "atomatlas.learn.nested",
    "make_scaler": "atomatlas.learn.scale",
    "make_reducer": "atomatlas.learn.reduce",
    "make_classifier": "atomatlas.learn.supervised",
    "read_table": "atomatlas.io.tables",
    "evaluate_clusters": "atomatlas.evaluate",
    "cluster_accuracy": "atomatlas.evaluate",
}

__all__ = ["AtlasError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), "predict" if name == "predict_run" else name)
    raise AttributeError(f"module 'atomatlas' has no attribute {name!r}")
