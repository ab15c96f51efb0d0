"""Grains: each crystalline atom's orientation, the grain it belongs to, and a table of grains and their boundaries.

Only atoms whose shell fits their lattice closely (:data:`CORE_RESIDUAL`) link grains:
boundary atoms' orientations lie between two grains' and would bridge a low-angle
boundary. Each such atom's orientation is averaged with those of its like neighbours within
:data:`EDGE_DEGREES` of it; like neighbours within :data:`FRAGMENT_DEGREES` make fragments
(connected components); fragments of one class that touch (an atom of one has an atom of
the other among its nearest neighbours, or both among an in-between atom's) join, closest
first, while their size-weighted mean orientations stay within :data:`MERGE_DEGREES` (the
two fcc sides of a stacking fault, or a grain that noise cut in two, are one grain). The
loosely fitting atoms then join the grain most of their like neighbours are in. The hcp-stacked atoms of an
fcc planar fault (``stacking.planar_faults``) belong to the fcc grain most of their
neighbours are in, as OVITO's grain segmentation keeps stacking faults inside their grain
(a twin boundary's atoms go to one side). Components of fewer than :data:`MIN_ATOMS`
atoms are no grain (``-1``), like every atom of another class (``other``, amorphous).
Grains are numbered by size, the largest 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.descriptors.orientation import ORIENTED, aligned_to, as_quaternions, mean_orientation, misorientation
from atomatlas.descriptors.orientation import shell_orientations, smallest

EDGE_DEGREES = 5.0  # two neighbours of one grain: measured up to about 4 degrees apart in a warm crystal
FRAGMENT_DEGREES = 2.0  # neighbours (orientations smoothed) that start a fragment together
MERGE_DEGREES = 5.0  # fragments whose mean orientations are this close are one grain
MIN_ATOMS = 20
CORE_RESIDUAL = 0.18  # RMS fit residual (unit bond vectors) under which an atom may link grains: measured 0.16 at
# the 99th percentile of warm grain interiors (0.12 A displacements), 0.21 at the 10th of boundary atoms
SHELL = 12  # neighbours an atom links to
FAULTED = ("intrinsic", "extrinsic", "twin")


def orientations(atoms, classes, pairs, vacuum: float) -> tuple[np.ndarray, np.ndarray]:
    """((atoms, 4) unit quaternions (w, x, y, z) from the sample's frame to the crystal's, each written as its
    smallest rotation under the lattice's symmetry, (atoms,) RMS residual of
    the fit over unit bond vectors); NaN where the class has no orientation (:data:`orientation.ORIENTED`).
    ``pairs``: ``local_order.nearest_neighbours(atoms)``, whose vectors lie in the frame of
    ``io.neighbour_box.periodic_box(atoms, vacuum)``."""
    from atomatlas.io.neighbour_box import box_rotation

    classes = np.asarray(classes)
    out, residual = np.full((len(atoms), 4), np.nan), np.full(len(atoms), np.nan)
    if not np.isin(classes, ORIENTED).any():
        return out, residual
    width = len(pairs.distances) // len(atoms)
    vectors = pairs.vectors.reshape(len(atoms), width, 3).astype(float) @ box_rotation(atoms, vacuum)
    for lattice in ORIENTED:
        rows = np.flatnonzero(classes == lattice)
        if len(rows):
            rotations, residual[rows] = shell_orientations(vectors[rows], lattice)
            out[rows] = smallest(as_quaternions(rotations), lattice)
    return out, residual


def segment(classes, quaternions: np.ndarray, pairs, faults=None, residual=None) -> np.ndarray:
    """The grain of every atom (-1: none), numbered by size. With ``residual`` (of :func:`orientations`), only atoms
    whose shell fits their lattice well link grains; the others (at boundaries) then join their neighbours' grain."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    classes = np.asarray(classes)
    n = len(classes)
    neighbours = _neighbours(pairs, n)
    oriented = ~np.isnan(quaternions[:, 0])
    core = oriented if residual is None else oriented & (residual < CORE_RESIDUAL)
    i, j = np.repeat(np.arange(n), neighbours.shape[1]), neighbours.ravel()
    same = (classes[i] == classes[j]) & core[i] & core[j] & (i != j)
    i, j = i[same], j[same]
    smooth = _smoothed(quaternions, classes, i, j)
    close = np.zeros(len(i), dtype=bool)
    for lattice in np.unique(classes[i]):
        rows = classes[i] == lattice
        close[rows] = misorientation(smooth[i[rows]], smooth[j[rows]], lattice) < FRAGMENT_DEGREES
    graph = coo_matrix((np.ones(close.sum()), (i[close], j[close])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    component[~core] = -1
    component = _merged(component, classes, smooth, neighbours)
    component = _adopted(component, classes, oriented & ~core, neighbours)
    if faults is not None:
        component = _faults_joined(component, classes, np.asarray(faults), neighbours)
    return _numbered(component)


def _smoothed(quaternions, classes, i, j) -> np.ndarray:
    """Each atom's orientation averaged with its like neighbours' within EDGE_DEGREES of it (each brought next to
    its own first): thermal noise averages out, a boundary stays sharp."""
    out = quaternions.copy()
    for lattice in np.unique(classes[i]):
        rows = np.flatnonzero(classes[i] == lattice)
        a, b = i[rows], j[rows]
        near = misorientation(quaternions[a], quaternions[b], lattice) < EDGE_DEGREES
        a, b = a[near], b[near]
        aligned = aligned_to(quaternions[b], quaternions[a], lattice)
        sums = np.zeros_like(quaternions)
        np.add.at(sums, a, aligned)
        atoms = np.unique(a)
        sums[atoms] += quaternions[atoms]
        out[atoms] = sums[atoms] / np.linalg.norm(sums[atoms], axis=1, keepdims=True)
    return out


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
    """Touching fragments of one class joined, closest first, while their mean orientations (size-weighted, and
    updated as they grow) are within MERGE_DEGREES: a chain of small steps across a low-angle boundary does not
    join its two sides, as each side's mean stays its own."""
    import heapq

    ids = np.unique(component[component >= 0])
    if len(ids) < 2:
        return component
    touching = _touching(component, neighbours)
    order = np.argsort(component, kind="stable")
    starts = np.searchsorted(component[order], ids)
    rows = {int(c): order[start:end] for c, start, end in zip(ids, starts, [*starts[1:], len(order)])}
    lattice = {c: classes[rows[c][0]] for c in map(int, ids)}
    total = {c: aligned_to(quaternions[rows[c]], quaternions[rows[c][0]], lattice[c]).sum(axis=0)
             for c in map(int, ids)}
    parent = {c: c for c in map(int, ids)}

    def root(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    def angle(a, b) -> float:
        qa, qb = (total[x] / np.linalg.norm(total[x]) for x in (a, b))
        return float(misorientation(qa[None], qb[None], lattice[a])[0])

    heap = [(angle(a, b), a, b) for a, b in touching.index if lattice[a] == lattice[b]]
    heapq.heapify(heap)
    while heap:
        _, a, b = heapq.heappop(heap)
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        now = angle(ra, rb)
        if now >= MERGE_DEGREES:
            continue
        if (ra, rb) != (a, b) and heap and now > heap[0][0]:  # the means moved since: wait for its turn again
            heapq.heappush(heap, (now, ra, rb))
            continue
        parent[rb] = ra
        total[ra] = total[ra] + aligned_to(total[rb][None], total[ra][None], lattice[ra])[0]
    return np.array([root(c) if c >= 0 else -1 for c in component.tolist()])


def _adopted(component, classes, orphans, neighbours) -> np.ndarray:
    """Orphan atoms (oriented, but fitting their lattice loosely) join the grain of most of their neighbours of
    the same class, if they have any."""
    out = component.copy()
    for atom in np.flatnonzero(orphans):
        around = component[neighbours[atom]]
        around = around[(around >= 0) & (classes[neighbours[atom]] == classes[atom])]
        if len(around):
            out[atom] = np.bincount(around).argmax()
    return out


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


def tables(classes, quaternions: np.ndarray, grain: np.ndarray, pairs,
           residual=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(grains: grain, lattice, atoms, mean orientation qw qx qy qz; boundaries: grain_a, grain_b, their mean
    orientations' misorientation in degrees, atoms at the boundary) of one frame. A grain's mean orientation is
    that of its closely fitting atoms (``residual``), when it has any: boundary atoms' lie between two grains'."""
    classes = np.asarray(classes)
    fits = np.ones(len(classes), dtype=bool) if residual is None else residual < CORE_RESIDUAL
    rows, means, lattices = [], {}, {}
    for g in range(grain.max() + 1 if len(grain) else 0):
        members = np.flatnonzero(grain == g)
        crystal = members[~np.isnan(quaternions[members, 0])]
        if fits[crystal].any():
            crystal = crystal[fits[crystal]]
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
