"""The table flow: scale -> reduce -> cluster -> score against labels -> compare -> flag anomalies -> draw -> save.

:func:`fit_flow` is what every run on rows goes through once they are a table: a table
run (runs/tables.py), a structure run after describing (runs/structures.py), and a
``[dask]`` run on its sample (runs/on_sample.py). It writes ``labels.csv``, ``map.csv``,
the picks (representatives.csv, diverse.csv), the figures and the saved model into the
run's folder, and returns the labels and the metrics of the run record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.io.models import save_model
from atomatlas.io.tables import Table
from atomatlas.learn.registry import library_refusals
from atomatlas.runs.anomalies import detect
from atomatlas.runs.folder import embedding_columns, save_figure, write_csv
from atomatlas.runs.labels import evaluate_all
from atomatlas.runs.sections import Step


def check_components(reduce: Step | None, n_rows: int, n_features: int) -> None:
    """A reduction's n_components must fit the table (PCA may take a variance fraction instead)."""
    if reduce is None:
        return
    n = reduce.params.get("n_components", 2)
    limit = min(n_rows, n_features) if reduce.method == "pca" else n_rows - 1
    if reduce.method == "pca" and isinstance(n, float) and 0 < n < 1:
        return
    if not isinstance(n, int) or n < 1 or n > limit:
        raise AtlasError(f"reduce {reduce.method}: n_components={n!r} must be between 1 and {limit} "
                         f"for {n_rows} rows and {n_features} features.")


def run_header(config, table: Table) -> dict:
    """The part of metrics.json every run on a table shares: what ran, on what input."""
    return {"name": config.name, "atomatlas_version": __version__, "seed": config.seed,
            "input": {"path": table.path, "n_rows": len(table), "n_features": len(table.feature_names),
                      "features": table.feature_names, "id_columns": table.id_columns,
                      "label_column": table.label_column, "dropped_constant": table.dropped_constant},
            "scale": {"method": config.scale.method, "params": config.scale.params}}


@dataclass
class _Fitted:
    """What the flow fitted and computed, passed between its steps."""

    X_scaled: np.ndarray
    scaler: object
    reducer: object = None
    embedding: np.ndarray | None = None
    clusterer: object = None
    detector: object = None
    figures: list = field(default_factory=list)


def fit_flow(config, table: Table, label_sets: dict, folder: Path, progress: bool = False,
             model_extra: dict | None = None, annotate=None) -> tuple[pd.DataFrame, dict]:
    """Scale, reduce, cluster, compare, flag anomalies, draw, save the model; returns (labels frame, metrics).

    ``annotate(frame, metrics)``: called after clustering, before labels.csv is written (structure runs name
    their clusters there)."""
    metrics = run_header(config, table)
    fitted = _scale(config, table)
    _reduce(config, fitted, metrics, folder)
    frame = table.ids.copy()
    if config.cluster is not None:
        _cluster(config, fitted, frame, metrics, folder, progress)
        _score_clusters(config, table, fitted, label_sets, metrics, folder)
        if annotate is not None:
            annotate(frame, metrics)
    if 3 <= len(table.feature_names) <= _dendrogram_limit():
        from atomatlas.plots.cluster import feature_dendrogram

        fitted.figures.append(save_figure(folder, "feature_dendrogram.png",
                                          feature_dendrogram(table.X, table.feature_names)))
    for name, values in embedding_columns(fitted.embedding).items():
        frame[name] = values
    view, axis = _view(config, fitted)
    if config.anomaly is not None:
        fitted.detector, metrics["anomaly"], figures = detect(config.anomaly, config.seed, fitted.X_scaled, frame,
                                                              folder, view, label_sets)
        fitted.figures += figures
    _draw_map(config, frame, label_sets, view, axis, fitted, folder)
    if view.shape[1] >= 2:
        metrics["map"] = {"file": "map.csv", "axis": axis}
    metrics["figures"] = fitted.figures
    write_csv(folder / "labels.csv", frame)
    _save(config, table, fitted, folder, model_extra)
    return frame, metrics


def _dendrogram_limit() -> int:
    from atomatlas.plots.cluster import MAX_DENDROGRAM_FEATURES

    return MAX_DENDROGRAM_FEATURES


