"""Structures through the CLI: per-atom labels out, and every bad structure input named in one line."""

import json
import os
import re
from pathlib import Path

import ase.io
import numpy as np
import pandas as pd
import pytest
from ase import Atoms
from ase.build import bulk

from atomatlas.datasets.structures import thermal_supercells


@pytest.fixture
def phases(tmp_path):
    """Two extxyz files: rattled bcc and fcc iron, two frames each."""
    paths = []
    for name, atoms in (("bcc", bulk("Fe", "bcc", a=2.866, cubic=True)), ("fcc", bulk("Fe", "fcc", a=3.6, cubic=True))):
        frames = thermal_supercells(atoms, (3, 3, 3), 0.01, copies=2, seed=1)
        path = tmp_path / f"{name}.extxyz"
        ase.io.write(path, [f.atoms for f in frames])
        paths.append(path)
    return paths


SMALL_SOAP = ["--descriptor", "soap", "--descriptor-param", "r_cut=4.5", "--descriptor-param", "n_max=4", "--descriptor-param", "l_max=4"]


def test_environments_labels_every_atom(cli, phases, tmp_path):
    status, stdout, stderr = cli("environments", *phases, "--labels", "source", "--descriptor", "soap",
                                 "--descriptor-param", "r_cut=4.5",
                                 "--no-cache",
                                 "--out", tmp_path / "run")
    assert status == 0, stderr
    assert "k = 2 (chosen by silhouette)" in stdout and "ARI 1.000" in stdout
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert list(labels.columns[:7]) == ["structure", "frame", "atom", "species", "x", "y", "z"]
    assert len(labels) == 2 * 54 + 2 * 108 and labels["frame"].tolist()[:3] == [0, 0, 0]
    images = ase.io.read(tmp_path / "run" / "structures.extxyz", ":")
    assert len(images) == 4
    assert np.array_equal(np.concatenate([a.arrays["cluster"] for a in images]), labels["cluster"].to_numpy())
    from ase.db import connect

    with connect(tmp_path / "run" / "structures.db") as db:
        rows = list(db.select())
    assert len(rows) == 4 and np.array_equal(rows[0].data["cluster"], images[0].arrays["cluster"])
    features = pd.read_parquet(tmp_path / "run" / "features.parquet")
    assert len(features) == len(labels) and "soap_Fe-Fe_0" in features
    # one representative per cluster, each from its own phase
    representatives = pd.read_csv(tmp_path / "run" / "representatives.csv")
    assert sorted(representatives["cluster"]) == [0, 1]
    # the saved model labels a new file of one phase with that phase's cluster
    status, _, stderr = cli("predict", tmp_path / "run", phases[1], "--out", tmp_path / "new")
    assert status == 0, stderr
    new = pd.read_csv(tmp_path / "new" / "labels.csv")
    fcc_cluster = labels.loc[labels["structure"].str.endswith("fcc.extxyz"), "cluster"].iloc[0]
    assert (new["cluster"] == fcc_cluster).all()
    fitted = labels.loc[labels["structure"].str.endswith("fcc.extxyz"), "cluster_uncertainty"].to_numpy()
    np.testing.assert_allclose(new["cluster_uncertainty"], fitted, atol=1e-6)  # as the fit gave the same atoms


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        ase.io.write(path, content)
    return path


