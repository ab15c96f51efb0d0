"""Supervised baselines on labelled tables: logistic regression (CV-tuned) and a small MLP.

Cross-validated predictions (stratified k-fold) measure how well a model generalises;
the model saved for ``predict`` is refit on all rows, as in the seminar (seed 002).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPClassifier

from atomatlas.errors import AtlasError
from atomatlas.learn.registry import Registry


def _logistic(Cs, cv, penalty, max_iter, random_state):
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    # Explicit values for defaults that scikit-learn >= 1.8 is changing (l1_ratios, scoring, attributes).
    kwargs = {"Cs": Cs, "cv": folds, "max_iter": max_iter, "random_state": random_state, "scoring": "accuracy",
              "use_legacy_attributes": False}
    if penalty == "l1":
        kwargs.update(solver="saga", l1_ratios=(1.0,))
    else:
        kwargs.update(solver="lbfgs", l1_ratios=(0.0,))
    return LogisticRegressionCV(**_only_known(kwargs))


def _only_known(kwargs):
    from atomatlas.learn.registry import accepted_kwargs

    known = accepted_kwargs(LogisticRegressionCV, kwargs)
    if kwargs.get("l1_ratios") == (1.0,) and "l1_ratios" not in known:  # older scikit-learn spells L1 as penalty
        known["penalty"] = "l1"
    return known


def _mlp(hidden_layer_sizes, alpha, max_iter, random_state):
    return MLPClassifier(hidden_layer_sizes=tuple(hidden_layer_sizes), alpha=alpha, max_iter=max_iter,
                         random_state=random_state)


CLASSIFIERS = Registry("classifier")
CLASSIFIERS.add("logistic", "logistic regression, regularisation chosen by stratified CV (LogisticRegressionCV)",
                _logistic, defaults={"Cs": 10, "cv": 5, "penalty": "l2", "max_iter": 5000},
                choices={"penalty": ("l1", "l2")})
CLASSIFIERS.add("mlp", "small multi-layer perceptron (scikit-learn MLPClassifier)", _mlp,
                defaults={"hidden_layer_sizes": [32, 16], "alpha": 1e-3, "max_iter": 2000})


def _torch_mlp(hidden_layer_sizes, epochs, batch_size, learning_rate, weight_decay, random_state):
    from atomatlas.learn.nn.mlp import TorchMLPClassifier

    return TorchMLPClassifier(hidden_layer_sizes=tuple(hidden_layer_sizes), epochs=epochs, batch_size=batch_size,
                              learning_rate=learning_rate, weight_decay=weight_decay, random_state=random_state)


CLASSIFIERS.add("torch_mlp", "small ReLU MLP trained with PyTorch (seed 003)", _torch_mlp,
                defaults={"hidden_layer_sizes": [16, 16], "epochs": 300, "batch_size": 32, "learning_rate": 0.01,
                          "weight_decay": 1e-4}, requires="torch, the nn extra")


def _logistic_ovr(C, max_iter, random_state):
    from atomatlas.learn.propagation import seed_classifier

    model = seed_classifier(random_state)
    model.estimator.set_params(C=C, max_iter=max_iter)
    return model


CLASSIFIERS.add("logistic_ovr", "one-vs-rest logistic regression with a fixed C (seed 004's baseline)",
                _logistic_ovr, defaults={"C": 1.0, "max_iter": 5000})


def _kmeans_logistic(k, cv, C, max_iter, n_jobs, random_state):
    """Rows -> distances to k KMeans centroids -> one-vs-rest logistic regression; k tuned by CV if a list."""
    from sklearn.cluster import KMeans
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    ks = [int(v) for v in k]
    if not ks or min(ks) < 1:
        raise AtlasError(f"kmeans_logistic: k must be a list of positive cluster counts, e.g. [50] or "
                         f"[20, 50, 90]; got {k!r}.")
    pipeline = Pipeline([("kmeans", KMeans(n_clusters=ks[0], n_init=10, random_state=random_state)),
                         ("log_reg", _logistic_ovr(C, max_iter, random_state))])
    if len(ks) == 1:
        return pipeline
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    return GridSearchCV(pipeline, {"kmeans__n_clusters": ks}, cv=folds, n_jobs=n_jobs)


CLASSIFIERS.add("kmeans_logistic", "KMeans distances as features, then logistic regression; k from a list "
                "by cross-validated grid search (seed 004's clustering as preprocessing)", _kmeans_logistic,
                defaults={"k": [50], "cv": 3, "C": 1.0, "max_iter": 5000, "n_jobs": 1})


def make_classifier(method: str, params: dict | None = None, random_state=None):
    return CLASSIFIERS[method].make(params, random_state=random_state)


def check_folds(y: np.ndarray, n_splits: int) -> None:
    """Stratified k-fold needs every class at least ``n_splits`` times."""
    if n_splits < 2:
        raise AtlasError(f"--folds must be at least 2; got {n_splits}.")
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        raise AtlasError(f"a classifier needs at least 2 classes; the label column has only {counts.index[0]!r}.")
    if counts.min() < n_splits:
        raise AtlasError(f"class {counts.idxmin()!r} has only {counts.min()} row(s), fewer than --folds {n_splits}; "
                         f"lower --folds to {max(2, counts.min())} or add rows.")


def check_against_data(method: str, params: dict, y: np.ndarray, *, folds: int, test_size: float) -> None:
    """Refuse parameters the data cannot support, before any fit (inner CV folds, KMeans k).

    Each model is fit on an outer training part: (folds - 1) / folds of the rows under
    cross-validation, 1 - test_size with a held-out split. Inner cross-validation then
    needs every class at least ``cv`` times in that part, and KMeans at least k rows in
    each inner training part.
    """
    counts = pd.Series(y).value_counts()
    share = (1 - test_size) if test_size else (folds - 1) / folds
    smallest = int(np.floor(counts.min() * share))
    rows = int(np.floor(len(y) * share))
    merged = CLASSIFIERS[method].check_params(params)
    cv = merged.get("cv")
    if method == "kmeans_logistic" and len(merged["k"]) < 2:
        cv = None  # one k: no grid search, no inner folds
    if cv is not None and cv > smallest:
        raise AtlasError(f"classifier {method!r}: cv={cv} inner folds need every class {cv} times in each training "
                         f"part, but class {counts.idxmin()!r} has only about {smallest} there "
                         f"({counts.min()} rows in all); lower --param cv to {max(2, smallest)} or add rows.")
    if method == "kmeans_logistic":
        inner = int(np.floor(rows * (merged["cv"] - 1) / merged["cv"])) if len(merged["k"]) > 1 else rows
        too_big = [k for k in merged["k"] if isinstance(k, (int, float)) and k > inner]
        if too_big:
            raise AtlasError(f"classifier 'kmeans_logistic': k={max(too_big)} clusters need at least that many rows, "
                             f"but each KMeans is fit on about {inner} rows; use k values up to {inner}.")


def cross_validate(model, X: np.ndarray, y: np.ndarray, *, n_splits: int = 5, random_state=0) -> dict:
    """Stratified cross-validated predictions and their scores."""
    check_folds(y, n_splits)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return score_predictions(y, cross_val_predict(model, X, y, cv=folds))


def holdout(model, X: np.ndarray, y: np.ndarray, *, test_size: float, random_state=0) -> dict:
    """Fit on a split of the rows, score on the rest (the seed's train_test_split); the model stays fitted."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    train, test = train_test_split(rows, test_size=test_size, random_state=random_state)
    model.fit(X[train], y[train])
    return {**score_predictions(y[test], model.predict(X[test])), "train_rows": train, "test_rows": test}


def score_predictions(y, predicted) -> dict:
    """Accuracy, weighted F1, the report and the confusion table of ``predicted`` against ``y``."""
    classes = sorted(pd.unique(np.concatenate([y, predicted])).tolist(), key=str)
    return {
        "predicted": predicted,
        "classes": classes,
        "accuracy": float(accuracy_score(y, predicted)),
        "f1_weighted": float(f1_score(y, predicted, average="weighted")),
        "report": classification_report(y, predicted, output_dict=True, zero_division=0),
        "report_text": classification_report(y, predicted, zero_division=0),
        "confusion": pd.DataFrame(confusion_matrix(y, predicted, labels=classes), index=classes, columns=classes),
    }