def _scale(config, table: Table) -> _Fitted:
    from atomatlas.learn.scale import make_scaler

    scaler = make_scaler(config.scale.method, config.scale.params)
    X_scaled = scaler.fit_transform(table.X)
    if not np.isfinite(X_scaled).all():
        raise AtlasError(f"scaling with {config.scale.method!r} gave non-finite values (the features span too "
                         "many orders of magnitude); rescale the columns or choose another --scale.")
    return _Fitted(X_scaled=X_scaled, scaler=scaler)


def _reduce(config, fitted: _Fitted, metrics: dict, folder: Path) -> None:
    from atomatlas.learn.reduce import explained_variance_ratio, make_reducer
    from atomatlas.plots.reduce import scree

    reduce = config.reduce
    if reduce is None:
        return
    fitted.reducer = make_reducer(reduce.method, reduce.params, random_state=config.seed)
    with library_refusals("reduce", reduce.method, reduce.params):
        fitted.embedding = np.asarray(fitted.reducer.fit_transform(fitted.X_scaled), dtype=float)
    metrics["reduce"] = {"method": reduce.method, "params": reduce.params,
                         "n_components": int(fitted.embedding.shape[1])}
    ratio = explained_variance_ratio(fitted.reducer)
    if ratio is not None:
        metrics["reduce"]["explained_variance_ratio"] = ratio
        full = make_reducer("pca", {"n_components": min(fitted.X_scaled.shape)}).fit(fitted.X_scaled)
        metrics["reduce"]["explained_variance_ratio_all"] = full.explained_variance_ratio_
        fitted.figures.append(save_figure(folder, "scree.png", scree(full.explained_variance_ratio_)))
    if hasattr(fitted.reducer, "stress_"):
        metrics["reduce"]["stress"] = fitted.reducer.stress_


def _cluster(config, fitted: _Fitted, frame: pd.DataFrame, metrics: dict, folder: Path, progress: bool) -> None:
    """Fit the clusterer (k chosen or given), write its labels, picks and k-selection figure."""
    from atomatlas.learn.merged_mixture import assignment_uncertainty
    from atomatlas.learn.progress import progress_bars
    from atomatlas.learn.select_k import score_labels
    from atomatlas.plots.cluster import k_selection

    cluster = config.cluster
    X = fitted.embedding if cluster.on == "reduced" else fitted.X_scaled
    with progress_bars(progress):
        clusterer = fitted.clusterer = cluster.build(config.seed).fit(X)
    labels = frame["cluster"] = clusterer.labels_
    sizes = pd.Series(labels).value_counts().sort_index()
    metrics["cluster"] = {
        "method": cluster.method, "params": cluster.params, "on": cluster.on, "k_requested": cluster.k,
        "k": clusterer.k_, "selected_by": clusterer.selected_by_, "n_noise": int((labels < 0).sum()),
        "cluster_sizes": {int(k): int(v) for k, v in sizes.items()},
        "scores": score_labels(X, labels, clusterer.estimator_, random_state=config.seed)}
    if clusterer.scores_ is not None:
        metrics["cluster"]["k_selection"] = record = k_selection_record(clusterer)
        fitted.figures.append(save_figure(folder, "k_selection.png", k_selection(
            pd.DataFrame(clusterer.scores_), record["chosen_k"], clusterer.selected_by_, record.get("merged_to"))))
    if hasattr(clusterer.estimator_, "splits_"):
        metrics["cluster"]["splits"] = clusterer.estimator_.splits_
    write_picks(folder, frame, X, labels)  # before the uncertainty: the picks carry ids, not results
    uncertainty = assignment_uncertainty(clusterer.estimator_, X)
    if uncertainty is not None:  # 0: at a cluster's heart, 1: a tie between two clusters (interface atoms)
        frame["cluster_uncertainty"] = uncertainty


