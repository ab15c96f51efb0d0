"""Decision boundary of any classifier on two features (or a 2-D embedding)."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours, new_figure


def decision_boundary(classifier, X, y, title: str = "decision boundary", axis_names=("x1", "x2"),
                      resolution: int = 200):
    """Class regions of a fitted 2-input classifier, with the rows on top."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    classes = list(classifier.classes_)
    colours = cluster_colours(len(classes))
    fig, ax = new_figure(6.0, 5.0)
    if hasattr(classifier, "predict_proba"):
        proba = classifier.predict_proba(grid)
        winner = proba.argmax(axis=1).reshape(gx.shape)
        confidence = proba.max(axis=1).reshape(gx.shape)
    else:
        winner = np.searchsorted(classes, classifier.predict(grid)).reshape(gx.shape)
        confidence = np.ones_like(gx)
    image = np.zeros(gx.shape + (4,))
    for k, colour in enumerate(colours):
        image[winner == k] = colour
    image[..., 3] = 0.15 + 0.35 * (confidence - confidence.min()) / max(np.ptp(confidence), 1e-12)
    ax.imshow(image, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto")
    if len(classes) == 2 and hasattr(classifier, "predict_proba"):
        ax.contour(gx, gy, proba[:, 1].reshape(gx.shape), levels=[0.5], colors="black", linewidths=1)
    for k, (name, colour) in enumerate(zip(classes, colours)):
        rows = y == name
        ax.scatter(X[rows, 0], X[rows, 1], s=14, color=colour, edgecolor="black", lw=0.3, label=str(name))
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig
