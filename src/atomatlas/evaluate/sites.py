"""Geometric adsorption-site types on a close-packed surface: fcc(111) or hcp(0001), rattled or relaxed.

Every probe point gets the type of the nearest high-symmetry site in the surface plane
(periodic in the two surface directions):

* ``top``: above a first-layer atom;
* ``bridge``: midway between two neighbouring first-layer atoms;
* ``hcp`` hollow: the centre of a triangle of first-layer neighbours with a
  second-layer atom below it;
* ``fcc`` hollow: such a centre with no second-layer atom below it.

The hollow rule holds for both stackings: on fcc(111) (ABC) the fcc hollow sits above
a third-layer atom, on hcp(0001) (ABAB) above nothing down to the third layer, which
repeats the first. Layers are found from gaps in the heights, relative to the
structure's own bond length, so thermal noise and surface relaxation (a few tenths of
an angstrom) do not split or merge them. This is the ground truth the cu111 recipes
score their clusters against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError

SITE_TYPES = ("top", "bridge", "fcc", "hcp")
# A gap in height larger than this fraction of the nearest-neighbour distance separates two layers
# (close-packed interlayer spacing is about 0.82 of it; rattling and relaxation move atoms far less).
LAYER_GAP = 0.35
NEAR_SITE = 0.35  # A: probe points this close (laterally) to a site are scored by site_purity(near=...)


def _nearest_neighbour(atoms) -> float:
    from ase.neighborlist import neighbor_list

    d = neighbor_list("d", atoms, 6.0)
    if len(d) == 0:
        raise AtlasError("site types need a slab with neighbouring atoms (none within 6 A).")
    return float(d.min())


def layers(atoms) -> list[np.ndarray]:
    """Atom indices per layer, topmost first: atoms are split where the heights jump by a layer gap."""
    z = atoms.positions[:, 2]
    order = np.argsort(-z)
    gaps = -np.diff(z[order])
    cut = np.flatnonzero(gaps > LAYER_GAP * _nearest_neighbour(atoms))
    groups = np.split(order, cut + 1)
    if len(groups) < 2:
        raise AtlasError("site types need a slab of at least two layers (found one).")
    return groups


def _wrap_2d(delta: np.ndarray, cell2: np.ndarray) -> np.ndarray:
    """Minimum-image lateral vectors for a 2-D cell (rows a1, a2)."""
    fractional = delta @ np.linalg.inv(cell2)
    fractional -= np.round(fractional)
    return fractional @ cell2


def _tiled(xy: np.ndarray, cell2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points and their 8 periodic neighbours' images; second array: index of the original point."""
    shifts = np.array([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)]) @ cell2
    return (xy[None, :, :] + shifts[:, None, :]).reshape(-1, 2), np.tile(np.arange(len(xy)), len(shifts))


def site_positions(atoms) -> dict[str, np.ndarray]:
    """Lateral (x, y) positions of every high-symmetry site in the cell, by type."""
    from scipy.spatial import Delaunay

    first, second = layers(atoms)[:2]
    cell2 = np.asarray(atoms.cell)[:2, :2]
    xy = atoms.positions[:, :2]
    top = xy[first]
    delta = _wrap_2d(top[None, :, :] - top[:, None, :], cell2)
    distance = np.linalg.norm(delta, axis=-1)
    bond = distance[distance > 1e-6].min()
    i, j = np.nonzero(np.triu((distance > 1e-6) & (distance < 1.25 * bond), k=1))
    bridges = top[i] + delta[i, j] / 2
    # hollows: Delaunay triangles of the periodically tiled top layer whose sides are all bonds
    points, _ = _tiled(top, cell2)
    hollows = []
    for triangle in Delaunay(points).simplices:
        corners = points[triangle]
        sides = np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)
        if sides.max() < 1.25 * bond:
            hollows.append(corners.mean(axis=0))
    hollows = _unique_in_cell(np.asarray(hollows), cell2)
    below = xy[second]
    to_second = np.linalg.norm(_wrap_2d(hollows[:, None, :] - below[None, :, :], cell2), axis=-1).min(axis=1)
    is_hcp = to_second < 0.3 * bond  # a second-layer atom right below the hollow
    return {"top": top, "bridge": bridges, "fcc": hollows[~is_hcp], "hcp": hollows[is_hcp]}


def _unique_in_cell(points: np.ndarray, cell2: np.ndarray, tolerance: float = 1e-3) -> np.ndarray:
    """One copy of each point modulo the surface lattice."""
    fractional = points @ np.linalg.inv(cell2)
    fractional -= np.floor(fractional)
    kept: list[np.ndarray] = []
    for point in fractional @ cell2:
        if all(np.linalg.norm(_wrap_2d(point - other, cell2)) > tolerance for other in kept):
            kept.append(point)
    return np.asarray(kept)


def nearest_sites(atoms, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each probe point, the type of the nearest site and the lateral distance to it (A)."""
    cell2 = np.asarray(atoms.cell)[:2, :2]
    points = np.asarray(points, dtype=float)[:, :2]
    best = np.full(len(points), np.inf)
    kinds = np.empty(len(points), dtype=object)
    for kind, sites in site_positions(atoms).items():
        if len(sites) == 0:
            continue
        distance = np.linalg.norm(_wrap_2d(points[:, None, :] - sites[None, :, :], cell2), axis=-1).min(axis=1)
        closer = distance < best - 1e-6  # a tie (a point on a site boundary) keeps the earlier type
        best[closer], kinds[closer] = distance[closer], kind
    return kinds.astype(str), best


def site_types(atoms, points: np.ndarray) -> np.ndarray:
    """The site type of each probe point (an array of strings from SITE_TYPES)."""
    return nearest_sites(atoms, points)[0]


def site_purity(kinds, clusters, distance=None, near: float = NEAR_SITE) -> dict:
    """How purely clusters match site types: overall, per cluster, and near the sites.

    ``distance`` (lateral distance of each point to its site) adds the same scores over
    the points within ``near`` A of a site, where the type is unambiguous (points
    between sites are mixtures of neighbouring environments, so any clustering splits
    them somewhat arbitrarily).
    """
    from atomatlas.evaluate import evaluate_clusters

    kinds, clusters = np.asarray(kinds), np.asarray(clusters)
    out = _purity(kinds, clusters)
    scores = evaluate_clusters(pd.Series(kinds), clusters)
    out["adjusted_rand_index"], out["normalized_mutual_info"] = (scores["adjusted_rand_index"],
                                                                 scores["normalized_mutual_info"])
    if distance is not None:
        close = np.asarray(distance) <= near
        out["near_sites"] = {"within": near, "points": int(close.sum()), **_purity(kinds[close], clusters[close])}
    return out


def _purity(kinds: np.ndarray, clusters: np.ndarray) -> dict:
    table = pd.crosstab(pd.Series(clusters, name="cluster"), pd.Series(kinds, name="site"))
    majority = table.idxmax(axis=1)
    share = table.max(axis=1) / table.sum(axis=1)
    owners = {kind: sorted(int(c) for c in majority.index[majority == kind]) for kind in SITE_TYPES}
    return {
        "overall_purity": float(table.max(axis=1).sum() / table.to_numpy().sum()),
        "clusters": {int(c): {"site": majority[c], "purity": float(share[c]), "points": int(table.loc[c].sum())}
                     for c in table.index},
        "clusters_owned_by_site": owners,
        "every_site_owns_a_cluster": all(owners[kind] for kind in SITE_TYPES),
    }
