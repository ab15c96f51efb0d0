"""Micrograph segmentation (issue 6, item 6): pixel features, phases, area fractions, bad images."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from atomatlas.datasets.micrograph import micrograph
from atomatlas.io.images import write_png
from atomatlas.evaluate import cluster_accuracy
from atomatlas.learn.pixels import majority_filter, order_by_brightness, pixel_features


def test_pixel_features_colour_texture_position():
    image = np.random.default_rng(0).random((4, 5, 3))
    X, names = pixel_features(image)
    assert X.shape == (20, 3) and names == ["red", "green", "blue"]
    X, names = pixel_features(image[..., :1], texture=3, position_weight=1.0)
    assert names == ["grey_mean_3px", "grey_std_3px", "y", "x"]
    assert X[-1, 2] == pytest.approx(3 / 5) and X[-1, 3] == pytest.approx(4 / 5)
    assert X[:, :2].mean(axis=0) == pytest.approx([0, 0], abs=1e-12)  # texture columns are standardised


def test_majority_filter_removes_a_one_pixel_line():
    label_map = np.zeros((9, 9), dtype=int)
    label_map[:, 5:] = 1
    label_map[:, 4] = 2  # a line of mixed pixels between phases 0 and 1
    cleaned = majority_filter(label_map, 3)
    assert 2 not in cleaned
    assert (cleaned[:, :4] == 0).all() and (cleaned[:, 5:] == 1).all()


def test_phases_are_numbered_dark_to_bright():
    labels = np.array([0, 0, 1, 1, 2])
    brightness = np.array([0.9, 0.8, 0.1, 0.2, 0.5])
    renumbered, order = order_by_brightness(labels, brightness)
    assert renumbered.tolist() == [2, 2, 0, 0, 1] and order.tolist() == [1, 2, 0]


def test_segment_recovers_the_micrographs_area_fractions(cli, tmp_path):
    status, out, err = cli("segment", "dataset:micrograph.png", "--k", "3", "--out", tmp_path / "run")
    assert status == 0, err
    image, truth = micrograph()
    phases = pd.read_csv(tmp_path / "run" / "phases.csv")
    # dark (0.30), tinted (0.15), matrix (0.55): phases are numbered from darkest to brightest
    assert phases["area_fraction"].to_numpy() == pytest.approx([0.30, 0.15, 0.55], abs=0.01)
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert len(labels) == 256 * 256 and list(labels.columns) == ["y", "x", "cluster"]
    assert cluster_accuracy(truth.reshape(-1), labels["cluster"].to_numpy()) > 0.99
    segmented = np.asarray(Image.open(tmp_path / "run" / "segmented.png"))
    assert segmented.shape == (256, 256, 3) and len(np.unique(segmented.reshape(-1, 3), axis=0)) == 3
    for name in ("phases.png", "segmentation.png", "metrics.json", "config.toml"):
        assert (tmp_path / "run" / name).exists()
    # the run's config is itself a recipe: rerunning it gives the same phases
    status, _, err = cli("run", tmp_path / "run" / "config.toml", "--out", tmp_path / "again")
    assert status == 0, err
    assert pd.read_csv(tmp_path / "again" / "labels.csv").equals(labels)


def test_automatic_k_is_recorded_as_every_run_records_it_and_the_report_draws_it(cli, tmp_path):
    """Segment's k_selection was a bare list of scores, which report.html could not read (issue 23)."""
    import json

    from atomatlas.report.contents import gather

    status, _, err = cli("segment", "dataset:micrograph.png", "--k", "auto", "--k-max", "4", "--out", tmp_path / "run")
    assert status == 0, err
    cluster = json.loads((tmp_path / "run" / "metrics.json").read_text())["cluster"]
    record = cluster["k_selection"]
    assert record["range"] == [2, 4] and record["chosen_k"] == cluster["k"] and len(record["scores"]) == 3
    assert gather(tmp_path / "run")["k_selection"]["chosen_k"] == cluster["k"]


def test_without_smoothing_mixed_boundary_pixels_look_like_a_third_phase(cli, tmp_path):
    status, _, err = cli("segment", "dataset:micrograph.png", "--k", "3", "--smooth", "0", "--out", tmp_path / "run")
    assert status == 0, err
    phases = pd.read_csv(tmp_path / "run" / "phases.csv")
    assert phases["area_fraction"][1] > 0.165  # the tinted phase collects matrix/dark boundary pixels


def test_texture_separates_phases_of_equal_grey_level(cli, tmp_path):
    rng = np.random.default_rng(1)
    image = np.full((64, 64), 0.5)
    image[:, 32:] += rng.normal(0, 0.2, size=(64, 32))  # same mean, rough texture on the right
    image[:, :32] += rng.normal(0, 0.01, size=(64, 32))
    path = tmp_path / "grey.png"
    Image.fromarray((np.clip(image, 0, 1) * 65535).astype(np.uint16)).save(path)  # 16-bit greyscale
    status, _, err = cli("segment", path, "--k", "2", "--texture", "9", "--out", tmp_path / "run")
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["input"]["channels"] == 1 and metrics["input"]["features"] == ["grey_mean_9px", "grey_std_9px"]
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    truth = (labels["x"] >= 32).astype(int)
    assert cluster_accuracy(truth.to_numpy(), labels["cluster"].to_numpy()) > 0.95


def test_an_image_that_is_not_an_image(cli, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    status, _, err = cli("segment", path, "--k", "2", "--out", tmp_path / "run")
    assert status == 2
    assert err.strip().endswith("not an image Pillow can read; give a PNG, JPEG, TIFF or BMP file.")
    assert not (tmp_path / "run").exists()
    status, _, err = cli("segment", tmp_path / "missing.png", "--k", "2", "--out", tmp_path / "run")
    assert status == 2 and "file not found" in err


def test_bad_segment_settings(cli, tmp_path):
    path = tmp_path / "small.png"
    image, _ = micrograph(size=32)
    write_png(path, image)
    status, _, err = cli("segment", path, "--k", "2", "--texture", "4", "--out", tmp_path / "run")
    assert status == 2 and "texture is a window width in pixels: an odd number >= 3" in err
    status, _, err = cli("segment", path, "--k", "2", "--smooth", "2", "--out", tmp_path / "run")
    assert status == 2 and "smooth is a majority-filter window" in err
