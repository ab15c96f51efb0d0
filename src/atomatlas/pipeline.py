"""One run of the flow: config -> table -> scale -> reduce -> cluster or classify -> evaluate -> run folder.

:func:`run_config` is what every CLI command calls; :func:`predict_run` labels new rows
with a saved run. The run-folder contract (docs/run-folder.md) is written here:
``labels.csv`` (id columns in input order, integer ``cluster``, -1 for noise,
``embedding_*`` for a reduction of at most 3 components), ``metrics.json``,
``config.toml`` (the resolved config; ``atomatlas run OUT/config.toml`` repeats the run),
PNG figures and the saved model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.evaluate import contingency, evaluate_clusters, transform_labels
from atomatlas.io.models import load_model, save_model
from atomatlas.io.rundir import RunFolder
from atomatlas.io.tables import Table, join_labels
from atomatlas.learn.registry import library_refusals
from atomatlas.recipes.schema import is_predict_only, normalise, to_toml_dict
from atomatlas.runfiles import (embedding_columns, package_versions, read_input, run_header, save_figure, write_csv,
                                write_json)



@dataclass
class RunResult:
    """What a run produced: its folder, the per-row table written as labels.csv, and the metrics."""

    path: Path
    labels: pd.DataFrame
    metrics: dict
    skipped: list = field(default_factory=list)  # inputs of a batch left out (io.structures.Skipped)


# ---------------------------------------------------------------- helpers

def collect_labels(config: dict, table: Table) -> dict[str, pd.Series]:
    """Every label set to evaluate against, aligned with the table's rows (NaN = unlabelled)."""
    labels = {}
    if table.label_column is not None:
        labels[table.label_column] = table.labels
    for entry in config["evaluate"]:
        if entry["labels"] is None:
            if entry["column"] not in table.frame.columns:
                raise AtlasError(f"{table.path}: label column {entry['column']!r} not found; available columns: "
                                 f"{list(table.frame.columns)}.")
            series = table.frame[entry["column"]].reset_index(drop=True)
        else:
            series = join_labels(table, datasets.resolve(entry["labels"]), on=list(entry["on"]), column=entry["column"])
        labels[entry["name"]] = transform_labels(series, entry["transform"])
    return labels


def _check_components(config: dict, n_rows: int, n_features: int) -> None:
    reduce = config["reduce"]
    if reduce is None:
        return
    n = reduce["params"].get("n_components", 2)
    limit = min(n_rows, n_features) if reduce["method"] == "pca" else n_rows - 1
    if reduce["method"] == "pca" and isinstance(n, float) and 0 < n < 1:
        return  # a share of the explained variance
    if not isinstance(n, int) or n < 1 or n > limit:
        raise AtlasError(f"reduce {reduce['method']}: n_components={n!r} must be between 1 and {limit} "
                         f"for {n_rows} rows and {n_features} features.")


def evaluate_all(label_sets: dict, predicted: np.ndarray, folder: Path, prefix: str = "") -> dict:
    from atomatlas.plots.evaluate import confusion

    results = {}
    for name, truth in label_sets.items():
        scores = evaluate_clusters(truth, predicted)
        known = truth.notna().to_numpy()
        table = contingency(truth[known].astype(str).to_numpy(), predicted[known])
        write_csv(folder / f"{prefix}contingency_{name}.csv", table.reset_index())
        save_figure(folder, f"{prefix}confusion_{name}.png",
                     confusion(table, title=f"{name}: ARI {scores['adjusted_rand_index']:.3f}, "
                                            f"accuracy {scores['cluster_accuracy']:.3f}"))
        results[name] = scores
    return results


# ---------------------------------------------------------------- runs

