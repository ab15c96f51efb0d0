import ase.io
from ase import Atoms
import numpy as np
import pytest
from ase.build import bulk

from atomatlas.datasets.structures import STRUCTURE_FILES, structure_path
from atomatlas.errors import AtlasError
from atomatlas.io.structures import read_frames


@pytest.fixture
def crystal():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.positions += np.random.default_rng(0).normal(0, 0.02, atoms.positions.shape)
    return atoms


@pytest.mark.parametrize("name, fmt", [("a.cif", None), ("a.extxyz", None), ("POSCAR", None), ("CONTCAR", None),
                                       ("a.xsf", None), ("a.db", None), ("a.traj", None), ("a.xyz", None),
                                       ("dump.lammpstrj", "lammps-dump-text")])
def test_formats_ase_reads(tmp_path, crystal, name, fmt):
    path = tmp_path / name
    if fmt == "lammps-dump-text":  # ASE reads but does not write LAMMPS dumps: write one by hand
        lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(crystal)),
                 "ITEM: BOX BOUNDS pp pp pp", "0 7.2", "0 7.2", "0 7.2", "ITEM: ATOMS id type x y z"]
        lines += [f"{i + 1} 1 {x:.6f} {y:.6f} {z:.6f}" for i, (x, y, z) in enumerate(crystal.positions)]
        path.write_text("\n".join(lines * 1) + "\n")
    else:
        ase.io.write(path, crystal)
    frames = read_frames(path, format=fmt)
    assert len(frames) == 1 and frames[0].source == str(path) and frames[0].index == 0
    assert len(frames[0].atoms) == len(crystal)


def test_trajectories_many_files_and_globs(tmp_path, crystal):
    images = [crystal.copy() for _ in range(3)]
    for i, atoms in enumerate(images):
        atoms.positions[0, 0] += 0.01 * i
    ase.io.write(tmp_path / "run.traj", images)
    ase.io.write(tmp_path / "b.extxyz", images[:2])
    frames = read_frames([tmp_path / "run.traj", str(tmp_path / "*.extxyz")])
    assert [(f.source.split("/")[-1], f.index) for f in frames] == [("run.traj", 0), ("run.traj", 1), ("run.traj", 2),
                                                                     ("b.extxyz", 0), ("b.extxyz", 1)]


def test_bundled_structures_read():
    frames = read_frames([str(structure_path(name)) for name in STRUCTURE_FILES])
    assert [len(f.atoms) for f in frames] == [2, 4, 2, 4, 4, 4]


def test_glob_without_match(tmp_path):
    with pytest.raises(AtlasError, match=r"no file matches"):
        read_frames(str(tmp_path / "*.cif"))


def _closest_pair_by_ase(atoms, radii):
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, radii, self_interaction=False)
    close = d < radii[i] + radii[j]
    return min(d[close]) if close.any() else None


@pytest.mark.parametrize("seed", range(10))
def test_overlap_check_finds_the_closest_pair_ase_finds_in_skewed_cells_slabs_and_clusters(seed):
    from ase.data import covalent_radii

    from atomatlas.io.structures import OVERLAP_FRACTION, Frame, check_frame

    rng = np.random.default_rng(seed)
    cell = np.diag(rng.uniform(3.0, 9.0, 3)) + np.triu(rng.uniform(-2.5, 2.5, (3, 3)), 1)  # skewed
    n = 3 if seed % 2 else 12  # few atoms: some cells have no overlap at all
    atoms = Atoms(rng.choice(["Cu", "H", "O", "Fe"], n), cell=cell, pbc=[True, True, seed % 3 != 0],
                  scaled_positions=rng.uniform(size=(n, 3)))
    if seed >= 8:
        atoms.pbc = False  # a cluster
    if seed in (2, 3):
        atoms.set_cell(cell * [[1], [1], [-1]], scale_atoms=False)  # left-handed, as some files write it
    radii = OVERLAP_FRACTION * covalent_radii[atoms.numbers]
    expected = _closest_pair_by_ase(atoms, radii)
    if expected is None:
        check_frame(Frame(atoms, "random.extxyz", 0))
    else:
        with pytest.raises(AtlasError, match=rf"are {expected:.3f} A apart"):
            check_frame(Frame(atoms, "random.extxyz", 0))