def k_selection_record(clusterer) -> dict:
    """metrics.json's ``k_selection``: every score per k tried, the chosen k, and whether it is at the edge."""
    scores = pd.DataFrame(clusterer.scores_)
    # nested clustering searched k for its outer level only
    chosen_k = clusterer.estimator_.outer_.k_ if hasattr(clusterer.estimator_, "outer_") else clusterer.k_
    components = getattr(clusterer.estimator_, "chosen_k_", None)  # gmm_merged: BIC's components, then merged
    chosen_k = chosen_k if components is None else int(components)
    merged = {"merged_to": clusterer.k_} if components is not None and components != clusterer.k_ else {}
    return {**merged, "criterion": clusterer.selected_by_, "range": [int(scores["k"].min()), int(scores["k"].max())],
            "chosen_k": chosen_k, "scores": scores.to_dict(orient="records"),
            # a best score at the largest k tried means: widen the range
            "at_edge": bool(chosen_k == int(scores["k"].max()) and scores["k"].max() > scores["k"].min())}


def _score_clusters(config, table: Table, fitted: _Fitted, label_sets: dict, metrics: dict, folder: Path) -> None:
    """Silhouette and dendrogram figures, scores against every label set, and the [[compare]] methods."""
    from atomatlas.plots.cluster import dendrogram, silhouette_diagram

    cluster, clusterer = config.cluster, fitted.clusterer
    X = fitted.embedding if cluster.on == "reduced" else fitted.X_scaled
    rows = _silhouette_rows(len(X), config.seed)
    values = _silhouettes(X[rows], clusterer.labels_[rows], metrics)
    on = f"; a uniform sample of {len(rows)} rows" if len(rows) < len(X) else ""
    fitted.figures.append(save_figure(folder, "silhouette.png", silhouette_diagram(
        X[rows], clusterer.labels_[rows], title=f"silhouette per row ({cluster.method}, k = {clusterer.k_}{on})",
        values=values)))
    if on:
        metrics["cluster"]["silhouette_on"] = on[2:]
    needs_leaves = cluster.method == "agglomerative" or any(c.method == "agglomerative" for c in config.compare)
    leaves = table.ids.astype(str).agg(" ".join, axis=1).tolist() if needs_leaves else []
    if cluster.method == "agglomerative":
        estimator = clusterer.estimator_
        fitted.figures.append(save_figure(folder, "dendrogram.png", dendrogram(
            X, linkage=estimator.linkage, metric=estimator.metric, leaf_labels=leaves)))
    if label_sets:
        metrics["evaluation"] = evaluate_all(label_sets, clusterer.labels_, folder)
        fitted.figures += [f"confusion_{name}.png" for name in label_sets]
    if config.compare:
        metrics["comparison"] = compare(config, fitted, label_sets, folder, leaves)
        fitted.figures += [row["figure"] for row in metrics["comparison"] if "figure" in row]


def _silhouette_rows(n: int, seed: int) -> np.ndarray:
    """The rows whose silhouettes are drawn and averaged: all of them, or a seeded uniform sample of
    SILHOUETTE_SAMPLE (each row's silhouette needs its distance to every other: O(n^2))."""
    from atomatlas.learn.select_k import SILHOUETTE_SAMPLE

    if n <= SILHOUETTE_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False))


def _silhouettes(X, labels, metrics: dict):
    """Every non-noise row's silhouette (None below two clusters); each cluster's mean goes to metrics."""
    from sklearn.metrics import silhouette_samples

    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        return None
    values = silhouette_samples(X[keep], labels[keep])
    metrics["cluster"]["silhouette_by_cluster"] = {
        str(c): float(values[labels[keep] == c].mean()) for c in np.unique(labels[keep])}
    return values


def write_picks(folder: Path, ids: pd.DataFrame, X: np.ndarray, labels: np.ndarray, n_diverse: int = 20) -> None:
    """representatives.csv (the row nearest each cluster's mean) and diverse.csv (farthest-point sampling)."""
    from atomatlas.learn.sampling import farthest_point_sampling, representatives

    chosen = representatives(X, labels)
    # `input_row` (0-based position in the input) first, then the row's own ids
    picked = ids.drop(columns=[c for c in ("cluster", "input_row") if c in ids]).iloc[list(chosen.values())]
    picked = pd.concat([pd.DataFrame({"cluster": list(chosen), "input_row": list(chosen.values())}),
                        picked.reset_index(drop=True)], axis=1)
    write_csv(folder / "representatives.csv", picked)
    order = farthest_point_sampling(X, n_diverse)
    diverse = pd.concat([pd.DataFrame({"rank": np.arange(len(order)), "input_row": order}),
                         ids.drop(columns=[c for c in ("input_row",) if c in ids]).iloc[order]
                         .reset_index(drop=True)], axis=1)
    write_csv(folder / "diverse.csv", diverse)


