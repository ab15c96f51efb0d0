"""The anomaly step of a run: score every row, flag the odd ones, draw where they are.

Adds ``anomaly_score`` (higher = odder) and ``anomaly`` (1 flagged, 0 not) to labels.csv,
an ``anomaly`` block to metrics.json and ``anomaly_scores.png`` (the score distribution
with the threshold) plus ``anomaly_map.png``. The fitted detector keeps its threshold,
so ``atomatlas predict`` flags new rows by the same rule (novelty detection).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.runfiles import save_figure, write_csv


def detect(config: dict, X: np.ndarray, frame: pd.DataFrame, folder: Path, view: np.ndarray | None = None,
           label_sets: dict | None = None):
    """Fit the configured detector on ``X``; add its columns to ``frame``; returns (detector, metrics, figures).

    With known labels (e.g. tags marking a defect's neighbours), ``by_label`` counts the
    flagged rows of each label value (also written as ``anomaly_by_NAME.csv``).
    """
    from atomatlas.learn.anomaly import AnomalyDetector
    from atomatlas.plots.anomaly import anomaly_map, score_histogram

    section = config["anomaly"]
    detector = AnomalyDetector(section["method"], section["params"], threshold=section["threshold"],
                               percentile=section["percentile"], n_mad=section["n_mad"],
                               random_state=config["seed"]).fit(X)
    frame["anomaly_score"] = detector.scores_
    frame["anomaly"] = detector.flags_.astype(int)
    rule = (f"top {section['percentile']:g}% of scores" if section["threshold"] == "percentile"
            else f"median + {section['n_mad']:g} MAD")
    metrics = {"method": section["method"], "params": section["params"], "threshold_rule": section["threshold"],
               "rule": rule, "threshold": detector.threshold_, "n_flagged": int(detector.flags_.sum()),
               "flagged_fraction": float(detector.flags_.mean()),
               "score_quantiles": dict(zip(["min", "q25", "median", "q75", "max"],
                                           np.quantile(detector.scores_, [0, 0.25, 0.5, 0.75, 1]).tolist()))}
    for name, truth in (label_sets or {}).items():
        table = (pd.DataFrame({name: truth.astype(str).to_numpy(), "flagged": detector.flags_.astype(int)})
                 .groupby(name)["flagged"].agg(rows="size", flagged="sum").reset_index())
        table["flagged_fraction"] = table["flagged"] / table["rows"]
        write_csv(folder / f"anomaly_by_{name}.csv", table)
        metrics.setdefault("by_label", {})[name] = table.set_index(name).to_dict(orient="index")
    title = f"{section['method']}: {metrics['n_flagged']} of {len(X)} rows flagged ({rule})"
    figures = [save_figure(folder, "anomaly_scores.png", score_histogram(detector.scores_, detector.threshold_,
                                                                          title=title))]
    if view is not None and view.shape[1] >= 2:
        figures.append(save_figure(folder, "anomaly_map.png", anomaly_map(view, detector.scores_, detector.flags_,
                                                                          title=title)))
    return detector, metrics, figures


def flag_new(detector, X: np.ndarray, frame: pd.DataFrame) -> dict:
    """Score new rows with a fitted detector (its threshold unchanged); returns a metrics block."""
    scores = detector.score_samples(X)
    frame["anomaly_score"] = scores
    frame["anomaly"] = (scores > detector.threshold_).astype(int)
    return {"threshold": detector.threshold_, "n_flagged": int(frame["anomaly"].sum())}