def test_frames_one_at_a_time_are_the_frames_read_whole_and_a_broken_one_is_named(tmp_path, crystal):
    from atomatlas.io.structures import Skipped, iter_frames

    ase.io.write(tmp_path / "md.extxyz", [crystal] * 3)
    whole = read_frames(tmp_path / "md.extxyz")
    streamed = list(iter_frames(tmp_path / "md.extxyz"))
    assert [(f.source, f.index) for f in streamed] == [(f.source, f.index) for f in whole]
    assert all(np.array_equal(a.atoms.positions, b.atoms.positions) for a, b in zip(streamed, whole))
    text = (tmp_path / "md.extxyz").read_text().splitlines()
    broken = text[: len(crystal) + 2] + [str(len(crystal)), text[1]] + ["Cu 0.0 zero 0.0"] * len(crystal)
    (tmp_path / "broken.extxyz").write_text("\n".join(broken) + "\n")
    skipped = []
    frames = list(iter_frames(tmp_path / "broken.extxyz", skipped=skipped))
    assert len(frames) == 1 and len(skipped) == 1
    assert isinstance(skipped[0], Skipped) and skipped[0].frame == 1 and "cannot read" in skipped[0].reason
    with pytest.raises(AtlasError, match=r"broken\.extxyz: cannot read as a structure"):
        list(iter_frames(tmp_path / "broken.extxyz"))


def _dump(crystal, claimed, rows, frames=1) -> str:
    text = []
    for step in range(frames):
        text += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(claimed), "ITEM: BOX BOUNDS pp pp pp",
                 "0 7.2", "0 7.2", "0 7.2", "ITEM: ATOMS id type x y z"]
        text += [f"{i + 1} 1 {x:.6f} {y:.6f} {z:.6f}" for i, (x, y, z) in enumerate(crystal.positions[:rows])]
    return "\n".join(text) + "\n"


@pytest.mark.parametrize("name, text, message", [
    ("huge.extxyz", lambda c, xyz: "1000000000000\n" + xyz.split("\n", 1)[1],
     "a frame claims 1000000000000 atoms, but only"),
    ("huge-second.extxyz", lambda c, xyz: xyz + "1000000000000\n" + xyz.split("\n", 1)[1],
     "a frame claims 1000000000000 atoms, but only"),
    ("short.extxyz", lambda c, xyz: xyz.rsplit("\n", 4)[0] + "\n", "frame 0 claims 32 atoms but the file ends after 29"),
    ("huge.lammpstrj", lambda c, xyz: _dump(c, 10**12, 32), "a frame claims 1000000000000 atoms"),
    ("short.lammpstrj", lambda c, xyz: _dump(c, 54, 32), "frame 0 claims 54 atoms but has 32 rows; the dump is truncated"),
    ("short-then-more.lammpstrj", lambda c, xyz: _dump(c, 33, 32, frames=2), "frame 0 claims 33 atoms but has 32 rows"),
], ids=lambda v: v if isinstance(v, str) and "." in v and " " not in v else "")
def test_claimed_atom_counts_are_checked_before_ase_reads(tmp_path, crystal, name, text, message):
    """A count line claiming 10^12 atoms made ASE loop on readline forever; a short dump was labelled silently."""
    from atomatlas.io.structures import iter_frames

    ase.io.write(tmp_path / "good.extxyz", crystal)
    path = tmp_path / name
    path.write_text(text(crystal, (tmp_path / "good.extxyz").read_text()))
    fmt = "lammps-dump-text" if name.endswith("lammpstrj") else None
    with pytest.raises(AtlasError, match=message):
        read_frames(path, format=fmt)
    with pytest.raises(AtlasError, match=message):
        list(iter_frames(path, format=fmt))