BAD = [
    ("unreadable file", lambda p: _write(p, "POSCAR", "not a poscar\n1.0\nbroken lines\n"),
     r"POSCAR: cannot read as a structure"),
    ("file without structures", lambda p: _write(p, "broken.cif", "data_x\n_cell_length_a 3\nloop_\n_atom_site_label\n"),
     r"broken\.cif: the file holds no structure"),
    ("unknown format", lambda p: _write(p, "thing.unknownext", "hello"), r"thing\.unknownext: unknown structure format"),
    ("empty frame", lambda p: _write(p, "empty.extxyz", "0\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=\"T T T\"\n"),
     r"empty\.extxyz, frame 0: the frame has no atoms"),
    ("overlapping atoms", lambda p: _write(p, "overlap.extxyz", Atoms("Fe2", positions=[[0, 0, 0], [0.1, 0, 0]],
                                                                          cell=[5, 5, 5], pbc=True)),
     r"overlap\.extxyz, frame 0: atoms 0 \(Fe\) and 1 \(Fe\) are 0\.100 A apart, closer than 1\.32 A"),
    ("too few atoms for local order", lambda p: _write(p, "molecule.xyz", Atoms("Fe2", positions=[[0, 0, 0],
                                                                                                 [2.5, 0, 0]])),
     r"molecule\.xyz, frame 0: 2 atom\(s\) and no periodic cell: local order needs 18 neighbours per atom"),
    ("missing file", lambda p: p / "nope.cif", r"nope\.cif: file not found"),
    # native code (DScribe, spglib) crashed with a segmentation fault on these before they were checked
    ("NaN coordinates", lambda p: _write(p, "nan.extxyz", _broken(positions=True)),
     r"nan\.extxyz, frame 0: atom 3 has a non-finite coordinate"),
    ("infinite cell", lambda p: _write(p, "inf.extxyz", _broken(cell=True)),
     r"inf\.extxyz, frame 0: the cell has non-finite entries"),
    ("coordinates far out", lambda p: _write(p, "far.xyz", Atoms("Fe2", positions=[[0, 0, 0], [1e9, 0, 0]])),
     r"far\.xyz, frame 0: coordinates reach 1e\+09 A"),
    ("empty xyz", lambda p: _write(p, "empty.xyz", ""), r"empty\.xyz: the file is empty"),
    ("blank xyz", lambda p: _write(p, "blank.xyz", "\n  \n"), r"blank\.xyz: the file is empty"),
    ("unknown element in a CIF", lambda p: _write(p, "unknown.cif", UNKNOWN_ELEMENT_CIF),
     r"unknown\.cif: unknown element 'Xx'"),
    ("duplicated hydrogen", lambda p: _write(p, "h.extxyz", Atoms("H3", positions=[[0, 0, 0], [0.74, 0, 0],
                                                                                   [0.9, 0, 0]], cell=[6] * 3,
                                                                  pbc=True)),
     r"atoms 1 \(H\) and 2 \(H\) are 0\.160 A apart, closer than 0\.31 A"),
]

UNKNOWN_ELEMENT_CIF = """data_x
_cell_length_a 3.0
_cell_length_b 3.0
_cell_length_c 3.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Xx1 Xx 0 0 0
Fe1 Fe 0.5 0.5 0.5
"""


def _broken(positions=False, cell=False):
    atoms = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(2)
    if positions:
        atoms.positions[3, 0] = np.nan
    if cell:
        atoms.cell[0, 0] = np.inf
    return atoms


@pytest.mark.parametrize("name, make, message", BAD, ids=[b[0] for b in BAD])
def test_bad_structures_exit_2_with_one_line(cli, tmp_path, name, make, message):
    path = make(tmp_path)
    before = set(tmp_path.iterdir())
    status, _, stderr = cli("environments", path, "--no-cache", "--out", tmp_path / "o")
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), stderr
    assert set(tmp_path.iterdir()) == before  # nothing partial


@pytest.mark.parametrize("descriptor, param, message", [
    ("soap", "r_cut=-1", r"descriptor 'soap': r_cut=-1 must be a number above 1 A"),
    ("soap", "n_max=0", r"descriptor 'soap': n_max=0 must be an integer from 1 to 20"),
    ("soap", "sigma=-0.5", r"descriptor 'soap': sigma=-0.5 must be a positive number"),
    ("soap", "weighting={function='cubic'}", r"weighting=.* must be a table with function"),
    ("acsf", "r_cut=0", r"descriptor 'acsf': r_cut=0 must be a positive number"),
    ("acsf", "g4_params=[[0.005, 1.0, 2.0]]", r"g4_params: lambda must be 1 or -1"),
    ("rdf", "n_bins=0", r"descriptor 'rdf': n_bins=0 must be an integer from 1 to 10000"),
])
def test_descriptor_parameters_are_checked_before_dscribe(cli, phases, tmp_path, descriptor, param, message):
    status, _, stderr = cli("environments", phases[0], "--descriptor", descriptor, "--descriptor-param", param,
                            "--out", tmp_path / "o")
    assert status == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert re.search(message, stderr), stderr


