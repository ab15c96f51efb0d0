import ase.io
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
