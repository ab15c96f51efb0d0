"""A label-few run: cluster, ask for the representatives' labels, propagate, train, say what to label next.

Labels come from a label file (the table's id columns + ``label``), an interactive
prompt, or (for benchmarks) an ``oracle`` column that stands in for the expert. With no
labels at all the run writes ``to_label.csv`` (the representatives) and stops there.
When true labels are known (``--labels`` or the oracle) the run also compares the
seed's strategies on the same rows: random rows, representatives only, whole-cluster
and partial propagation, and label spreading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.io.models import save_model
from atomatlas.io.tables import Table
from atomatlas.learn.label_few import ClusterPropagation, least_certain, seed_classifier, spread
from atomatlas.runfiles import run_header, save_figure, write_csv

RANDOM_DRAWS = 10  # the random-rows baseline is averaged over this many draws
SEED_PARTIAL_FRACTION = 0.2  # the seed's partial propagation


def _split(n_rows: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(n_rows)
    if not test_size:
        return rows, np.empty(0, dtype=int)
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(rows, test_size=test_size, random_state=seed)
    return np.asarray(train), np.asarray(test)


def read_label_file(path: str, table: Table) -> dict[int, str]:
    """{input row: label} from a CSV holding the table's id columns and a ``label`` column."""
    from atomatlas.io.tables import read_frame

    frame = read_frame(path, None)
    ids = table.id_columns
    missing = [c for c in [*ids, "label"] if c not in frame.columns]
    if missing:
        raise AtlasError(f"label file {path}: needs the columns {[*ids, 'label']} (the table's id columns and "
                         f"label); missing {missing}.")
    frame = frame[frame["label"].notna() & (frame["label"].astype(str).str.strip() != "")]
    if frame.empty:  # nothing labelled yet (pandas would join the column names of an empty frame)
        return {}
    key = table.ids[ids].astype(str).agg("\x1f".join, axis=1)
    position = dict(zip(key, range(len(key))))
    wanted = frame[ids].astype(str).agg("\x1f".join, axis=1)
    unknown = [k for k in wanted if k not in position]
    if unknown:
        raise AtlasError(f"label file {path}: {len(unknown)} labelled row(s) have ids not in the table, e.g. "
                         f"{unknown[0].replace(chr(31), ', ')}; check the id columns {ids}.")
    return {position[k]: str(label).strip() for k, label in zip(wanted, frame["label"])}


def _accuracy(truth: pd.Series, predicted, rows: np.ndarray) -> float | None:
    known = [r for r in rows if pd.notna(truth.iloc[r]) and predicted[r] is not None]
    if not known:
        return None
    return float(np.mean([str(truth.iloc[r]) == str(predicted[r]) for r in known]))


def _fit_score(X, labels, fit_rows, truth, score_rows, seed) -> float | None:
    """Accuracy on ``score_rows`` of the seed's classifier trained on ``fit_rows`` (labels may be None)."""
    fit_rows = np.asarray([r for r in fit_rows if labels[r] is not None])
    y = np.asarray([str(labels[r]) for r in fit_rows])
    if len(np.unique(y)) < 2:
        return None
    model = seed_classifier(seed).fit(X[fit_rows], y)
    return _accuracy(truth, _full(len(X), score_rows, model.predict(X[score_rows])), score_rows)


def _full(n: int, rows: np.ndarray, values) -> np.ndarray:
    out = np.full(n, None, dtype=object)
    out[rows] = values
    return out


