"""A segmentation run: image -> pixel features -> clusters -> phases, their area fractions and pictures.

Writes ``segmented.png`` (each pixel in its phase's mean colour, as in seed 004),
``phases.png`` (a distinct colour per phase), ``segmentation.png`` (original, segmented
and phase map side by side with the area fractions), ``phases.csv`` (phase, pixels,
area fraction, mean colour), ``labels.csv`` (y, x, cluster for every pixel),
``metrics.json`` and ``config.toml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.runfiles import save_figure, write_csv

IMAGE_KEYS = {"path": None, "texture": 0, "position_weight": 0.0, "sample": 20000, "smooth": 3}


def normalise_image(section: dict, base: Path | None) -> dict:
    from atomatlas import datasets
    from atomatlas.recipes.schema import _check_keys, _number

    _check_keys(section, IMAGE_KEYS, "image")
    out = {**IMAGE_KEYS, **section}
    if not isinstance(out["path"], str) or not out["path"]:
        raise AtlasError(f"config: [image] path must be an image file (or dataset:NAME); got {out['path']!r}.")
    out["path"] = datasets.input_spec(out["path"], base)
    _number(out, "texture", "image", 0, 101, integer=True)
    if out["texture"] == 1 or (out["texture"] and out["texture"] % 2 == 0):
        raise AtlasError(f"config: [image] texture is a window width in pixels: an odd number >= 3, or 0 for "
                         f"none; got {out['texture']}.")
    _number(out, "position_weight", "image", 0, float("inf"))
    _number(out, "smooth", "image", 0, 101, integer=True)
    if out["smooth"] == 1 or (out["smooth"] and out["smooth"] % 2 == 0):
        raise AtlasError(f"config: [image] smooth is a majority-filter window in pixels: an odd number >= 3, "
                         f"or 0 for none; got {out['smooth']}.")
    _number(out, "sample", "image", 100, float("inf"), integer=True)
    return out


def run_segment(config: dict, folder: Path, progress: bool = False):
    """Segment ``config['image']`` with ``config['cluster']``; returns (labels frame, metrics)."""
    from atomatlas import __version__
    from atomatlas.io.images import is_grey, read_image, write_png
    from atomatlas.learn.cluster import AtlasCluster
    from atomatlas.learn.segment import majority_filter, order_by_brightness, pixel_features, sample_rows
    from atomatlas.plots.segment import overview, phase_colours

    settings, cluster = config["image"], config["cluster"]
    from atomatlas.datasets import resolve

    image = read_image(resolve(settings["path"]))
    rows, cols, _ = image.shape
    if rows * cols < 4:
        raise AtlasError(f"{settings['path']}: {rows} x {cols} pixels is too small to segment.")
    X, names = pixel_features(image, settings["texture"], settings["position_weight"])
    fit_rows = sample_rows(len(X), settings["sample"], config["seed"])
    model = AtlasCluster(cluster["method"], k=cluster["k"], select=cluster["select"], k_min=cluster["k_min"],
                         k_max=cluster["k_max"], params=cluster["params"], random_state=config["seed"],
                         progress=progress).fit(X[fit_rows])
    raw = model.predict(X)
    brightness = image.mean(axis=2).reshape(-1)
    labels, _ = order_by_brightness(raw, brightness)
    if settings["smooth"] and (labels >= 0).all():  # mixed pixels on blurred boundaries join their neighbours
        labels = majority_filter(labels.reshape(rows, cols), settings["smooth"]).reshape(-1)
    n_phases = int(labels.max()) + 1
    pixels = np.bincount(labels[labels >= 0], minlength=n_phases)
    channels = image.reshape(-1, image.shape[2])
    mean_colour = np.array([channels[labels == p].mean(axis=0) for p in range(n_phases)])
    phases = pd.DataFrame({"phase": np.arange(n_phases), "pixels": pixels, "area_fraction": pixels / labels.size})
    for i, name in enumerate(["grey"] if image.shape[2] == 1 else ["red", "green", "blue"]):
        phases[f"mean_{name}"] = mean_colour[:, i]
    if (labels < 0).any():
        phases.loc[len(phases)] = {"phase": -1, "pixels": int((labels < 0).sum()),
                                   "area_fraction": float((labels < 0).mean())}
    write_csv(folder / "phases.csv", phases)
    label_map = labels.reshape(rows, cols)
    y, x = np.mgrid[0:rows, 0:cols]
    frame = pd.DataFrame({"y": y.reshape(-1), "x": x.reshape(-1), "cluster": labels})
    write_csv(folder / "labels.csv", frame)

    segmented = np.where(labels[:, None] >= 0, mean_colour[np.clip(labels, 0, None)], 0.0)
    segmented = segmented.reshape(rows, cols, -1)
    write_png(folder / "segmented.png", segmented)
    colours = phase_colours(n_phases)
    write_png(folder / "phases.png", np.where(label_map[..., None] >= 0, colours[np.clip(label_map, 0, None)], 0.0))
    figures = [save_figure(folder, "segmentation.png", overview(image, segmented, label_map, phases, colours))]
    metrics = {"name": config["name"], "atomatlas_version": __version__, "seed": config["seed"],
               "input": {"path": settings["path"], "height": rows, "width": cols, "channels": int(image.shape[2]),
                         "grey": is_grey(image), "features": names, "fitted_on_pixels": int(len(fit_rows)),
                         "smooth": settings["smooth"]},
               "cluster": {"method": cluster["method"], "params": cluster["params"], "k_requested": cluster["k"],
                           "k": n_phases, "selected_by": model.selected_by_},
               "phases": phases.to_dict(orient="records"), "figures": figures}
    if model.scores_ is not None:
        from atomatlas.plots.cluster import k_selection

        scores = pd.DataFrame(model.scores_)
        metrics["cluster"]["k_selection"] = scores.to_dict(orient="records")
        figures.append(save_figure(folder, "k_selection.png", k_selection(scores, model.k_, model.selected_by_)))
    return frame, metrics