def run_config(config: dict, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
               progress: bool = False, ask=None) -> RunResult:
    """Run one config into the run folder ``out`` (atomically: all or nothing).

    ``ask(ids, cluster, size)`` answers a label-few run's questions interactively.
    """
    config = normalise(config, base)
    if is_predict_only(config):
        from atomatlas.predict import predict_run

        predict = config["predict"]
        return predict_run(predict["run"], predict["paths"], out, overwrite=overwrite, delimiter=predict["delimiter"])
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()  # before any work: a bad --out should not cost a long fit
    if "image" in config:
        return _run_image(config, folder, out, progress)
    described, skipped = None, []
    if config["data"] is None:
        from atomatlas.environments import describe

        described = describe(config, config["seed"], progress=progress, skipped=skipped)
        table = described.table
    else:
        table = read_input(config)
    label_sets = collect_labels(config, table)
    _check_components(config, len(table), len(table.feature_names))
    if config["classify"] is not None and table.label_column is None:
        raise AtlasError(f"{table.path}: a classifier needs a label column; pass --labels COLUMN.")
    with folder as tmp:
        if config["label_few"] is not None:
            from atomatlas.label_few import run_label_few

            labels, metrics = run_label_few(config, table, tmp, ask=ask)
        elif config["classify"] is not None:
            labels, metrics = _classify(config, table, tmp)
        else:
            # structure runs: predict must describe new structures with the same descriptor and species
            extra = None if described is None else {"structures": {
                "descriptor": config["descriptor"], "centers": config["centers"],
                "species": described.descriptor.species}}
            labels, metrics = _cluster_or_reduce(config, table, label_sets, tmp, progress, model_extra=extra)
        if described is not None:
            from atomatlas.environments import write_structure_outputs

            metrics["structures"] = write_structure_outputs(tmp, described, labels, config)
            metrics["structures"]["skipped"] = [vars(item) for item in skipped]
        _write_metrics_and_config(tmp, metrics, config)
        if config["predict"] is not None and config["classify"] is None and config["cluster"] is not None:
            from atomatlas.predict import predict_into

            model, meta = load_model(tmp)
            predict = config["predict"]
            predict_into(model, meta, predict["path"] or predict["paths"], tmp / "predict", predict["delimiter"],
                          training=labels, build=predict["build"])
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)


def _write_metrics_and_config(folder: Path, metrics: dict, config: dict) -> None:
    import tomli_w

    metrics["versions"] = package_versions()
    write_json(folder / "metrics.json", metrics)
    (folder / "config.toml").write_text(tomli_w.dumps(to_toml_dict(config)))


def _run_image(config: dict, folder: RunFolder, out, progress: bool) -> RunResult:
    from atomatlas.segment import run_segment

    with folder as tmp:
        labels, metrics = run_segment(config, tmp, progress)
        _write_metrics_and_config(tmp, metrics, config)
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


