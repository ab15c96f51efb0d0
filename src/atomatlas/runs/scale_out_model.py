"""The model of a Dask run, saved as the scikit-learn steps an in-memory run saves.

A Dask run learns plain arrays (the scaling statistics, dask-ml's PCA, the k-means
centres). Saved as a fitted ``StandardScaler``, ``PCA`` and an ``AtlasCluster`` around
``KMeans`` in ``model.skops`` + ``model.json`` (io/models.py), they are read by the same
checked loader, and ``predict`` (in memory or with ``--scheduler``) labels new rows with
them exactly as the run labelled its own rows: the same transform, the same nearest
centre.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from atomatlas.io.models import save_model


def model_steps(config, fitted) -> dict:
    """``{"scaler", "reducer", "clusterer", "anomaly"}`` fitted to the distributed fit's arrays."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    from atomatlas.learn.distributed_kmeans import nearest_centre

    scaler = StandardScaler()
    scaler.mean_, scaler.scale_ = fitted.mean.copy(), fitted.std.copy()
    scaler.var_, scaler.n_features_in_, scaler.n_samples_seen_ = fitted.std ** 2, len(fitted.mean), fitted.rows
    reducer = None
    if fitted.components is not None:
        from sklearn.decomposition import PCA

        reducer = PCA(n_components=len(fitted.components))
        reducer.mean_, reducer.components_ = fitted.pca_mean.copy(), fitted.components.copy()
        reducer.n_components_, reducer.n_features_in_, reducer.n_samples_ = (
            len(fitted.components), fitted.components.shape[1], fitted.rows)
        reducer.explained_variance_ratio_ = np.asarray(fitted.explained, dtype=float)
        reducer.explained_variance_ = np.asarray(fitted.explained_variance, dtype=float)
    centres = fitted.model.cluster_centers_
    # fitted on the sample for KMeans's own bookkeeping, then given the centres of the full-data passes
    kmeans = KMeans(len(centres), init=centres, n_init=1, max_iter=1, random_state=config.seed).fit(fitted.sample)
    kmeans.cluster_centers_ = centres.copy()
    kmeans.labels_ = nearest_centre(fitted.sample, centres)
    kmeans.inertia_, kmeans.n_iter_ = fitted.model.inertia_, fitted.model.n_iter_
    selection = fitted.selection
    clusterer = config.cluster.build(config.seed)
    clusterer.estimator_, clusterer.assigner_, clusterer.labels_ = kmeans, kmeans, kmeans.labels_
    clusterer.k_, clusterer.n_features_in_ = len(centres), centres.shape[1]
    clusterer.scores_ = selection.scores_ if selection is not None else None
    clusterer.selected_by_ = selection.selected_by_ if selection is not None else None
    return {"scaler": scaler, "reducer": reducer, "clusterer": clusterer, "anomaly": None}


def save_dask_model(folder: Path, config, table, fitted, extra: dict | None = None) -> None:
    """model.skops + model.json of a Dask run (``extra``: how structures were described)."""
    meta = {"kind": "cluster", "feature_names": table.feature_names, "id_columns": table.id_columns,
            "label_column": table.label_column, "cluster_on": "reduced" if fitted.components is not None
            else "scaled", "embedding_columns": [], "fitted_with": "dask", **(extra or {})}
    save_model(folder, model_steps(config, fitted), meta)
