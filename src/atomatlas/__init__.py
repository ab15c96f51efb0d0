"""atomatlas: find structure in materials data without (or with few) labels.

The engine lives in :mod:`atomatlas.learn`; :func:`atomatlas.run_config` runs one pass
of the flow (table -> scale -> reduce -> cluster -> evaluate) and writes a run folder.
The names below are imported on first use, so ``import atomatlas`` (and the CLI's
start-up) stays light: no scikit-learn, torch, dask, umap or openTSNE until needed.
"""

from atomatlas.errors import AtlasError

__version__ = "0.1.0"

_LAZY = {
    "AtlasCluster": "atomatlas.learn.cluster",
    "NestedClusterer": "atomatlas.learn.nested",
    "make_scaler": "atomatlas.learn.scale",
    "make_reducer": "atomatlas.learn.reduce",
    "make_classifier": "atomatlas.learn.supervised",
    "read_table": "atomatlas.io.tables",
    "run_config": "atomatlas.pipeline",
    "predict_run": "atomatlas.predict",
    "evaluate_clusters": "atomatlas.evaluate",
    "cluster_accuracy": "atomatlas.evaluate",
}

__all__ = ["AtlasError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'atomatlas' has no attribute {name!r}")