def compare_strategies(X, truth: pd.Series, train: np.ndarray, score_rows: np.ndarray, known: dict,
                       model: ClusterPropagation, budget: int, seed: int) -> list[dict]:
    """The seed's sequence on the same rows: random, representatives, propagation, partial, spreading."""
    truth_labels = np.asarray([None if pd.isna(v) else str(v) for v in truth], dtype=object)
    rows = []
    labelled_train = np.asarray([r for r in train if truth_labels[r] is not None])
    from tqdm.auto import tqdm

    draws = []
    rng = np.random.default_rng(seed)
    for _ in tqdm(range(RANDOM_DRAWS), desc="comparing strategies", leave=False, disable=None):
        picked = rng.choice(labelled_train, size=min(budget, len(labelled_train)), replace=False)
        draws.append(_fit_score(X, truth_labels, picked, truth, score_rows, seed))
    draws = [d for d in draws if d is not None]
    rows.append({"strategy": f"{budget} random rows (mean of {RANDOM_DRAWS} draws)",
                 "accuracy": float(np.mean(draws)) if draws else None,
                 "accuracy_std": float(np.std(draws)) if draws else None, "n_training_rows": budget})
    local_known = {i: known[r] for i, r in enumerate(train) if r in known}
    representatives = train[model.representatives_]
    reps_labels = _full(len(X), train, [known.get(r) for r in train])
    rows.append({"strategy": "representatives only", "n_training_rows": int(sum(r in known for r in representatives)),
                 "accuracy": _fit_score(X, reps_labels, representatives, truth, score_rows, seed)})
    for name, fraction in (("propagated to whole clusters", 1.0),
                           (f"propagated to the {SEED_PARTIAL_FRACTION:.0%} closest", SEED_PARTIAL_FRACTION)):
        propagated = _full(len(X), train, model.propagate(local_known, fraction))
        rows.append({"strategy": name, "n_training_rows": int(sum(propagated[train] != None)),  # noqa: E711
                     "accuracy": _fit_score(X, propagated, train, truth, score_rows, seed),
                     "propagated_label_accuracy": _accuracy(truth, propagated, train)})
    spread_labels = _full(len(X), train, spread(X[train], local_known))
    rows.append({"strategy": "label spreading (10-NN graph)", "n_training_rows": len(train),
                 "accuracy": _fit_score(X, spread_labels, train, truth, score_rows, seed),
                 "propagated_label_accuracy": _accuracy(truth, spread_labels, train)})
    return rows


