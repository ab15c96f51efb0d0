"""A table-classifier run (``atomatlas fit-classifier``, recipe section ``[table_classifier]``).

Stratified cross-validated (or held-out) scores, a classification report, a confusion
matrix, the decision boundary for two inputs, and the classifier refit on every row,
saved for ``atomatlas predict``. Not the crystal-structure CNN (runs/crystal_cnn.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.io.models import save_model
from atomatlas.io.tables import Table
from atomatlas.learn.registry import library_refusals
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.sections import (Data, RunHeader, Step, check_keys, header, method_toml, number, reduce_step, scale_step,
                                     split_method)
from atomatlas.runs.flow import check_components, run_header

CLASSIFIER_KEYS = {"method": "logistic", "folds": 5, "test_size": 0.0}
SECTION = "table_classifier"
OLD_SECTION = "classify"  # the name before 0.2 (it read as the crystal command); still accepted


@dataclass
class Classifier:
    """``[table_classifier]``: the classifier, its parameters and how it is scored."""

    method: str = "logistic"
    folds: int = 5
    test_size: float = 0.0  # > 0: score on a held-out split instead of cross-validation
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw) -> Classifier:
        from atomatlas.learn.supervised import CLASSIFIERS

        own, params = split_method(raw, CLASSIFIER_KEYS, CLASSIFIERS, SECTION)
        number(own["test_size"], "test_size", SECTION, 0, 0.9)
        return cls(**own, params=params)

    def to_toml(self) -> dict:
        return method_toml({k: getattr(self, k) for k in CLASSIFIER_KEYS}, self.params)


@dataclass(kw_only=True)
class ClassifierRun(RunHeader):
    name: str = "fit-classifier"
    data: Data
    scale: Step
    reduce: Step | None = None
    classifier: Classifier

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> ClassifierRun:
        check_keys(raw, {"name", "description", "seed", "data", "scale", "reduce", SECTION, OLD_SECTION}, "top level")
        if raw.get("data") is None:
            raise AtlasError("config: a table classifier needs a [data] section with a path.")
        section = raw.get(SECTION, raw.get(OLD_SECTION))
        return cls(**header(raw), data=Data.parse(raw["data"], base), scale=scale_step(raw.get("scale")),
                   reduce=reduce_step(raw.get("reduce")), classifier=Classifier.parse(section))

    def to_toml(self) -> dict:
        out = {**self.header_toml(), "data": self.data.to_toml(),
               "scale": self.scale.to_toml(), SECTION: self.classifier.to_toml()}
        if self.reduce is not None:
            out["reduce"] = self.reduce.to_toml()
        return out


def run(config: ClassifierRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    table = config.data.read()
    if table.label_column is None:
        raise AtlasError(f"{table.path}: a classifier needs a label column; pass --labels COLUMN.")
    check_components(config.reduce, len(table), len(table.feature_names))
    with folder as tmp:
        labels, metrics = fit(config, table, tmp)
        write_record(tmp, "table classifier", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


def _pipeline(config: ClassifierRun):
    """scale (-> reduce, refit inside every CV fold) -> classifier."""
    from sklearn.pipeline import Pipeline

    from atomatlas.learn.reduce import make_reducer
    from atomatlas.learn.scale import make_scaler
    from atomatlas.learn.supervised import make_classifier

    steps = [("scale", make_scaler(config.scale.method, config.scale.params))]
    if config.reduce is not None:
        steps.append(("reduce", make_reducer(config.reduce.method, config.reduce.params, random_state=config.seed)))
    classifier = config.classifier
    return Pipeline([*steps, ("model", make_classifier(classifier.method, classifier.params,
                                                       random_state=config.seed))])


def _score(config: ClassifierRun, model, table: Table, y: np.ndarray, frame: pd.DataFrame) -> tuple[dict, str]:
    """Cross-validated or held-out scores; the model ends fitted (on everything, or on the training split)."""
    from atomatlas.learn.supervised import check_against_data, check_folds, cross_validate, holdout

    classifier = config.classifier
    if not classifier.test_size:
        check_folds(y, classifier.folds)
    check_against_data(classifier.method, classifier.params, y, folds=classifier.folds,
                       test_size=classifier.test_size)
    with library_refusals("classifier", classifier.method, classifier.params):
        if classifier.test_size:  # the seed's protocol: fit on a split, score the held-out rows, keep that model
            cv = holdout(model, table.X, y, test_size=classifier.test_size, random_state=config.seed)
            frame["split"] = "train"
            frame.loc[cv["test_rows"], "split"] = "test"
            frame["predicted"] = model.predict(table.X)
            return cv, f"held-out accuracy ({len(cv['test_rows'])} rows)"
        cv = cross_validate(model, table.X, y, n_splits=classifier.folds, random_state=config.seed)
        model.fit(table.X, y)
    frame["cv_predicted"] = cv["predicted"]
    return cv, "cross-validated accuracy"


def fit(config: ClassifierRun, table: Table, folder: Path) -> tuple[pd.DataFrame, dict]:
    """Score, refit, draw and save the classifier; returns (labels frame, metrics)."""
    from atomatlas.plots.evaluate import confusion

    classifier = config.classifier
    y = table.labels.astype(str).to_numpy()
    model = _pipeline(config)
    frame = table.ids.copy()
    frame[table.label_column] = y
    cv, scored = _score(config, model, table, y, frame)
    (folder / "classification_report.txt").write_text(cv["report_text"])
    write_csv(folder / "confusion.csv", cv["confusion"].rename_axis("class").reset_index())
    figures = [save_figure(folder, "confusion.png", confusion(
        cv["confusion"], title=f"{classifier.method}: {scored} {cv['accuracy']:.3f}", xlabel="predicted",
        ylabel="true"))]
    figures += _decision_boundary(config, model, table, y, folder, f"{scored} {cv['accuracy']:.3f}")
    metrics = {**run_header(config, table),
               "classify": {"method": classifier.method, "params": classifier.params, "folds": classifier.folds,
                            "classes": cv["classes"]},
               "holdout" if classifier.test_size else "cross_validation": {
                   "accuracy": cv["accuracy"], "f1_weighted": cv["f1_weighted"], "report": cv["report"]},
               "figures": figures}
    _tuning(model.named_steps["model"], metrics, folder)
    write_csv(folder / "labels.csv", frame)
    save_model(folder, {"classifier": model},
               {"kind": "classifier", "feature_names": table.feature_names, "id_columns": table.id_columns,
                "label_column": table.label_column, "classes": list(map(str, model.classes_))})
    return frame, metrics


def _decision_boundary(config: ClassifierRun, model, table: Table, y, folder: Path, scored: str) -> list[str]:
    """Two inputs (features or a 2-D reduction): draw the class regions."""
    from atomatlas.plots.decision import decision_boundary

    inputs = model[:-1].transform(table.X)  # what the classifier itself sees
    if inputs.shape[1] != 2:
        return []
    names = table.feature_names if config.reduce is None else [f"{config.reduce.method} {i}" for i in (1, 2)]
    return [save_figure(folder, "decision_boundary.png", decision_boundary(
        model[-1], inputs, y, title=f"{config.classifier.method} ({scored})", axis_names=names))]


def _tuning(estimator, metrics: dict, folder: Path) -> None:
    """What the classifier tuned itself: LogisticRegressionCV's C, a grid search over k."""
    from atomatlas.plots.evaluate import grid_scores

    if hasattr(estimator, "C_"):
        metrics["classify"]["chosen_C"] = np.atleast_1d(estimator.C_).tolist()
    if not hasattr(estimator, "best_params_"):
        return
    results = pd.DataFrame(estimator.cv_results_)
    param = next(iter(estimator.best_params_))
    metrics["classify"]["grid_search"] = {"best": estimator.best_params_,
                                          "values": results[f"param_{param}"].astype(float).tolist(),
                                          "mean_accuracy": results["mean_test_score"].tolist(),
                                          "std_accuracy": results["std_test_score"].tolist()}
    metrics["figures"].append(save_figure(folder, "grid_search.png", grid_scores(
        metrics["classify"]["grid_search"], param.split("__")[-1])))