def test_hydrogen_at_its_bond_length_is_not_an_overlap(cli, tmp_path):
    """The overlap rule follows covalent radii: an H2 bond (0.74 A) is chemistry, not a broken file."""
    molecules = Atoms("H4", positions=[[0, 0, 0], [0.74, 0, 0], [3, 3, 3], [3.9, 3, 3]], cell=[7] * 3, pbc=True)
    path = _write(tmp_path, "h2.extxyz", molecules)
    status, _, stderr = cli("environments", path, "--descriptor", "rdf", "--k", "2", "--no-cache", "--out",
                            tmp_path / "o")
    assert status == 0, stderr
    assert pd.read_csv(tmp_path / "o" / "labels.csv")["species"].tolist() == ["H"] * 4


def test_one_bad_file_does_not_cost_the_others(cli, phases, tmp_path):
    nan = _write(tmp_path, "nan.extxyz", _broken(positions=True))
    empty = _write(tmp_path, "empty.xyz", "")
    status, stdout, stderr = cli("environments", phases[0], nan, phases[1], empty, *SMALL_SOAP, "--k", "2",
                                 "--no-cache", "--out", tmp_path / "o")
    assert status == 3, stderr
    lines = stderr.strip().splitlines()
    assert re.search(r"skipped .*nan\.extxyz, frame 0: atom 3 has a non-finite coordinate", lines[0])
    assert re.search(r"skipped .*empty\.xyz: the file is empty", lines[1])
    assert re.search(r"done with 4 structures; 2 input\(s\) skipped .* \(exit status 3\)", lines[2])
    labels = pd.read_csv(tmp_path / "o" / "labels.csv")
    assert sorted(labels["structure"].map(lambda s: s.rsplit("/", 1)[-1]).unique()) == ["bcc.extxyz", "fcc.extxyz"]
    skipped = json.loads((tmp_path / "o" / "metrics.json").read_text())["structures"]["skipped"]
    assert [(s["source"].rsplit("/", 1)[-1], s["frame"]) for s in skipped] == [("nan.extxyz", 0), ("empty.xyz", None)]


def test_species_missing_from_the_descriptor_list(cli, phases, tmp_path):
    status, _, stderr = cli("environments", phases[0], "--descriptor", "soap", "--descriptor-param", "species=['Cu']",
                            "--no-cache", "--out", tmp_path / "o")
    assert status == 2
    assert re.search(r"bcc\.extxyz, frame 0: species \['Fe'\] are not in the descriptor's species \['Cu'\]", stderr)


def test_predict_refuses_new_species(cli, phases, tmp_path):
    status, _, _ = cli("environments", phases[0], *SMALL_SOAP, "--k", "2", "--no-cache", "--out", tmp_path / "run")
    assert status == 0
    nickel = _write(tmp_path, "ni.extxyz", bulk("Ni", "fcc", a=3.52, cubic=True).repeat(2))
    status, _, stderr = cli("predict", tmp_path / "run", nickel, "--out", tmp_path / "o")
    assert status == 2 and "species ['Ni'] are not in the descriptor's species ['Fe']" in stderr
    assert not (tmp_path / "o").exists()


def test_site_labels_need_a_probe_grid(cli, phases, tmp_path):
    status, _, stderr = cli("environments", phases[0], "--labels", "site", "--out", tmp_path / "o")
    assert status == 2 and "label = 'site' needs probe points" in stderr


def test_species_centres(cli, phases, tmp_path):
    status, _, stderr = cli("environments", phases[0], "--centers", "species", "--out", tmp_path / "o")
    assert status == 2 and "needs species" in stderr
    status, _, stderr = cli("environments", phases[0], "--centers", "species", "--species", "Cu", "--no-cache",
                            "--out", tmp_path / "o")
    assert status == 2 and "no atom of species ['Cu']" in stderr
    status, _, stderr = cli("environments", phases[0], "--centers", "species", "--species", "Fe", "--k", "2",
                            *SMALL_SOAP, "--no-cache", "--out", tmp_path / "fe")
    assert status == 0, stderr
    assert len(pd.read_csv(tmp_path / "fe" / "labels.csv")) == 2 * 54


