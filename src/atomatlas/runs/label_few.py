"""A label-few run: cluster, ask for the representatives' labels, propagate, train, say what to label next.

Labels come from a label file (the table's id columns + ``label``), an interactive
prompt, or (for benchmarks) an ``oracle`` column that stands in for the expert. With no
labels at all the run writes ``to_label.csv`` (the representatives) and stops there.
When true labels are known (``--labels`` or the oracle) the run also compares the
seed's strategies on the same rows (runs/label_strategies.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.io.models import save_model
from atomatlas.io.tables import Table
from atomatlas.learn.propagation import ClusterPropagation, least_certain, seed_classifier, spread
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.flow import run_header
from atomatlas.runs.label_strategies import accuracy, compare_strategies, full
from atomatlas.runs.sections import Data, RunHeader, Step, check_keys, header, input_path, number, scale_step

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


LABEL_FEW_KEYS = {"budget": None, "k": None, "propagate": "cluster", "fraction": 1.0, "oracle": None,
                  "label_file": None, "test_size": 0.0, "split_seed": None, "next": 10}


@dataclass
class LabelFew:
    """``[label_few]``: the labelling budget, where labels come from, how they spread, what to score on."""

    budget: int
    k: int | None = None  # clusters = rows asked about (default: the budget)
    propagate: str = "cluster"  # "cluster" (to whole clusters) or "spread" (label spreading)
    fraction: float = 1.0  # share of each cluster, closest to its centre, that takes the label
    oracle: str | None = None  # benchmarks: the column that answers the questions
    label_file: str | None = None
    test_size: float = 0.0
    split_seed: int | None = None
    next: int = 10  # rows suggested for labelling next

    @classmethod
    def parse(cls, raw, base: Path | None) -> LabelFew:
        from atomatlas.learn.propagation import PROPAGATIONS

        check_keys(raw, LABEL_FEW_KEYS, "label_few")
        out = {**LABEL_FEW_KEYS, **raw}
        if out["budget"] is None:
            raise AtlasError("config: [label_few] needs budget = N (how many rows an expert will label).")
        number(out["budget"], "budget", "label_few", 1, float("inf"), integer=True)
        for key in ("k", "split_seed"):
            if out[key] is not None:
                number(out[key], key, "label_few", 0 if key == "split_seed" else 1, float("inf"), integer=True)
        number(out["fraction"], "fraction", "label_few", 0, 1, closed_low=False)
        number(out["test_size"], "test_size", "label_few", 0, 0.9)
        number(out["next"], "next", "label_few", 0, float("inf"), integer=True)
        if out["propagate"] not in PROPAGATIONS:
            raise AtlasError(f"config: [label_few] propagate must be one of {list(PROPAGATIONS)}; "
                             f"got {out['propagate']!r}.")
        if out["label_file"] is not None:
            out["label_file"] = input_path(out["label_file"], base, "[label_few] label_file")
        return cls(**out)

    def to_toml(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(kw_only=True)
class LabelFewRun(RunHeader):
    name: str = "label-few"
    data: Data
    scale: Step
    label_few: LabelFew

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> LabelFewRun:
        check_keys(raw, {"name", "description", "seed", "data", "scale", "label_few"}, "top level")
        if raw.get("data") is None:
            raise AtlasError("config: [label_few] works on a [data] table.")
        return cls(**header(raw), data=Data.parse(raw["data"], base), scale=scale_step(raw.get("scale")),
                   label_few=LabelFew.parse(raw["label_few"], base))

    def to_toml(self) -> dict:
        return {**self.header_toml(), "data": self.data.to_toml(),
                "scale": self.scale.to_toml(), "label_few": self.label_few.to_toml()}


def run(config: LabelFewRun, out, *, overwrite: bool = False, progress: bool = False,
        ask: Callable | None = None) -> RunResult:
    """``ask(ids, cluster, size)`` answers the questions interactively (None: no more answers)."""
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    table = config.data.read()
    with folder as tmp:
        labels, metrics = fit(config, table, tmp, ask=ask)
        write_record(tmp, "label few", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


@dataclass
class _Rows:
    """The rows of a label-few run: which may be labelled (train) or only scored (test), scaled."""

    X: np.ndarray
    train: np.ndarray
    test: np.ndarray
    scaler: object
    model: ClusterPropagation


def _prepare(config: LabelFewRun, table: Table) -> _Rows:
    """Split, scale on the rows that may be labelled, cluster them into k = budget (or k) clusters."""
    from atomatlas.learn.scale import make_scaler

    settings, seed = config.label_few, config.seed
    split_seed = seed if settings.split_seed is None else settings.split_seed
    train, test = _split(len(table), settings.test_size, split_seed)
    k = settings.k or settings.budget
    if settings.budget > len(train):
        raise AtlasError(f"--budget {settings.budget} is larger than the {len(train)} rows that can be labelled; "
                         "lower --budget.")
    if k > settings.budget:
        raise AtlasError(f"k ({k}) asks for more representatives than the budget ({settings.budget}) allows; "
                         "lower --k or raise --budget.")
    scaler = make_scaler(config.scale.method, config.scale.params)
    X = np.empty_like(table.X, dtype=float)
    X[train] = scaler.fit_transform(table.X[train])  # fit on the rows that may be labelled only
    if len(test):
        X[test] = scaler.transform(table.X[test])
    model = ClusterPropagation(k, settings.fraction, random_state=seed).fit(X[train])
    return _Rows(X=X, train=train, test=test, scaler=scaler, model=model)


def _gather_labels(settings: LabelFew, table: Table, rows: _Rows, oracle, ask) -> tuple[dict[int, str], int]:
    """{input row: label} (the label file's, then the oracle's or the expert's answer for each representative),
    and how many of the file's labels were on held-out rows (ignored)."""
    given = read_label_file(datasets.resolve(settings.label_file), table) if settings.label_file else {}
    held_out = set(rows.test.tolist())
    known = {r: v for r, v in given.items() if r not in held_out}
    for cluster, row in enumerate(rows.train[rows.model.representatives_]):
        row = int(row)
        if row in known:
            continue
        if oracle is not None and pd.notna(oracle.iloc[row]):
            known[row] = str(oracle.iloc[row])
        elif ask is not None:
            answer = ask(table.ids.iloc[row], cluster, int((rows.model.labels_ == cluster).sum()))
            if answer is None:
                break
            if answer:
                known[row] = answer
    return known, len(given) - sum(r not in held_out for r in given)


def _questions(table: Table, rows: _Rows, known: dict, folder: Path) -> pd.DataFrame:
    """The per-row frame (split, cluster, expert label); writes to_label.csv (the representatives to ask about)."""
    n, k = len(table), rows.model.n_clusters
    frame = table.ids.copy()
    frame["split"] = "train"
    frame.loc[rows.test, "split"] = "test"
    clusters = np.full(n, -1)
    clusters[rows.train] = rows.model.labels_
    if len(rows.test):
        clusters[rows.test] = rows.model.predict(rows.X[rows.test])
    frame["cluster"] = clusters
    frame["expert_label"] = full(n, np.asarray(list(known), dtype=int), list(known.values()))
    representatives = rows.train[rows.model.representatives_]
    queries = table.ids.iloc[representatives].reset_index(drop=True)
    queries.insert(0, "input_row", representatives)
    queries.insert(0, "cluster", np.arange(k))
    queries["cluster_size"] = np.bincount(rows.model.labels_, minlength=k)
    queries["label"] = [known.get(int(r), "") for r in representatives]
    write_csv(folder / "to_label.csv", queries)
    return frame


def fit(config: LabelFewRun, table: Table, folder: Path, ask: Callable | None = None):
    """Write a label-few run into ``folder``; returns (labels frame, metrics)."""
    settings = config.label_few
    rows = _prepare(config, table)
    oracle = _oracle_labels(settings.oracle, table)
    known, ignored = _gather_labels(settings, table, rows, oracle, ask)
    frame = _questions(table, rows, known, folder)
    metrics = {**run_header(config, table),
               "label_few": {"budget": settings.budget, "propagate": settings.propagate,
                             "fraction": settings.fraction, "test_size": settings.test_size,
                             "split_seed": config.seed if settings.split_seed is None else settings.split_seed,
                             "k": rows.model.n_clusters, "n_train_rows": len(rows.train),
                             "n_test_rows": len(rows.test), "n_expert_labels": len(known),
                             "ignored_test_labels": ignored, "oracle": settings.oracle}}
    if len({str(v) for v in known.values()}) < 2:  # nothing to train yet: keep what was given, say what is needed
        metrics["label_few"]["status"] = ("waiting for labels" if not known
                                          else "waiting for labels of a second class: a classifier needs two")
        metrics["figures"] = []
        write_csv(folder / "labels.csv", frame)
        return frame, metrics
    classifier, propagated = _propagate_and_train(config, table, rows, known, frame, folder)
    summary = metrics["label_few"]
    summary["n_propagated"] = int(sum(v is not None for v in propagated[rows.train]) - len(known))
    summary["classes"] = list(map(str, classifier.classes_))
    truth = table.labels if table.label_column is not None else oracle
    figures = _score(config, rows, known, propagated, truth, frame, summary, folder) if truth is not None else []
    figures += _propagation_figure(config, rows, known, propagated, summary, folder)
    metrics["figures"] = figures
    write_csv(folder / "labels.csv", frame)
    return frame, metrics


def _propagate_and_train(config: LabelFewRun, table: Table, rows: _Rows, known: dict, frame: pd.DataFrame,
                         folder: Path):
    """Spread the labels, train the seed's classifier on them, suggest rows to label next, save the model."""
    from sklearn.pipeline import Pipeline

    settings, train, n = config.label_few, rows.train, len(table)
    local_known = {i: known[r] for i, r in enumerate(train) if r in known}
    propagated_train = (spread(rows.X[train], local_known) if settings.propagate == "spread"
                        else rows.model.propagate(local_known))
    propagated = full(n, train, propagated_train)
    fit_rows = train[propagated_train != None]  # noqa: E711 (object array)
    classifier = seed_classifier(config.seed).fit(rows.X[fit_rows], np.asarray([str(v) for v in propagated[fit_rows]]))
    proba = classifier.predict_proba(rows.X)
    frame["propagated"] = propagated
    frame["predicted"] = classifier.classes_[proba.argmax(axis=1)]
    frame["confidence"] = proba.max(axis=1)
    frame["distance_to_centre"] = np.nan
    frame.loc[train, "distance_to_centre"] = rows.model.distance_
    is_expert = np.zeros(n, dtype=bool)
    is_expert[list(known)] = True
    is_expert[rows.test] = True  # never suggest held-out rows
    nxt = least_certain(proba, frame["cluster"].to_numpy(), is_expert, settings.next)
    suggestions = table.ids.iloc[nxt].reset_index(drop=True)
    suggestions.insert(0, "input_row", nxt)
    suggestions["cluster"] = frame["cluster"].to_numpy()[nxt]
    suggestions["predicted"] = frame["predicted"].to_numpy()[nxt]
    suggestions["confidence"] = proba.max(axis=1)[nxt]
    suggestions["label"] = ""
    write_csv(folder / "to_label_next.csv", suggestions)
    save_model(folder, {"classifier": Pipeline([("scale", rows.scaler), ("model", classifier)])},
               {"kind": "classifier", "feature_names": table.feature_names, "id_columns": table.id_columns,
                "label_column": table.label_column, "classes": list(map(str, classifier.classes_))})
    return classifier, propagated


def _score(config: LabelFewRun, rows: _Rows, known: dict, propagated, truth: pd.Series, frame: pd.DataFrame,
           summary: dict, folder: Path) -> list[str]:
    """With true labels: accuracy of the classifier and of the propagated labels, and the seed's strategies."""
    from atomatlas.plots.propagation import strategy_bars

    train, test = rows.train, rows.test
    score_rows = test if len(test) else np.asarray([r for r in train if r not in known])
    fit_rows = np.asarray([r for r in train if propagated[r] is not None])
    summary["scored_on"] = "held-out test rows" if len(test) else "training rows without an expert label"
    summary["propagated_label_accuracy"] = accuracy(
        truth, propagated, np.asarray([r for r in fit_rows if r not in known]))
    summary["accuracy"] = accuracy(truth, frame["predicted"].to_numpy(dtype=object), score_rows)
    comparison = compare_strategies(rows.X, truth, train, score_rows, known, rows.model, config.label_few.budget,
                                    config.seed)
    summary["comparison"] = comparison
    write_csv(folder / "comparison.csv", pd.DataFrame(comparison))
    return [save_figure(folder, "comparison.png", strategy_bars(comparison, summary["scored_on"]))]


def _propagation_figure(config: LabelFewRun, rows: _Rows, known: dict, propagated, summary: dict,
                        folder: Path) -> list[str]:
    from atomatlas.learn.reduce import make_reducer
    from atomatlas.plots.propagation import propagation_map

    if rows.X.shape[1] < 2:
        return []
    view = make_reducer("pca", {"n_components": 2}).fit_transform(rows.X[rows.train])
    return [save_figure(folder, "map.png", propagation_map(
        view, propagated[rows.train], rows.model.representatives_,
        title=f"{len(known)} expert labels, {summary['n_propagated']} propagated ({config.label_few.propagate})"))]


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