def test_a_bad_file_in_a_batch_is_skipped_with_exit_3(cli, tmp_path, crystal):
    ase.io.write(tmp_path / "good.extxyz", crystal)
    (tmp_path / "huge.extxyz").write_text("1000000000000\n" + (tmp_path / "good.extxyz").read_text().split("\n", 1)[1])
    status, _, err = cli("identify", tmp_path / "good.extxyz", tmp_path / "huge.extxyz", "--no-report",
                         "--out", tmp_path / "run")
    assert status == 3 and "skipped" in err and "huge.extxyz: a frame claims 1000000000000 atoms" in err
    assert (tmp_path / "run" / "labels.csv").exists()


def _with_cell(crystal, change):
    atoms = crystal.copy()
    cell = atoms.get_cell().array.copy()
    change(cell)
    atoms.set_cell(cell, scale_atoms=False)
    return atoms


def test_a_strongly_skewed_cell_is_read_and_described(tmp_path, crystal):
    """A tilt of 10^5 A lost its box heights to round-off inside freud ("Lx, Ly, and Lz must be nonzero")."""
    from atomatlas.descriptors.local_order import LocalOrder

    def tilt(cell):
        cell[1, 0] = 1e5

    ase.io.write(tmp_path / "skewed.extxyz", _with_cell(crystal, tilt))
    (frame,) = read_frames(tmp_path / "skewed.extxyz")
    rows = LocalOrder().per_atom(frame.atoms)
    assert rows.shape[0] == len(crystal) and np.isfinite(rows).all()


def test_a_near_degenerate_cell_is_named_not_out_of_memory(tmp_path, crystal):
    def degenerate(cell):
        cell[2] = cell[0] + [0.0, 1e-5, 1e-5]

    ase.io.write(tmp_path / "flat.extxyz", _with_cell(crystal, degenerate))
    with pytest.raises(AtlasError, match=r"flat.extxyz, frame 0: the cell is \(nearly\) degenerate: its lattice holds "
                                         r"a vector only 1.41e-05 A long"):
        read_frames(tmp_path / "flat.extxyz")


def test_a_binary_file_named_cif_says_so(tmp_path):
    (tmp_path / "photo.cif").write_bytes(bytes(range(256)) * 20)
    with pytest.raises(AtlasError, match=r"photo.cif: holds binary data, but .cif is a text format"):
        read_frames(tmp_path / "photo.cif")


def test_an_empty_library_error_still_says_what_to_check(tmp_path, monkeypatch):
    import ase.io as aseio

    def fails(*args, **kwargs):
        raise AssertionError()

    (tmp_path / "a.cif").write_text("data_x\n")
    monkeypatch.setattr(aseio, "read", fails)
    with pytest.raises(AtlasError, match=r"AssertionError: ASE's reader rejected its contents without saying why\); "
                                         r"check that the file is whole"):
        read_frames(tmp_path / "a.cif")


def test_labels_in_chunks_that_split_frames_reach_the_right_atoms_of_the_right_frames(tmp_path):
    """A --scheduler run's labels come part by part (labels.parquet/); a part may end inside a frame, and a frame
    that was unusable has no rows: each frame still gets exactly its own rows, in order, in structures.extxyz."""
    import pandas as pd

    from atomatlas.io.structures import Frame
    from atomatlas.runs.structure_outputs import write_atoms_in_order

    frames = [Frame(atoms=bulk("Cu", "fcc", a=3.61, cubic=True).repeat(size), source="md.extxyz", index=i)
              for i, size in enumerate((1, 2, 1, 2))]  # 4, 32, 4, 32 atoms
    used = [0, 1, 3]  # frame 2 was unusable: no rows
    labels = pd.concat([pd.DataFrame({"structure": "md.extxyz", "frame": i, "atom": np.arange(len(frames[i].atoms)),
                                      "cluster": 10 * i + np.arange(len(frames[i].atoms)) % 3}) for i in used],
                       ignore_index=True)
    chunks = [labels.iloc[a:b] for a, b in ((0, 6), (6, 7), (7, 50), (50, len(labels)))]
    assert write_atoms_in_order(tmp_path, iter(frames), chunks, batch_atoms=5) == 3
    written = ase.io.read(tmp_path / "structures.extxyz", ":")
    assert [a.info["frame"] for a in written] == used
    for atoms, i in zip(written, used):
        assert (atoms.arrays["cluster"] == 10 * i + np.arange(len(atoms)) % 3).all()