def test_defaults_find_name_and_flag_phases_without_labels_or_k(cli, tmp_path):
    """Local order, gmm_merged: fcc, and A15's two sites, which no template knows, flagged as compact order."""
    from ase.spacegroup import crystal

    from atomatlas.report.contents import cluster_table

    fcc = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(4)
    a15 = crystal(["W", "W"], basis=[(0, 0, 0), (0.25, 0, 0.5)], spacegroup=223,
                  cellpar=[5.05, 5.05, 5.05, 90, 90, 90]).repeat(3)
    for seed, (name, atoms) in enumerate((("fcc", fcc), ("a15", a15))):
        atoms.rattle(0.03, seed=seed)
        ase.io.write(tmp_path / f"{name}.extxyz", atoms)
    run = tmp_path / "run"
    status, stdout, stderr = cli("environments", tmp_path / "fcc.extxyz", tmp_path / "a15.extxyz", "--out", run)
    assert status == 0, stderr
    assert "cluster: gmm_merged, k = 3 (chosen by bic)" in stdout
    assert re.search(r"cluster \d: fcc 100% \(256 atoms\)\n", stdout)
    for atoms in (162, 54):  # A15's 6c and 2a sites
        assert re.search(rf"cluster \d: unknown 100% \({atoms} atoms\)  <- compact, but no known lattice", stdout)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["structures"]["descriptor"]["method"] == "local_order" and metrics["scale"]["method"] == "standard"
    names = metrics["cluster"]["names"]
    assert sorted((r["label"], r["purity"], r["novel_order"]) for r in names.values()) == [
        ("fcc", 1.0, False), ("unknown", 1.0, True), ("unknown", 1.0, True)]
    labels = pd.read_csv(run / "labels.csv")
    assert {"cluster_uncertainty", "identify", "cluster_name"} <= set(labels.columns)
    assert labels["cluster_uncertainty"].between(0, 1).all() and labels["cluster_uncertainty"].max() < 0.5
    assert set(labels.loc[labels["structure"].str.endswith("fcc.extxyz"), "cluster_name"]) == {"fcc 100%"}
    images = ase.io.read(run / "structures.extxyz", ":")
    np.testing.assert_allclose(images[0].arrays["cluster_uncertainty"], labels["cluster_uncertainty"][:256])
    rows = cluster_table(run, labels, metrics)
    assert sorted((row["name"], row["novel_order"]) for row in rows) == [
        ("fcc 100%", False), ("unknown 100%", True), ("unknown 100%", True)]


def test_cluster_names_split_surfaces_from_disorder():
    from atomatlas.runs.cluster_names import COMPACT_SPREAD, describe_clusters, split_other

    rng = np.random.default_rng(0)
    clusters = np.repeat([0, 1, 2], 50)
    labels = np.array(["fcc"] * 50 + ["other"] * 100)
    asymmetry = np.r_[np.zeros(50), np.full(50, 0.4), np.full(50, 0.1)]
    averages = np.r_[rng.normal(0, 0.5 * COMPACT_SPREAD, (100, 73)), rng.normal(0, 3 * COMPACT_SPREAD, (50, 73))]
    per_atom = split_other(labels, asymmetry)
    records = describe_clusters(clusters, per_atom, averages)
    assert [records[c]["name"] for c in "012"] == ["fcc 100%", "other (surface) 100%", "other (liquid-like) 100%"]
    assert [records[c]["novel_order"] for c in "012"] == [False, False, False]  # a surface is known; a liquid spreads
    assert per_atom[60] == "other (surface)"
    compact_disorder = describe_clusters(clusters, split_other(labels, asymmetry * 0), np.zeros((150, 73)))
    assert compact_disorder["2"]["novel_order"] and not compact_disorder["0"]["novel_order"]