def _cluster_or_reduce(config: dict, table: Table, label_sets: dict, folder: Path, progress: bool,
                       model_extra: dict | None = None):
    from atomatlas.learn.cluster import AtlasCluster
    from atomatlas.learn.reduce import explained_variance_ratio, make_reducer
    from atomatlas.learn.scale import make_scaler
    from atomatlas.learn.select_k import score_labels
    from atomatlas.plots import cluster as cluster_plots
    from atomatlas.plots import reduce as reduce_plots

    seed = config["seed"]
    X = table.X
    scaler = make_scaler(config["scale"]["method"], config["scale"]["params"])
    X_scaled = scaler.fit_transform(X)
    if not np.isfinite(X_scaled).all():
        raise AtlasError(f"scaling with {config['scale']['method']!r} gave non-finite values (the features span too "
                         "many orders of magnitude); rescale the columns or choose another --scale.")
    metrics = run_header(config, table)
    figures = []
    reducer, embedding = None, None
    if config["reduce"] is not None:
        reduce = config["reduce"]
        reducer = make_reducer(reduce["method"], reduce["params"], random_state=seed)
        with library_refusals("reduce", reduce["method"], reduce["params"]):
            embedding = np.asarray(reducer.fit_transform(X_scaled), dtype=float)
        metrics["reduce"] = {"method": reduce["method"], "params": reduce["params"],
                             "n_components": int(embedding.shape[1])}
        ratio = explained_variance_ratio(reducer)
        if ratio is not None:
            metrics["reduce"]["explained_variance_ratio"] = ratio
            full = make_reducer("pca", {"n_components": min(X_scaled.shape)}).fit(X_scaled)
            metrics["reduce"]["explained_variance_ratio_all"] = full.explained_variance_ratio_
            figures.append(save_figure(folder, "scree.png", reduce_plots.scree(full.explained_variance_ratio_)))
        if hasattr(reducer, "stress_"):
            metrics["reduce"]["stress"] = reducer.stress_

    frame = table.ids.copy()
    classes = next(iter(label_sets.values())) if label_sets else None
    clusterer = None
    cluster = config["cluster"]
    if cluster is not None:
        X_cluster = embedding if cluster["on"] == "reduced" else X_scaled
        clusterer = AtlasCluster(cluster["method"], k=cluster["k"], select=cluster["select"], k_min=cluster["k_min"],
                                 k_max=cluster["k_max"], params=cluster["params"], random_state=seed,
                                 progress=progress).fit(X_cluster)
        labels = clusterer.labels_
        frame["cluster"] = labels
        sizes = pd.Series(labels).value_counts().sort_index()
        metrics["cluster"] = {
            "method": cluster["method"], "params": cluster["params"], "on": cluster["on"],
            "k_requested": cluster["k"], "k": clusterer.k_, "selected_by": clusterer.selected_by_,
            "n_noise": int((labels < 0).sum()), "cluster_sizes": {int(k): int(v) for k, v in sizes.items()},
            "scores": score_labels(X_cluster, labels, clusterer.estimator_, random_state=seed),
        }
        if clusterer.scores_ is not None:
            scores = pd.DataFrame(clusterer.scores_)
            # nested clustering searched k for its outer level only
            chosen_k = (clusterer.estimator_.outer_.k_ if hasattr(clusterer.estimator_, "outer_")
                        else clusterer.k_)
            metrics["cluster"]["k_selection"] = {"criterion": clusterer.selected_by_,
                                                 "range": [int(scores["k"].min()), int(scores["k"].max())],
                                                 # a best score at the largest k tried means: widen the range
                                                 "chosen_k": chosen_k,
                                                 "at_edge": bool(chosen_k == int(scores["k"].max())
                                                                 and scores["k"].max() > scores["k"].min()),
                                                 "scores": scores.to_dict(orient="records")}
            figures.append(save_figure(folder, "k_selection.png", cluster_plots.k_selection(
                scores, chosen_k, clusterer.selected_by_)))
        _write_picks(folder, frame, X_cluster, labels)
        if hasattr(clusterer.estimator_, "splits_"):
            metrics["cluster"]["splits"] = clusterer.estimator_.splits_
        figures.append(save_figure(folder, "silhouette.png", cluster_plots.silhouette_diagram(
            X_cluster, labels, title=f"silhouette per row ({cluster['method']}, k = {clusterer.k_})")))
        leaf_labels = table.ids.astype(str).agg(" ".join, axis=1).tolist()
        if cluster["method"] == "agglomerative":
            figures.append(save_figure(folder, "dendrogram.png", cluster_plots.dendrogram(
                X_cluster, linkage=clusterer.estimator_.linkage, metric=clusterer.estimator_.metric,
                leaf_labels=leaf_labels)))
        if label_sets:
            metrics["evaluation"] = evaluate_all(label_sets, labels, folder)
            figures += [f"confusion_{name}.png" for name in label_sets]
        if config["compare"]:
            metrics["comparison"] = _compare(config, X_scaled, embedding, label_sets, seed, folder, leaf_labels,
                                             progress)
            figures += [row["figure"] for row in metrics["comparison"] if "figure" in row]
    if 3 <= len(table.feature_names) <= cluster_plots.MAX_DENDROGRAM_FEATURES:
        figures.append(save_figure(folder, "feature_dendrogram.png",
                                    cluster_plots.feature_dendrogram(X, table.feature_names)))
    for name, values in embedding_columns(embedding).items():
        frame[name] = values
    view, axis = embedding, (config["reduce"]["method"] if config["reduce"] else "")
    if view is None or view.shape[1] < 2:
        view, axis = make_reducer("pca", {"n_components": min(2, X_scaled.shape[1])}).fit_transform(X_scaled), "PC"
    detector = None
    if config["anomaly"] is not None:
        from atomatlas.anomalies import detect

        detector, metrics["anomaly"], anomaly_figures = detect(config, X_scaled, frame, folder, view,
                                                                    label_sets)
        figures += anomaly_figures
    if view.shape[1] >= 2:
        figures.append(save_figure(folder, "map.png", reduce_plots.embedding_map(
            view, frame["cluster"].to_numpy() if cluster is not None else None,
            classes.to_numpy(dtype=object) if classes is not None else None,
            title=config["name"], axis_name=axis)))
    metrics["figures"] = figures
    write_csv(folder / "labels.csv", frame)
    if clusterer is not None or detector is not None:
        meta = {"kind": "cluster" if clusterer is not None else "anomaly", "feature_names": table.feature_names, "id_columns": table.id_columns,
                "label_column": table.label_column, "cluster_on": cluster["on"] if cluster else None,
                "embedding_columns": list(embedding_columns(embedding))}
        meta.update(model_extra or {})
        save_model(folder, {"scaler": scaler, "reducer": reducer, "clusterer": clusterer, "anomaly": detector}, meta)
    return frame, metrics


