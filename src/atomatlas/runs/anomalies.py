"""The anomaly step of a run (``[anomaly]``): score every row, flag the odd ones, draw where they are.

Adds ``anomaly_score`` (higher = odder) and ``anomaly`` (1 flagged, 0 not) to labels.csv,
an ``anomaly`` block to metrics.json and ``anomaly_scores.png`` (the score distribution
with the threshold) plus ``anomaly_map.png``. The fitted detector keeps its threshold,
so ``atomatlas predict`` flags new rows by the same rule (novelty detection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.runs.folder import save_figure, write_csv
from atomatlas.runs.sections import method_toml, number, split_method

ANOMALY_KEYS = {"method": "gmm", "threshold": "percentile", "percentile": 4.0, "n_mad": 5.0}


@dataclass
class Anomaly:
    """``[anomaly]``: the detector, its parameters and the threshold rule."""

    method: str = "gmm"
    threshold: str = "percentile"
    percentile: float = 4.0
    n_mad: float = 5.0
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw) -> Anomaly:
        from atomatlas.learn.outliers import DETECTORS, THRESHOLDS

        own, params = split_method(raw, ANOMALY_KEYS, DETECTORS, "anomaly")
        if own["threshold"] not in THRESHOLDS:
            raise AtlasError(f"config: [anomaly] threshold must be one of {list(THRESHOLDS)}; "
                             f"got {own['threshold']!r}.")
        number(own["percentile"], "percentile", "anomaly", 0, 50, closed_low=False)
        number(own["n_mad"], "n_mad", "anomaly", 0, float("inf"), closed_low=False)
        return cls(**own, params=params)

    def rule(self) -> str:
        return f"top {self.percentile:g}% of scores" if self.threshold == "percentile" else f"median + {self.n_mad:g} MAD"

    def to_toml(self) -> dict:
        return method_toml({k: getattr(self, k) for k in ANOMALY_KEYS}, self.params)


def detect(section: Anomaly, seed: int, X: np.ndarray, frame: pd.DataFrame, folder: Path,
           view: np.ndarray | None = None, label_sets: dict | None = None):
    """Fit the configured detector on ``X``; add its columns to ``frame``; returns (detector, metrics, figures).

    With known labels (e.g. tags marking a defect's neighbours), ``by_label`` counts the
    flagged rows of each label value (also written as ``anomaly_by_NAME.csv``).
    """
    from atomatlas.learn.outliers import make_detector
    from atomatlas.plots.outliers import anomaly_map, score_histogram

    detector = make_detector(section.method, section.params, threshold=section.threshold,
                             percentile=section.percentile, n_mad=section.n_mad, random_state=seed).fit(X)
    frame["anomaly_score"] = detector.scores_
    frame["anomaly"] = detector.flags_.astype(int)
    metrics = {"method": section.method, "params": section.params, "threshold_rule": section.threshold,
               "rule": section.rule(), "threshold": detector.threshold_, "n_flagged": int(detector.flags_.sum()),
               "flagged_fraction": float(detector.flags_.mean()),
               "score_quantiles": dict(zip(["min", "q25", "median", "q75", "max"],
                                           np.quantile(detector.scores_, [0, 0.25, 0.5, 0.75, 1]).tolist()))}
    for name, truth in (label_sets or {}).items():
        metrics.setdefault("by_label", {})[name] = _by_label(name, truth, detector.flags_, folder)
    title = f"{section.method}: {metrics['n_flagged']} of {len(X)} rows flagged ({section.rule()})"
    figures = [save_figure(folder, "anomaly_scores.png", score_histogram(detector.scores_, detector.threshold_,
                                                                          title=title))]
    if view is not None and view.shape[1] >= 2:
        figures.append(save_figure(folder, "anomaly_map.png", anomaly_map(view, detector.scores_, detector.flags_,
                                                                          title=title)))
    return detector, metrics, figures


def _by_label(name: str, truth: pd.Series, flags: np.ndarray, folder: Path) -> dict:
    """Rows and flagged rows per label value (``anomaly_by_NAME.csv``)."""
    table = (pd.DataFrame({name: truth.astype(str).to_numpy(), "flagged": flags.astype(int)})
             .groupby(name)["flagged"].agg(rows="size", flagged="sum").reset_index())
    table["flagged_fraction"] = table["flagged"] / table["rows"]
    write_csv(folder / f"anomaly_by_{name}.csv", table)
    return table.set_index(name).to_dict(orient="index")