def test_cluster_fractions_per_frame_of_a_trajectory(tmp_path):
    from atomatlas.runs.structure_outputs import write_cluster_fractions

    labels = pd.DataFrame({"structure": ["md.extxyz"] * 6 + ["one.cif"] * 2, "frame": [0, 0, 0, 1, 1, 1, 0, 0],
                           "atom": [0, 1, 2, 0, 1, 2, 0, 1], "cluster": [1, 1, 0, 1, 0, 0, 1, 1],
                           "cluster_name": ["fcc 90%", "fcc 90%", "other (liquid-like) 99%", "fcc 90%",
                                            "other (liquid-like) 99%", "other (liquid-like) 99%", "fcc 90%",
                                            "fcc 90%"]})
    written = write_cluster_fractions(tmp_path, labels)
    assert written == {"fractions": "cluster_fractions.csv", "fractions_figure": "cluster_fractions.png"}
    shares = pd.read_csv(tmp_path / "cluster_fractions.csv")
    assert list(shares.columns) == ["structure", "frame", "0: other (liquid-like) 99%", "1: fcc 90%"]
    np.testing.assert_allclose(shares.iloc[:, 2:].to_numpy(), [[1 / 3, 2 / 3], [2 / 3, 1 / 3], [0, 1]])
    assert (tmp_path / "cluster_fractions.png").stat().st_size > 0
    (tmp_path / "single").mkdir()
    single = write_cluster_fractions(tmp_path / "single", labels[labels["frame"] == 0])
    assert "fractions_figure" not in single and not (tmp_path / "single" / "cluster_fractions.png").exists()


def test_local_order_refuses_a_probe_grid_in_one_line(cli, tmp_path):
    from ase.build import fcc111

    ase.io.write(tmp_path / "slab.vasp", fcc111("Cu", (2, 2, 3), a=3.61, vacuum=8.0, periodic=True), format="vasp")
    status, _, stderr = cli("environments", tmp_path / "slab.vasp", "--centers", "surface_grid", "--grid", "5",
                            "--descriptor", "local_order", "--out", tmp_path / "o")
    assert status == 2 and len(stderr.strip().splitlines()) == 1
    assert "'local_order' describes atoms, not probe points; use --descriptor soap" in stderr
    assert not (tmp_path / "o").exists()


def close_packed(sequence: str, a: float = 2.86, n: int = 3) -> Atoms:
    """Close-packed layers stacked as ``sequence`` (A, B, C), n x n atoms each, periodic along the stack."""
    shifts = {"A": (0, 0), "B": (1 / 3, 1 / 3), "C": (2 / 3, 2 / 3)}
    a1, a2 = np.array([a, 0, 0]), np.array([a / 2, a * np.sqrt(3) / 2, 0])
    spacing = a * np.sqrt(2 / 3)
    positions = [(i + shifts[layer][0]) * a1 + (j + shifts[layer][1]) * a2 + [0, 0, number * spacing]
                 for number, layer in enumerate(sequence) for i in range(n) for j in range(n)]
    return Atoms("Al" * len(positions), positions=positions, cell=[n * a1, n * a2, [0, 0, len(sequence) * spacing]],
                 pbc=True)


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory):
    """Six frames of 24 close-packed layers whose hcp (ABAB) part grows at the cost of fcc (ABC)."""
    path = tmp_path_factory.mktemp("trajectory") / "md.extxyz"
    frames = []
    for number, (fcc, hcp) in enumerate(((8, 0), (6, 3), (4, 6), (2, 9), (0, 12), (8, 0))):
        atoms = close_packed("ABC" * fcc + "AB" * hcp)
        atoms.rattle(0.04, seed=number)
        frames.append(atoms)
    ase.io.write(path, frames)
    return path