def _write_picks(folder: Path, ids: pd.DataFrame, X: np.ndarray, labels: np.ndarray, n_diverse: int = 20) -> None:
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
                         ids.drop(columns=[c for c in ("input_row",) if c in ids]).iloc[order].reset_index(drop=True)],
                        axis=1)
    write_csv(folder / "diverse.csv", diverse)


def _compare(config: dict, X_scaled, embedding, label_sets: dict, seed: int, folder: Path,
             leaf_labels: list[str], progress: bool = False) -> list[dict]:
    """Fit every [[compare]] clusterer on the same features and score it against every label set."""
    from atomatlas.learn.cluster import AtlasCluster
    from atomatlas.plots import cluster as cluster_plots

    from tqdm.auto import tqdm

    rows = []
    for entry in tqdm(config["compare"], desc="comparing methods", unit="method", leave=False,
                      disable=None if progress else True):
        X_cluster = embedding if entry["on"] == "reduced" else X_scaled
        model = AtlasCluster(entry["method"], k=entry["k"], select=entry["select"], k_min=entry["k_min"],
                             k_max=entry["k_max"], params=entry["params"], random_state=seed).fit(X_cluster)
        name = entry["name"] or " ".join([entry["method"], *(f"{k}={v}" for k, v in entry["params"].items())])
        row = {"name": name, "method": entry["method"], "params": entry["params"], "k": model.k_,
               "selected_by": model.selected_by_,
               "evaluation": {label: evaluate_clusters(truth, model.labels_) for label, truth in label_sets.items()}}
        if entry["method"] == "agglomerative":
            est = model.estimator_
            row["figure"] = save_figure(folder, f"dendrogram_{est.linkage}_{est.metric}.png",
                                         cluster_plots.dendrogram(X_cluster, linkage=est.linkage, metric=est.metric,
                                                                  leaf_labels=leaf_labels))
        rows.append(row)
    table = pd.DataFrame([{"name": r["name"], "k": r["k"],
                           **{f"{label}_{score}": r["evaluation"][label][score] for label in label_sets
                              for score in ("adjusted_rand_index", "normalized_mutual_info", "cluster_accuracy")}}
                          for r in rows])
    write_csv(folder / "comparison.csv", table)
    return rows


