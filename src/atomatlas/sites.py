"""Geometric adsorption-site types on a close-packed (111) or (0001) surface.

Every probe point gets the type of the nearest high-symmetry site in the surface plane
(periodic in the two surface directions): ``top`` (above a first-layer atom), ``bridge``
(midpoint of two neighbouring first-layer atoms), ``hcp`` hollow (above a second-layer
atom) and ``fcc`` hollow (above a third-layer atom). This is the ground truth the
cu111-sites recipe scores its clusters against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError

SITE_TYPES = ("top", "bridge", "fcc", "hcp")


def _layers(atoms) -> list[np.ndarray]:
    """Atom indices per layer, topmost first (layers found by rounding heights)."""
    z = np.round(atoms.positions[:, 2], 2)
    heights = np.unique(z)[::-1]
    if len(heights) < 3:
        raise AtlasError("site types need a slab of at least three layers.")
    return [np.flatnonzero(z == h) for h in heights[:3]]


def _wrap_2d(delta: np.ndarray, cell2: np.ndarray) -> np.ndarray:
    """Minimum-image lateral vectors for a 2-D cell (rows a1, a2)."""
    fractional = delta @ np.linalg.inv(cell2)
    fractional -= np.round(fractional)
    return fractional @ cell2


def site_positions(atoms) -> dict[str, np.ndarray]:
    """Lateral (x, y) positions of every high-symmetry site in the cell."""
    top, second, third = _layers(atoms)
    cell2 = np.asarray(atoms.cell)[:2, :2]
    xy = atoms.positions[:, :2]
    first = xy[top]
    delta = _wrap_2d(first[None, :, :] - first[:, None, :], cell2)
    distance = np.linalg.norm(delta, axis=-1)
    nearest = distance[distance > 1e-6].min()
    i, j = np.nonzero(np.triu(np.abs(distance - nearest) < 1e-3 * nearest + 1e-6, k=1))
    bridges = first[i] + delta[i, j] / 2
    return {"top": first, "bridge": bridges, "hcp": xy[second], "fcc": xy[third]}


def site_types(atoms, points: np.ndarray) -> np.ndarray:
    """The site type of each probe point (an array of strings from SITE_TYPES)."""
    cell2 = np.asarray(atoms.cell)[:2, :2]
    points = np.asarray(points, dtype=float)[:, :2]
    best = np.full(len(points), np.inf)
    kinds = np.empty(len(points), dtype=object)
    for kind, sites in site_positions(atoms).items():
        delta = _wrap_2d(points[:, None, :] - sites[None, :, :], cell2)
        distance = np.linalg.norm(delta, axis=-1).min(axis=1)
        closer = distance < best - 1e-6  # a tie (a point on a site boundary) keeps the earlier type
        best[closer], kinds[closer] = distance[closer], kind
    return kinds.astype(str)


def site_purity(kinds, clusters) -> dict:
    """How purely clusters match site types: per cluster its majority type and that type's share."""
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