def compare(config, fitted: _Fitted, label_sets: dict, folder: Path, leaves: list[str]) -> list[dict]:
    """Fit every [[compare]] clusterer on the same features and score it against every label set."""
    from atomatlas.evaluate import evaluate_clusters
    from atomatlas.learn.progress import bar
    from atomatlas.plots.cluster import dendrogram

    rows = []
    for entry in bar(config.compare, "comparing methods", "method"):
        X = fitted.embedding if entry.on == "reduced" else fitted.X_scaled
        model = entry.build(config.seed).fit(X)
        row = {"name": entry.label(), "method": entry.method, "params": entry.params, "k": model.k_,
               "selected_by": model.selected_by_,
               "evaluation": {label: evaluate_clusters(truth, model.labels_) for label, truth in label_sets.items()}}
        if entry.method == "agglomerative":
            est = model.estimator_
            row["figure"] = save_figure(folder, f"dendrogram_{est.linkage}_{est.metric}.png",
                                        dendrogram(X, linkage=est.linkage, metric=est.metric, leaf_labels=leaves))
        rows.append(row)
    table = pd.DataFrame([{"name": r["name"], "k": r["k"],
                           **{f"{label}_{score}": r["evaluation"][label][score] for label in label_sets
                              for score in ("adjusted_rand_index", "normalized_mutual_info", "cluster_accuracy")}}
                          for r in rows])
    write_csv(folder / "comparison.csv", table)
    return rows


def _view(config, fitted: _Fitted) -> tuple[np.ndarray, str]:
    """The 2-D view the maps are drawn on: the reduction, or the first two principal components."""
    if fitted.embedding is not None and fitted.embedding.shape[1] >= 2:
        return fitted.embedding, config.reduce.method
    return view_pca(fitted.X_scaled).transform(fitted.X_scaled), "PC"


def view_pca(X_scaled: np.ndarray):
    """The two principal components a map without a reduction is drawn on (new rows are placed on it too)."""
    from atomatlas.learn.reduce import make_reducer

    return make_reducer("pca", {"n_components": min(2, X_scaled.shape[1])}, random_state=0).fit(X_scaled)


def _draw_map(config, frame, label_sets: dict, view, axis: str, fitted: _Fitted, folder: Path) -> None:
    from atomatlas.plots.reduce import embedding_map

    if view.shape[1] < 2:
        return
    # the map's points and the known labels beside them, row by row with labels.csv: report.html draws from it
    table = pd.DataFrame({"map_1": view[:, 0], "map_2": view[:, 1]})
    for name, values in label_sets.items():
        table[f"label:{name}"] = values.to_numpy(dtype=object)
    write_csv(folder / "map.csv", table)
    classes = next(iter(label_sets.values())) if label_sets else None
    fitted.figures.append(save_figure(folder, "map.png", embedding_map(
        view, frame["cluster"].to_numpy() if config.cluster is not None else None,
        classes.to_numpy(dtype=object) if classes is not None else None, title=config.name, axis_name=axis)))


def _save(config, table: Table, fitted: _Fitted, folder: Path, model_extra: dict | None) -> None:
    """model.skops + model.json when something was fitted that labels new rows (a clusterer or a detector)."""
    if fitted.clusterer is None and fitted.detector is None:
        return
    meta = {"kind": "cluster" if fitted.clusterer is not None else "anomaly", "feature_names": table.feature_names,
            "id_columns": table.id_columns, "label_column": table.label_column,
            "cluster_on": config.cluster.on if config.cluster else None,
            "embedding_columns": list(embedding_columns(fitted.embedding))}
    meta.update(model_extra or {})
    save_model(folder, {"scaler": fitted.scaler, "reducer": fitted.reducer, "clusterer": fitted.clusterer,
                        "anomaly": fitted.detector}, meta)
