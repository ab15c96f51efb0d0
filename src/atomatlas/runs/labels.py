"""The label sets a run is scored against, and the scores, contingency tables and confusion figures it writes.

Labels only score a clustering: they never choose or fit anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.evaluate import contingency, evaluate_clusters, transform_labels
from atomatlas.io.tables import Table, join_labels
from atomatlas.runs.folder import save_figure, write_csv


def collect_labels(evaluate: list, table: Table) -> dict[str, pd.Series]:
    """Every label set to score against, aligned with the table's rows (NaN = unlabelled).

    The table's own label column comes first, then each ``[[evaluate]]`` entry.
    """
    labels = {}
    if table.label_column is not None:
        labels[table.label_column] = table.labels
    for entry in evaluate:
        if entry.labels is None:
            if entry.column not in table.frame.columns:
                raise AtlasError(f"{table.path}: label column {entry.column!r} not found; available columns: "
                                 f"{list(table.frame.columns)}.")
            series = table.frame[entry.column].reset_index(drop=True)
        else:
            series = join_labels(table, datasets.resolve(entry.labels), on=list(entry.on), column=entry.column)
        labels[entry.name] = transform_labels(series, entry.transform)
    return labels


def evaluate_all(label_sets: dict, predicted: np.ndarray, folder: Path, prefix: str = "") -> dict:
    """Scores against every label set; writes ``contingency_NAME.csv`` and ``confusion_NAME.png`` for each."""
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