def _classify(config: dict, table: Table, folder: Path):
    from sklearn.pipeline import Pipeline

    from atomatlas.learn.scale import make_scaler
    from atomatlas.learn.supervised import (check_against_data, check_folds, cross_validate, holdout,
                                            make_classifier)
    from atomatlas.plots.evaluate import confusion

    seed = config["seed"]
    classify = config["classify"]
    y = table.labels.astype(str).to_numpy()
    if not classify["test_size"]:
        check_folds(y, classify["folds"])
    check_against_data(classify["method"], classify["params"], y, folds=classify["folds"],
                       test_size=classify["test_size"])
    steps = [("scale", make_scaler(config["scale"]["method"], config["scale"]["params"]))]
    if config["reduce"] is not None:  # classify in a reduced space (refit inside every CV fold)
        from atomatlas.learn.reduce import make_reducer

        steps.append(("reduce", make_reducer(config["reduce"]["method"], config["reduce"]["params"],
                                             random_state=seed)))
    model = Pipeline([*steps, ("model", make_classifier(classify["method"], classify["params"],
                                                        random_state=seed))])
    frame = table.ids.copy()
    frame[table.label_column] = y
    refusals = library_refusals("classifier", classify["method"], classify["params"])
    if classify["test_size"]:  # the seed's protocol: fit on a split, score the held-out rows, keep that model
        with refusals:
            cv = holdout(model, table.X, y, test_size=classify["test_size"], random_state=seed)
        frame["split"] = "train"
        frame.loc[cv["test_rows"], "split"] = "test"
        frame["predicted"] = model.predict(table.X)
        scored = f"held-out accuracy ({len(cv['test_rows'])} rows)"
    else:
        with refusals:
            cv = cross_validate(model, table.X, y, n_splits=classify["folds"], random_state=seed)
            model.fit(table.X, y)
        frame["cv_predicted"] = cv["predicted"]
        scored = "cross-validated accuracy"
    (folder / "classification_report.txt").write_text(cv["report_text"])
    write_csv(folder / "confusion.csv", cv["confusion"].rename_axis("class").reset_index())
    figures = [save_figure(folder, "confusion.png", confusion(
        cv["confusion"], title=f"{classify['method']}: {scored} {cv['accuracy']:.3f}",
        xlabel="predicted", ylabel="true"))]
    inputs = model[:-1].transform(table.X)  # what the classifier itself sees
    if inputs.shape[1] == 2:  # two inputs (features or a 2-D reduction): draw the class regions
        from atomatlas.plots.decision import decision_boundary

        names = (table.feature_names if config["reduce"] is None
                 else [f"{config['reduce']['method']} {i}" for i in (1, 2)])
        figures.append(save_figure(folder, "decision_boundary.png", decision_boundary(
            model[-1], inputs, y, title=f"{classify['method']} ({scored} {cv['accuracy']:.3f})",
            axis_names=names)))
    estimator = model.named_steps["model"]
    metrics = {**run_header(config, table),
               "classify": {"method": classify["method"], "params": classify["params"], "folds": classify["folds"],
                            "classes": cv["classes"]},
               "holdout" if classify["test_size"] else "cross_validation": {
                   "accuracy": cv["accuracy"], "f1_weighted": cv["f1_weighted"], "report": cv["report"]},
               "figures": figures}
    if hasattr(estimator, "C_"):
        metrics["classify"]["chosen_C"] = np.atleast_1d(estimator.C_).tolist()
    if hasattr(estimator, "best_params_"):  # a grid search (kmeans_logistic over k)
        from atomatlas.plots.evaluate import grid_scores

        results = pd.DataFrame(estimator.cv_results_)
        param = next(iter(estimator.best_params_))
        metrics["classify"]["grid_search"] = {"best": estimator.best_params_, "values": results[f"param_{param}"]
                                              .astype(float).tolist(), "mean_accuracy": results["mean_test_score"]
                                              .tolist(), "std_accuracy": results["std_test_score"].tolist()}
        figures.append(save_figure(folder, "grid_search.png", grid_scores(
            metrics["classify"]["grid_search"], param.split("__")[-1])))
    write_csv(folder / "labels.csv", frame)
    save_model(folder, {"classifier": model},
               {"kind": "classifier", "feature_names": table.feature_names, "id_columns": table.id_columns,
                "label_column": table.label_column, "classes": list(map(str, model.classes_))})
    return frame, metrics
