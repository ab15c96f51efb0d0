"""report.html and chemiscope.json.gz: what the files hold (the browser tests check what a user sees)."""

import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest

from atomatlas import api
from atomatlas.report.contents import MAX_POINTS, gather
from atomatlas.report.page import safe_json

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


def _embedded(html: str) -> dict:
    match = re.search(r'<script id="atlas-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_a_cluster_run_writes_a_self_contained_report(tmp_path, blobs_csv):
    result = api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], label_column="phase")
    html = (result.path / "report.html").read_text()
    assert "https://" not in re.sub(r'<script id="atlas-data".*?</script>', "", html, flags=re.S).split(
        "<script>", 1)[0]  # nothing before the scripts points outside
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)  # nothing fetched at view time
    assert "default-src 'none'" in html
    data = _embedded(html)
    assert data["points"]["n"] == data["points"]["total"] == 90
    assert data["points"]["colour_by"][:3] == ["cluster", "cluster_uncertainty", "label:phase"]
    assert [row["size"] for row in data["clusters"]] == [30, 30, 30]
    assert all(-1 <= row["silhouette"] <= 1 for row in data["clusters"])
    assert data["k_selection"]["chosen_k"] == 3
    assert data["rerun"] == f"atomatlas run {tmp_path}/run/config.toml --out {tmp_path}/run-again"
    labels = pd.read_csv(result.path / "labels.csv")
    codes = data["points"]["columns"]["cluster"]["codes"]
    levels = data["points"]["columns"]["cluster"]["levels"]
    assert [int(levels[c]) for c in codes] == labels["cluster"].tolist()


def test_no_report_and_rebuilding_it(tmp_path, blobs_csv, cli):
    status, out, _ = cli("cluster", blobs_csv, "--id", "name,id", "--no-report", "--out", tmp_path / "run")
    assert status == 0 and "report:" not in out
    assert not (tmp_path / "run" / "report.html").exists()
    status, out, _ = cli("report", tmp_path / "run")
    assert status == 0 and f"wrote {tmp_path / 'run' / 'report.html'}" in out
    assert _embedded((tmp_path / "run" / "report.html").read_text())["points"]["n"] == 90


def test_report_refuses_what_is_not_a_run_and_damaged_files(tmp_path, blobs_csv, cli):
    (tmp_path / "plain").mkdir()
    status, _, err = cli("report", tmp_path / "plain")
    assert status == 2 and "is not an atomatlas run folder" in err and len(err.strip().splitlines()) == 1
    status, _, err = cli("report", tmp_path / "missing")
    assert status == 2 and "is not a folder" in err
    api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], report=False)
    (tmp_path / "run" / "metrics.json").write_text("{not json")
    status, _, err = cli("report", tmp_path / "run")
    assert status == 2 and re.search(r"metrics\.json is not valid JSON .*; rerun the run", err)
    assert not (tmp_path / "run" / "report.html").exists()  # nothing half-written
    (tmp_path / "run" / "metrics.json").write_text("{}")
    pd.DataFrame({"map_1": [0.0], "map_2": [1.0]}).to_csv(tmp_path / "run" / "map.csv", index=False)
    status, _, err = cli("report", tmp_path / "run")
    assert status == 2 and "map.csv has 1 rows and labels.csv 90" in err


def test_strings_from_the_run_cannot_leave_the_data_block():
    text = safe_json({"label": HOSTILE, "line": "a\u2028b"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"label": HOSTILE, "line": "a\u2028b"}


def test_a_hostile_label_stays_data(tmp_path, blobs_csv):
    frame = pd.read_csv(blobs_csv)
    frame["phase"] = np.where(frame["phase"] == "alpha", HOSTILE, frame["phase"])
    frame.to_csv(blobs_csv, index=False)
    html = (api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], label_column="phase").path
            / "report.html").read_text()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert HOSTILE in _embedded(html)["points"]["columns"]["label:phase"]["levels"]


def test_a_million_points_are_sampled_over_a_density_and_say_so(tmp_path):
    from atomatlas.datasets.synthetic import map_labels

    n = 1_000_000
    folder = tmp_path / "big"
    folder.mkdir()
    map_labels(n, clusters=5).to_csv(folder / "labels.csv", index=False)
    points = gather(folder)["points"]
    assert points["n"] == MAX_POINTS and points["total"] == n
    assert np.sum(points["density"]["counts"]) == n
    assert len(points["row"]) == len(set(points["row"])) == MAX_POINTS


