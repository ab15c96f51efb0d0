"""How well a few labels go, strategy by strategy: the seed's comparison on the same rows of a label-few run.

Random rows (averaged over :data:`RANDOM_DRAWS` draws), the representatives only,
propagation to whole clusters and to the closest share of each, and label spreading;
each scored by the seed's classifier on the same held-out (or training) rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.learn.propagation import ClusterPropagation, seed_classifier, spread

RANDOM_DRAWS = 10  # the random-rows baseline is averaged over this many draws
SEED_PARTIAL_FRACTION = 0.2  # the seed's partial propagation



def accuracy(truth: pd.Series, predicted, rows: np.ndarray) -> float | None:
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
    return accuracy(truth, full(len(X), score_rows, model.predict(X[score_rows])), score_rows)


def full(n: int, rows: np.ndarray, values) -> np.ndarray:
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
    reps_labels = full(len(X), train, [known.get(r) for r in train])
    rows.append({"strategy": "representatives only", "n_training_rows": int(sum(r in known for r in representatives)),
                 "accuracy": _fit_score(X, reps_labels, representatives, truth, score_rows, seed)})
    for name, fraction in (("propagated to whole clusters", 1.0),
                           (f"propagated to the {SEED_PARTIAL_FRACTION:.0%} closest", SEED_PARTIAL_FRACTION)):
        propagated = full(len(X), train, model.propagate(local_known, fraction))
        rows.append({"strategy": name, "n_training_rows": int(sum(propagated[train] != None)),  # noqa: E711
                     "accuracy": _fit_score(X, propagated, train, truth, score_rows, seed),
                     "propagated_label_accuracy": accuracy(truth, propagated, train)})
    spread_labels = full(len(X), train, spread(X[train], local_known))
    rows.append({"strategy": "label spreading (10-NN graph)", "n_training_rows": len(train),
                 "accuracy": _fit_score(X, spread_labels, train, truth, score_rows, seed),
                 "propagated_label_accuracy": accuracy(truth, spread_labels, train)})
    return rows
