"""Grains: each crystalline atom's orientation, the grain it belongs to, and a table of grains and their boundaries.

An atom joins its neighbour's grain when both have the same class and their orientations
differ by less than :data:`EDGE_DEGREES` under the lattice's symmetry (connected
components of that graph). Grains of one class that touch (an atom of one has an atom of
the other among its nearest neighbours, or both among an in-between atom's) and whose
mean orientations differ by less than :data:`MERGE_DEGREES` are one grain: the two fcc
sides of a stacking fault, or a grain that noise cut in two. The hcp-stacked atoms of an
fcc planar fault (``stacking.planar_faults``) belong to the fcc grain most of their
neighbours are in, as OVITO's grain segmentation keeps stacking faults inside their grain
(a twin boundary's atoms go to one side). Components of fewer than :data:`MIN_ATOMS`
atoms are no grain (``-1``), like every atom of another class (``other``, amorphous).
Grains are numbered by size, the largest 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.descriptors.orientation import ORIENTED, as_quaternions, mean_orientation, misorientation
from atomatlas.descriptors.orientation import shell_orientations

EDGE_DEGREES = 5.0  # two neighbours of one grain: measured up to about 4 degrees apart in a warm crystal
MERGE_DEGREES = 5.0
MIN_ATOMS = 20
SHELL = 12  # neighbours an atom links to
FAULTED = ("intrinsic", "extrinsic", "twin")


def orientations(atoms, classes, pairs, vacuum: float) -> np.ndarray:
    """(atoms, 4) unit quaternions (w, x, y, z) from the sample's frame to the crystal's; NaN where the class has no
    orientation (:data:`orientation.ORIENTED`). ``pairs``: ``local_order.nearest_neighbours(atoms)``, whose vectors
    lie in the frame of ``io.neighbour_box.periodic_box(atoms, vacuum)``."""
    from atomatlas.io.neighbour_box import box_rotation

    classes = np.asarray(classes)
    out = np.full((len(atoms), 4), np.nan)
    if not np.isin(classes, ORIENTED).any():
        return out
    width = len(pairs.distances) // len(atoms)
    vectors = pairs.vectors.reshape(len(atoms), width, 3).astype(float) @ box_rotation(atoms, vacuum)
    for lattice in ORIENTED:
        rows = np.flatnonzero(classes == lattice)
        if len(rows):
            out[rows] = as_quaternions(shell_orientations(vectors[rows], lattice)[0])
    return out


def segment(classes, quaternions: np.ndarray, pairs, faults=None) -> np.ndarray:
    """The grain of every atom (-1: none), numbered by size."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    classes = np.asarray(classes)
    n = len(classes)
    neighbours = _neighbours(pairs, n)
    i = np.repeat(np.arange(n), neighbours.shape[1])
    j = neighbours.ravel()
    oriented = ~np.isnan(quaternions[:, 0])
    same = (classes[i] == classes[j]) & oriented[i] & oriented[j] & (i < j)
    i, j = i[same], j[same]
    close = np.zeros(len(i), dtype=bool)
    for lattice in np.unique(classes[i]):
        rows = classes[i] == lattice
        close[rows] = misorientation(quaternions[i[rows]], quaternions[j[rows]], lattice) < EDGE_DEGREES
    graph = coo_matrix((np.ones(close.sum()), (i[close], j[close])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    component[~oriented] = -1
    component = _merged(component, classes, quaternions, neighbours)
    if faults is not None:
        component = _faults_joined(component, classes, np.asarray(faults), neighbours)
    return _numbered(component)


def _neighbours(pairs, n: int) -> np.ndarray:
    width = len(pairs.distances) // n
    return pairs.point_indices.reshape(n, width)[:, :SHELL] % n


def _touching(component: np.ndarray, neighbours: np.ndarray) -> pd.Series:
    """Atoms whose neighbourhood (the atom and its neighbours) holds both grains a < b, indexed by (a, b)."""
    around = np.column_stack([component, component[neighbours]])
    atom = np.repeat(np.arange(len(component)), around.shape[1])
    held = pd.DataFrame({"atom": atom, "grain": around.ravel()})
    held = held[held["grain"] >= 0].drop_duplicates()
    several = held[held.groupby("atom")["grain"].transform("size") > 1]
    both = several.merge(several, on="atom", suffixes=("_a", "_b"))
    both = both[both["grain_a"] < both["grain_b"]]
    return both.groupby(["grain_a", "grain_b"]).size().sort_index()


def _merged(component, classes, quaternions, neighbours) -> np.ndarray:
    """Touching components (of at least MIN_ATOMS atoms) of one class whose mean orientations are within
    MERGE_DEGREES joined (union-find); the smaller ones are left as they are (no grain, unless edges joined them)."""
    ids, sizes = np.unique(component[component >= 0], return_counts=True)
    large = set(ids[sizes >= MIN_ATOMS].tolist())
    touching = [(a, b) for a, b in _touching(component, neighbours).index if a in large and b in large]
    if not touching:
        return component
    order = np.argsort(component, kind="stable")
    starts = np.searchsorted(component[order], sorted(large))
    members = {c: order[start:start + sizes[ids == c][0]] for c, start in zip(sorted(large), starts)}
    lattice = {c: classes[rows[0]] for c, rows in members.items()}
    means = {c: mean_orientation(quaternions[rows], lattice[c]) for c, rows in members.items()}
    parent = {c: c for c in large}

    def root(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for a, b in touching:
        if lattice[a] == lattice[b] and root(a) != root(b) and \
                misorientation(means[a][None], means[b][None], lattice[a])[0] < MERGE_DEGREES:
            parent[root(b)] = root(a)
    return np.array([root(c) if c in large else c for c in component.tolist()])


def _faults_joined(component, classes, faults, neighbours) -> np.ndarray:
    """Atoms of an fcc planar fault join the fcc grain most of their neighbours belong to."""
    out = component.copy()
    fcc_grain = np.where(classes == "fcc", component, -1)
    for atom in np.flatnonzero(np.isin(faults, FAULTED)):
        around = fcc_grain[neighbours[atom]]
        around = around[around >= 0]
        if len(around):
            out[atom] = np.bincount(around).argmax()
    return out


def _numbered(component: np.ndarray) -> np.ndarray:
    """Grains of at least MIN_ATOMS atoms numbered 0, 1, ... by size (ties by first atom); the rest -1."""
    ids, first, sizes = np.unique(component, return_index=True, return_counts=True)
    keep = (ids >= 0) & (sizes >= MIN_ATOMS)
    order = sorted(np.flatnonzero(keep), key=lambda k: (-sizes[k], first[k]))
    lookup = {int(ids[k]): number for number, k in enumerate(order)}
    return np.array([lookup.get(c, -1) for c in component.tolist()])


def tables(classes, quaternions: np.ndarray, grain: np.ndarray, pairs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(grains: grain, lattice, atoms, mean orientation qw qx qy qz; boundaries: grain_a, grain_b, their mean
    orientations' misorientation in degrees, atoms at the boundary) of one frame."""
    classes = np.asarray(classes)
    rows, means, lattices = [], {}, {}
    for g in range(grain.max() + 1 if len(grain) else 0):
        members = np.flatnonzero(grain == g)
        crystal = members[~np.isnan(quaternions[members, 0])]
        lattice = pd.Series(classes[crystal]).mode().iloc[0]
        crystal = crystal[classes[crystal] == lattice]
        means[g], lattices[g] = mean_orientation(quaternions[crystal], lattice), lattice
        rows.append({"grain": g, "lattice": lattice, "atoms": len(members),
                     **dict(zip(("qw", "qx", "qy", "qz"), np.round(means[g], 6)))})
    boundaries = []
    for (a, b), count in _touching(grain, _neighbours(pairs, len(grain))).items():
        angle = misorientation(means[a][None], means[b][None], lattices[a])[0] \
            if lattices[a] == lattices[b] and lattices[a] in ORIENTED else np.nan
        boundaries.append({"grain_a": int(a), "grain_b": int(b), "misorientation": round(float(angle), 3),
                           "boundary_atoms": int(count)})
    return (pd.DataFrame(rows, columns=["grain", "lattice", "atoms", "qw", "qx", "qy", "qz"]),
            pd.DataFrame(boundaries, columns=["grain_a", "grain_b", "misorientation", "boundary_atoms"]))