def run_label_few(config: dict, table: Table, folder: Path, ask: Callable | None = None):
    """Write a label-few run into ``folder``; returns (labels frame, metrics)."""
    from atomatlas.learn.scale import make_scaler

    settings = config["label_few"]
    seed = config["seed"]
    n = len(table)
    split_seed = seed if settings["split_seed"] is None else settings["split_seed"]
    train, test = _split(n, settings["test_size"], split_seed)
    budget = settings["budget"]
    k = settings["k"] or budget
    if budget > len(train):
        raise AtlasError(f"--budget {budget} is larger than the {len(train)} rows that can be labelled; "
                         "lower --budget.")
    if k > budget:
        raise AtlasError(f"k ({k}) asks for more representatives than the budget ({budget}) allows; "
                         "lower --k or raise --budget.")
    oracle = _oracle_labels(settings["oracle"], table)
    truth = table.labels if table.label_column is not None else oracle
    scaler = make_scaler(config["scale"]["method"], config["scale"]["params"])
    X = np.empty_like(table.X, dtype=float)
    X[train] = scaler.fit_transform(table.X[train])  # fit on the rows that may be labelled only
    if len(test):
        X[test] = scaler.transform(table.X[test])
    model = ClusterPropagation(k, settings["fraction"], random_state=seed).fit(X[train])

    known = read_label_file(datasets.resolve(settings["label_file"]), table) if settings["label_file"] else {}
    held_out = set(test.tolist())
    ignored = sorted(r for r in known if r in held_out)
    known = {r: v for r, v in known.items() if r not in held_out}
    representatives = train[model.representatives_]
    for cluster, row in enumerate(representatives):
        row = int(row)
        if row in known:
            continue
        if oracle is not None and pd.notna(oracle.iloc[row]):
            known[row] = str(oracle.iloc[row])
        elif ask is not None:
            answer = ask(table.ids.iloc[row], cluster, int((model.labels_ == cluster).sum()))
            if answer is None:
                break
            if answer:
                known[row] = answer

    frame = table.ids.copy()
    frame["split"] = "train"
    frame.loc[test, "split"] = "test"
    clusters = np.full(n, -1)
    clusters[train] = model.labels_
    if len(test):
        clusters[test] = model.kmeans_.predict(X[test])
    frame["cluster"] = clusters
    frame["expert_label"] = _full(n, np.asarray(list(known), dtype=int), list(known.values()))
    queries = table.ids.iloc[representatives].reset_index(drop=True)
    queries.insert(0, "input_row", representatives)
    queries.insert(0, "cluster", np.arange(k))
    queries["cluster_size"] = np.bincount(model.labels_, minlength=k)
    queries["label"] = [known.get(int(r), "") for r in representatives]
    write_csv(folder / "to_label.csv", queries)

    metrics = {**run_header(config, table),
               "label_few": {**{key: settings[key] for key in ("budget", "propagate", "fraction", "test_size")},
                             "split_seed": split_seed,
                             "k": k, "n_train_rows": len(train), "n_test_rows": len(test),
                             "n_expert_labels": len(known), "ignored_test_labels": len(ignored),
                             "oracle": settings["oracle"]}}
    n_classes = len({str(v) for v in known.values()})
    if n_classes < 2:  # nothing to train yet: keep what was given and say what is needed
        metrics["label_few"]["status"] = ("waiting for labels" if not known
                                          else "waiting for labels of a second class: a classifier needs two")
        metrics["figures"] = []
        write_csv(folder / "labels.csv", frame)
        return frame, metrics

    local_known = {i: known[r] for i, r in enumerate(train) if r in known}
    if settings["propagate"] == "spread":
        propagated_train = spread(X[train], local_known)
    else:
        propagated_train = model.propagate(local_known)
    propagated = _full(n, train, propagated_train)
    fit_rows = train[propagated_train != None]  # noqa: E711 (object array)
    y_fit = np.asarray([str(v) for v in propagated[fit_rows]])
    from sklearn.pipeline import Pipeline

    classifier = seed_classifier(seed).fit(X[fit_rows], y_fit)
    proba = classifier.predict_proba(X)
    frame["propagated"] = propagated
    frame["predicted"] = classifier.classes_[proba.argmax(axis=1)]
    frame["confidence"] = proba.max(axis=1)
    frame["distance_to_centre"] = np.nan
    frame.loc[train, "distance_to_centre"] = model.distance_
    is_expert = np.zeros(n, dtype=bool)
    is_expert[list(known)] = True
    is_expert[test] = True  # never suggest held-out rows
    nxt = least_certain(proba, clusters, is_expert, settings["next"])
    suggestions = table.ids.iloc[nxt].reset_index(drop=True)
    suggestions.insert(0, "input_row", nxt)
    suggestions["cluster"] = clusters[nxt]
    suggestions["predicted"] = frame["predicted"].to_numpy()[nxt]
    suggestions["confidence"] = proba.max(axis=1)[nxt]
    suggestions["label"] = ""
    write_csv(folder / "to_label_next.csv", suggestions)

    summary = metrics["label_few"]
    summary["n_propagated"] = int(len(fit_rows) - len(local_known))
    summary["classes"] = list(map(str, classifier.classes_))
    figures = []
    if truth is not None:
        score_rows = test if len(test) else np.asarray([r for r in train if r not in known])
        summary["scored_on"] = "held-out test rows" if len(test) else "training rows without an expert label"
        summary["propagated_label_accuracy"] = _accuracy(
            truth, _full(n, fit_rows, propagated[fit_rows]), np.asarray([r for r in fit_rows if r not in known]))
        summary["accuracy"] = _accuracy(truth, frame["predicted"].to_numpy(dtype=object), score_rows)
        comparison = compare_strategies(X, truth, train, score_rows, known, model, budget, seed)
        summary["comparison"] = comparison
        write_csv(folder / "comparison.csv", pd.DataFrame(comparison))
        from atomatlas.plots.label_few import strategy_bars

        figures.append(save_figure(folder, "comparison.png", strategy_bars(comparison, summary["scored_on"])))
    from atomatlas.learn.reduce import make_reducer
    from atomatlas.plots.label_few import propagation_map

    view = make_reducer("pca", {"n_components": 2}).fit_transform(X[train]) if X.shape[1] >= 2 else None
    if view is not None:
        figures.append(save_figure(folder, "map.png", propagation_map(
            view, propagated_train, model.representatives_, title=f"{len(known)} expert labels, "
            f"{summary['n_propagated']} propagated ({settings['propagate']})")))
    metrics["figures"] = figures
    write_csv(folder / "labels.csv", frame)
    save_model(folder, {"classifier": Pipeline([("scale", scaler), ("model", classifier)])},
               {"kind": "classifier", "feature_names": table.feature_names, "id_columns": table.id_columns,
                "label_column": table.label_column, "classes": summary["classes"]})
    return frame, metrics


def _oracle_labels(column: str | None, table: Table) -> pd.Series | None:
    if column is None:
        return None
    if column in table.feature_names:
        raise AtlasError(f"oracle column {column!r} is also a feature; leave it out with --exclude {column} "
                         "(or name it with --labels).")
    if column not in table.frame.columns:
        raise AtlasError(f"{table.path}: oracle column {column!r} not found; available columns: "
                         f"{list(table.frame.columns)}.")
    return table.frame[column].reset_index(drop=True)