def test_a_hundred_thousand_points_stay_under_30_mb(tmp_path):
    from atomatlas.report import write_report

    rng = np.random.default_rng(0)
    n = 100_000
    folder = tmp_path / "large"
    folder.mkdir()
    pd.DataFrame({"structure": "/data/md/trajectory.lammpstrj", "frame": np.repeat(np.arange(50), n // 50),
                  "atom": np.tile(np.arange(n // 50), 50), "species": "Cu",
                  "x": rng.uniform(0, 40, n), "y": rng.uniform(0, 40, n), "z": rng.uniform(0, 40, n),
                  "cluster": rng.integers(0, 8, n), "embedding_1": rng.normal(size=n),
                  "embedding_2": rng.normal(size=n)}).to_csv(folder / "labels.csv", index=False)
    size = write_report(folder).stat().st_size
    assert size < 30e6, size


def test_chemiscope_export_of_a_structure_run_reads_back(tmp_path):
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3)
    atoms.rattle(0.05, seed=1)
    atoms.write(tmp_path / "cu.extxyz")
    fe = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(3)
    fe.rattle(0.05, seed=2)
    fe.write(tmp_path / "fe.extxyz")
    result = api.environments([str(tmp_path / "cu.extxyz"), str(tmp_path / "fe.extxyz")], tmp_path / "run",
                              descriptor="soap", k=2)
    with gzip.open(result.path / "chemiscope.json.gz", "rt") as stream:
        data = json.load(stream)
    assert len(data["structures"]) == 2
    assert [s["size"] for s in data["structures"]] == [len(atoms), len(fe)]
    assert len(data["environments"]) == len(atoms) + len(fe)
    assert data["environments"][len(atoms)] == {"structure": 1, "center": 0, "cutoff": 3.5}
    labels = pd.read_csv(result.path / "labels.csv")
    assert data["properties"]["cluster"]["values"] == labels["cluster"].astype(str).tolist()
    assert data["settings"]["map"]["x"]["property"] == "map_1"
    assert data["meta"]["name"] == "run"  # the run folder's name (a loop over the properties once overwrote it)
    raw = (result.path / "chemiscope.json.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # no timestamp in the gzip header: the same run gives the same bytes


def test_a_long_trajectory_without_a_map_shows_its_first_whole_frames(tmp_path):
    n_frames, atoms = 30, 5000  # 150,000 rows, as identify writes them
    folder = tmp_path / "identify"
    folder.mkdir()
    pd.DataFrame({"structure": "md.lammpstrj", "frame": np.repeat(np.arange(n_frames), atoms),
                  "atom": np.tile(np.arange(atoms), n_frames), "x": 0.0, "y": 0.0, "z": 0.0,
                  "class": "fcc"}).to_csv(folder / "labels.csv", index=False)
    points = gather(folder)["points"]
    assert points["total"] == n_frames * atoms and points["n"] == 20 * atoms  # 20 whole frames fit
    assert [frame["atoms"] for frame in points["frames"]] == [atoms] * 20
    assert points["density"] is None and "map" not in points


def test_an_edited_metrics_json_and_text_coordinates_are_handled(tmp_path, blobs_csv, cli):
    api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], label_column="phase", report=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    metrics.update({"input": ["not", "a", "section"], "evaluation": {"phase": "none"}, "map": 3})
    metrics["cluster"].update({"scores": {"silhouette": "high"}, "silhouette_by_cluster": [1, 2]})
    text = json.dumps(metrics).replace('"high"', "NaN")  # Python writes NaN; JSON has no such thing
    (tmp_path / "run" / "metrics.json").write_text(text)
    contingency = pd.read_csv(tmp_path / "run" / "contingency_phase.csv").astype({"0": float})
    contingency.iloc[0, 1] = np.inf
    contingency.to_csv(tmp_path / "run" / "contingency_phase.csv", index=False)
    status, _, err = cli("report", tmp_path / "run")
    assert status == 0, err
    data = _embedded((tmp_path / "run" / "report.html").read_text())
    assert any(step == "cluster" and "silhouette None" in text for step, text in data["summary"])
    assert all(row["silhouette"] is None for row in data["clusters"])
    assert data["tables"][0]["rows"][0][1] is None  # infinite: shown empty, not invalid JSON
    map_table = pd.read_csv(tmp_path / "run" / "map.csv")
    map_table["map_1"] = "left"
    map_table.to_csv(tmp_path / "run" / "map.csv", index=False)
    status, _, err = cli("report", tmp_path / "run")
    assert status == 2 and "column 'map_1' of labels.csv or map.csv holds text" in err


def test_a_damaged_structure_run_is_refused_in_one_line(tmp_path, cli):
    from ase.build import bulk

    for name, lattice, a in (("Cu", "fcc", 3.61), ("Fe", "bcc", 2.87)):
        atoms = bulk(name, lattice, a=a, cubic=True).repeat(2)
        atoms.rattle(0.05, seed=1)
        atoms.write(tmp_path / f"{name}.extxyz")
    api.environments([str(tmp_path / "Cu.extxyz"), str(tmp_path / "Fe.extxyz")], tmp_path / "run", k=2,
                     report=False)
    labels = pd.read_csv(tmp_path / "run" / "labels.csv").astype({"atom": object})
    labels.loc[3, "atom"] = "third"
    labels.to_csv(tmp_path / "run" / "labels.csv", index=False)
    status, _, err = cli("report", tmp_path / "run")
    assert status == 2 and "frame and atom must be whole numbers" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "run" / "labels.csv").write_text('structure,frame,atom\n"unclosed,0,1\n')
    status, _, err = cli("report", tmp_path / "run")
    assert status == 2 and "is not a readable CSV table" in err
    assert not (tmp_path / "run" / "chemiscope.json.gz").exists() and not (tmp_path / "run" / "report.html").exists()


def test_the_rerun_line_uses_the_path_as_given_and_is_safe_to_paste(tmp_path, blobs_csv, monkeypatch):
    import shlex
    import subprocess

    monkeypatch.chdir(tmp_path)
    result = api.cluster(blobs_csv, "fe/x;touch PWNED;", id_columns=["name", "id"], k=3)
    rerun = _embedded((result.path / "report.html").read_text())["rerun"]
    assert rerun == "atomatlas run 'fe/x;touch PWNED;/config.toml' --out 'fe/x;touch PWNED;-again'"
    assert shlex.split(rerun)[2] == "fe/x;touch PWNED;/config.toml"
    subprocess.run(["bash", "-c", rerun.replace("atomatlas", "true", 1)], cwd=tmp_path, check=True)
    assert not (tmp_path / "PWNED").exists()  # pasted into a shell, it injects nothing


def _run_folder(tmp_path, blobs_csv, name="run"):
    return api.cluster(blobs_csv, tmp_path / name, id_columns=["name", "id"], k=3, report=False).path


def test_the_report_reads_only_regular_files_inside_the_folder(tmp_path, blobs_csv, cli):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:SECRET-LINE")
    run = _run_folder(tmp_path, blobs_csv)
    (run / "config.toml").unlink()
    (run / "config.toml").symlink_to(secret)
    status, _, err = cli("report", run)
    assert status == 2 and "config.toml is a symbolic link, not a regular file" in err
    assert not (run / "report.html").exists()
    (run / "config.toml").unlink()
    (run / "config.toml").write_text("[data]\n")
    png = next(run.glob("*.png"))
    (tmp_path / "elsewhere.png").write_bytes(png.read_bytes().replace(b"IEND", b"IEND" + b"SECRET-PNG"))
    (run / "stolen.png").symlink_to(tmp_path / "elsewhere.png")
    assert cli("report", run)[0] == 0
    names = [figure["name"] for figure in _embedded((run / "report.html").read_text())["figures"]]
    assert png.name in names and "stolen.png" not in names


def test_a_named_pipe_in_a_run_folder_is_refused_not_waited_on(tmp_path, blobs_csv, cli):
    import os

    run = _run_folder(tmp_path, blobs_csv)
    (run / "config.toml").unlink()
    os.mkfifo(run / "config.toml")  # opening it would block until a writer came
    status, _, err = cli("report", run)
    assert status == 2 and "config.toml is a named pipe, not a regular file" in err


@pytest.mark.parametrize("edit, expect", [
    (lambda run: (run / "metrics.json").write_text(
        '{"cluster": {"method": "kmeans", "scores": {"silhouette": ' + "9" * 400 + '}}}'), 0),
    (lambda run: (run / "metrics.json").write_text(
        '{"cluster": {"method": "kmeans", "scores": {"silhouette": 1e400}}, "counts": {"a": -1e400}}'), 0),
    (lambda run: (run / "metrics.json").write_text("[" * 200_000 + "]" * 200_000), 2),
    (lambda run: (run / "fractions.csv").write_text("cluster,fraction\n0,inf\n1,-inf\n"), 0),
    (lambda run: ((run / "labels.csv").unlink(), (run / "labels.csv").mkdir()), 2),
], ids=["400-digit integer", "1e400", "nested 200000 deep", "fractions with inf", "labels.csv a folder"])
def test_damaged_run_files_give_one_line_or_a_page_not_a_crash(tmp_path, blobs_csv, cli, edit, expect):
    run = _run_folder(tmp_path, blobs_csv)
    edit(run)
    status, _, err = cli("report", run)
    assert status == expect, err
    if expect == 2:
        assert len(err.strip().splitlines()) == 1 and "rerun the run to rebuild it" in err
    else:
        data = _embedded((run / "report.html").read_text())  # valid JSON in the page: no NaN or Infinity in it
        assert "Infinity" not in json.dumps(data)


def test_a_replaced_structures_file_that_claims_too_many_atoms_is_refused_not_read(tmp_path, cli):
    """A structures.extxyz whose count line claims 10^12 atoms made ASE loop on readline forever."""
    from ase.build import bulk
    from ase.io import write

    frames = [bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2) for _ in range(2)]
    frames[1].rattle(0.1, seed=1)
    write(tmp_path / "cu.extxyz", frames)
    run = api.environments(tmp_path / "cu.extxyz", tmp_path / "run", descriptor="rdf", k=2, cache=False).path
    text = (run / "structures.extxyz").read_text()
    (run / "structures.extxyz").write_text("1000000000000\n" + text.split("\n", 1)[1])
    status, _, err = cli("report", run)
    assert status == 2 and "a frame claims 1000000000000 atoms" in err and "rerun the run to rebuild it" in err
