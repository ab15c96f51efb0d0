"""A segmentation run (``atomatlas segment``): image -> pixel features -> clusters -> phases and their areas.

Writes ``segmented.png`` (each pixel in its phase's mean colour, as in seed 004),
``phases.png`` (a distinct colour per phase), ``segmentation.png`` (original, segmented
and phase map side by side with the area fractions), ``phases.csv`` (phase, pixels,
area fraction, mean colour), ``labels.csv`` (y, x, cluster for every pixel),
``metrics.json`` and ``config.toml``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.sections import Cluster, RunHeader, check_keys, header, input_path, number


@dataclass
class Image:
    """``[image]``: the micrograph and which pixel features are clustered."""

    path: str
    texture: int = 0  # window (odd, pixels) of local grey-level mean and spread; 0 = colour only
    position_weight: float = 0.0
    sample: int = 20000  # pixels the clusterer is fitted on (every pixel is labelled)
    smooth: int = 3  # majority-filter window after clustering; 0 = off

    @classmethod
    def parse(cls, raw, base: Path | None) -> Image:
        check_keys(raw, cls.__dataclass_fields__, "image")
        out = cls(**{**raw, "path": input_path(raw.get("path"), base, "[image] path")})
        number(out.texture, "texture", "image", 0, 101, integer=True)
        number(out.smooth, "smooth", "image", 0, 101, integer=True)
        for key, what in (("texture", "a window width"), ("smooth", "a majority-filter window")):
            value = getattr(out, key)
            if value == 1 or (value and value % 2 == 0):
                raise AtlasError(f"config: [image] {key} is {what} in pixels: an odd number >= 3, or 0 for none; "
                                 f"got {value}.")
        number(out.position_weight, "position_weight", "image", 0, float("inf"))
        number(out.sample, "sample", "image", 100, float("inf"), integer=True)
        return out


@dataclass(kw_only=True)
class SegmentationRun(RunHeader):
    name: str = "segment"
    image: Image
    cluster: Cluster

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> SegmentationRun:
        extra = sorted(set(raw) - {"name", "description", "seed", "image", "cluster"})
        if "cluster" not in raw or extra:
            raise AtlasError("config: [image] is segmented by a [cluster] section (method and k) and nothing else"
                             + (f"; remove [{extra[0]}]." if extra else "."))
        return cls(**header(raw), image=Image.parse(raw["image"], base), cluster=Cluster.parse(raw["cluster"],
                                                                                               "cluster"))

    def to_toml(self) -> dict:
        return {**self.header_toml(), "image": asdict(self.image),
                "cluster": self.cluster.to_toml()}


def run(config: SegmentationRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    with folder as tmp:
        labels, metrics = segment(config, tmp, progress)
        write_record(tmp, "segmentation", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


def _phases(config: SegmentationRun, image: np.ndarray, progress: bool):
    """Every pixel's phase (numbered from darkest to brightest, mixed boundary pixels smoothed) and the model."""
    from atomatlas.learn.pixels import majority_filter, order_by_brightness, pixel_features, sample_rows
    from atomatlas.learn.progress import progress_bars

    settings = config.image
    rows, cols, _ = image.shape
    X, names = pixel_features(image, settings.texture, settings.position_weight)
    fit_rows = sample_rows(len(X), settings.sample, config.seed)
    with progress_bars(progress):
        model = config.cluster.build(config.seed).fit(X[fit_rows])
    labels, _ = order_by_brightness(model.predict(X), image.mean(axis=2).reshape(-1))
    if settings.smooth and (labels >= 0).all():  # mixed pixels on blurred boundaries join their neighbours
        labels = majority_filter(labels.reshape(rows, cols), settings.smooth).reshape(-1)
    return labels, model, names, len(fit_rows)


def _phase_table(image: np.ndarray, labels: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Pixels, area fraction and mean colour of each phase (and of unassigned pixels, -1, if any)."""
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
    return phases, mean_colour


def segment(config: SegmentationRun, folder: Path, progress: bool = False):
    """Segment the image into ``folder``; returns (labels frame, metrics)."""
    from atomatlas import datasets
    from atomatlas.io.images import is_grey, read_image, write_png
    from atomatlas.plots.segmentation import overview, phase_colours

    settings = config.image
    image = read_image(datasets.resolve(settings.path))
    rows, cols, _ = image.shape
    if rows * cols < 4:
        raise AtlasError(f"{settings.path}: {rows} x {cols} pixels is too small to segment.")
    labels, model, names, fitted_on = _phases(config, image, progress)
    phases, mean_colour = _phase_table(image, labels)
    write_csv(folder / "phases.csv", phases)
    label_map = labels.reshape(rows, cols)
    y, x = np.mgrid[0:rows, 0:cols]
    frame = pd.DataFrame({"y": y.reshape(-1), "x": x.reshape(-1), "cluster": labels})
    write_csv(folder / "labels.csv", frame)
    segmented = np.where(labels[:, None] >= 0, mean_colour[np.clip(labels, 0, None)], 0.0).reshape(rows, cols, -1)
    write_png(folder / "segmented.png", segmented)
    colours = phase_colours(len(mean_colour))
    write_png(folder / "phases.png", np.where(label_map[..., None] >= 0, colours[np.clip(label_map, 0, None)], 0.0))
    figures = [save_figure(folder, "segmentation.png", overview(image, segmented, label_map, phases, colours))]
    metrics = {"name": config.name, "atomatlas_version": __version__, "seed": config.seed,
               "input": {"path": settings.path, "height": rows, "width": cols, "channels": int(image.shape[2]),
                         "grey": is_grey(image), "features": names, "fitted_on_pixels": fitted_on,
                         "smooth": settings.smooth},
               "cluster": {"method": config.cluster.method, "params": config.cluster.params,
                           "k_requested": config.cluster.k, "k": len(mean_colour), "selected_by": model.selected_by_},
               "phases": phases.to_dict(orient="records"), "figures": figures}
    if model.scores_ is not None:  # the record every clustering run writes, so the report draws its k chart
        from atomatlas.plots.cluster import k_selection
        from atomatlas.runs.flow import k_selection_record

        metrics["cluster"]["k_selection"] = record = k_selection_record(model)
        figures.append(save_figure(folder, "k_selection.png", k_selection(
            pd.DataFrame(model.scores_), record["chosen_k"], model.selected_by_)))
    return frame, metrics