def test_a_trajectory_is_fit_on_sampled_frames_and_labelled_a_chunk_at_a_time(cli, trajectory, tmp_path, monkeypatch):
    from atomatlas.report.contents import gather
    from atomatlas.runs import trajectory as module

    monkeypatch.setattr(module, "CHUNK_ATOMS", 200)  # one 216-atom frame per chunk
    seen = []
    chunks = module.chunks
    monkeypatch.setattr(module, "chunks", lambda frames, size_of, size: (
        seen.append(len(c)) or c for c in chunks(frames, size_of, size)))
    run = tmp_path / "run"
    cache = Path(os.environ["ATOMATLAS_CACHE"])
    entries = set(cache.rglob("*.json"))
    status, stdout, stderr = cli("environments", trajectory, "--fit-frames", "3", "--seed", "2", "--labels", "source",
                                 "--out", run)
    assert status == 0, stderr
    assert len(set(cache.rglob("*.json")) - entries) <= 1  # the fitted frames' entry; the chunks bypass the cache
    assert seen == [1] * 6  # every frame labelled, never more than a chunk described at once
    assert "fit on 3 of 6 frames (drawn by the seed), then every frame labelled: 1296 atoms" in stdout
    metrics = json.loads((run / "metrics.json").read_text())
    fitted = metrics["structures"]["fit_frames"]
    assert fitted["requested"] == 3 and fitted["frames"] == [[str(trajectory), i] for i in (2, 4, 5)]
    assert metrics["structures"]["n_frames"] == 6 and metrics["structures"]["n_centres"] == 6 * 216
    labels = pd.read_csv(run / "labels.csv")
    assert len(labels) == 6 * 216 and sorted(set(labels["frame"])) == list(range(6))
    assert {"cluster", "cluster_uncertainty", "identify", "cluster_name"} <= set(labels.columns)
    placed = pd.read_csv(run / "map.csv")
    assert len(placed) == len(labels) and (placed["label:source"] == "md").all()  # every frame keeps its label set
    images = ase.io.read(run / "structures.extxyz", ":")
    assert len(images) == 6
    assert np.array_equal(np.concatenate([a.arrays["cluster"] for a in images]), labels["cluster"].to_numpy())
    assert sum(metrics["structures"]["cluster_sizes"].values()) == 6 * 216
    shares = pd.read_csv(run / "cluster_fractions.csv")
    assert len(shares) == 6 and (run / "cluster_fractions.png").exists()
    hcp = [c for c in shares.columns if ": hcp" in c]  # named on the fitted frames
    assert len(hcp) == 1 and [c for c in shares.columns if ": fcc" in c]
    grows = shares[hcp[0]].to_numpy()  # frame by frame, then back to fcc
    assert grows[0] == 0 and grows[4] == 1 and grows[5] == 0 and (np.diff(grows[:5]) > 0.1).all()
    assert len(gather(run)["fractions"]["rows"]) == 6  # the report draws them
    status, _, stderr = cli("environments", trajectory, "--fit-frames", "3", "--seed", "2", "--labels", "source",
                            "--out", tmp_path / "again")
    assert status == 0, stderr
    assert (tmp_path / "again" / "labels.csv").read_bytes() == (run / "labels.csv").read_bytes()  # seeded


def test_a_probe_grid_trajectory_is_labelled_frame_by_frame_too(cli, tmp_path):
    from ase.build import fcc111

    frames = []
    for seed in range(3):
        slab = fcc111("Cu", (2, 2, 3), vacuum=6.0)
        slab.rattle(0.05, seed=seed)
        slab.info.pop("adsorbate_info", None)  # not for extxyz
        frames.append(slab)
    ase.io.write(tmp_path / "slabs.extxyz", frames)
    status, _, stderr = cli("environments", tmp_path / "slabs.extxyz", "--centers", "surface_grid", "--grid", "4",
                            *SMALL_SOAP, "--k", "2", "--fit-frames", "1", "--out", tmp_path / "run")
    assert status == 0, stderr
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert len(labels) == 3 * 16 and sorted(set(labels["frame"])) == [0, 1, 2] and "point" in labels
    assert (tmp_path / "run" / "site_map.png").exists() and not (tmp_path / "run" / "cluster_fractions.csv").exists()


@pytest.mark.parametrize("extra, message", [
    (["--fit-frames", "0"], r"fit_frames must be a whole number >= 1"),
    (["--fit-frames", "2", "--scheduler", "local"], r"--fit-frames \(fit_frames\) runs in this process"),
])
def test_fit_frames_refusals_in_one_line(cli, trajectory, tmp_path, extra, message):
    status, _, stderr = cli("environments", trajectory, *extra, "--k", "2", "--out", tmp_path / "run")
    assert status == 2 and re.search(message, stderr) and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_fit_frames_refuses_built_structures():
    from atomatlas.errors import AtlasError
    from atomatlas.runs.describe import Structures

    with pytest.raises(AtlasError, match="fit_frames samples the frames of files"):
        Structures.parse({"build": [{"kind": "fcc"}], "fit_frames": 2}, None)
