"""Figures of crystal classification: training curves, a fingerprint with its attention map, robustness."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import new_figure


def training_curves(history: list[dict]):
    fig, ax = new_figure(6.0, 3.8)
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["loss"] for h in history], "o-", label="training loss")
    if "val_loss" in history[0]:
        ax.plot(epochs, [h["val_loss"] for h in history], "s-", label="validation loss")
        twin = ax.twinx()
        twin.plot(epochs, [h["val_accuracy"] for h in history], "^--", color="#55a868", label="validation accuracy")
        twin.set_ylabel("validation accuracy")
        twin.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.legend(loc="center right")
    return fig


def fingerprint_image(fingerprint: np.ndarray) -> np.ndarray:
    """(3, n, n) channels as an RGB image, brightened (peaks are sparse)."""
    return np.clip(np.transpose(fingerprint, (1, 2, 0)) ** 0.5, 0, 1)


def attention_figure(fingerprint: np.ndarray, cam: np.ndarray, title: str):
    fig, axes = new_figure(7.0, 3.6, ncols=2)
    axes[0].imshow(fingerprint_image(fingerprint), interpolation="nearest")
    axes[0].set_title("diffraction fingerprint (RGB = x, y, z)", fontsize=9)
    axes[1].imshow(fingerprint_image(fingerprint).mean(axis=2), cmap="gray", interpolation="nearest")
    axes[1].imshow(cam, cmap="inferno", alpha=0.55, interpolation="bilinear")
    axes[1].set_title("class activation (Grad-CAM)", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return fig


def robustness(table, x: str, xlabel: str, title: str):
    """Accuracy of each method against one defect parameter (table columns: method, x, accuracy)."""
    fig, ax = new_figure(6.0, 4.0)
    markers = iter("osD^v<>")
    for method, part in table.groupby("method", sort=False):
        ax.plot(100 * part[x], part["accuracy"], marker=next(markers), label=method)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return fig
