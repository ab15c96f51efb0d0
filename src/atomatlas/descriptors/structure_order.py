"""A whole structure's vector that does not depend on how the structure was written.

The mean and the spread (standard deviation) over atoms of their local order
(:mod:`atomatlas.descriptors.local_order`: each atom's 18 nearest neighbours on its own
scale, so no bond length, species, orientation or cell choice enters):

* **periodic** structures average every atom, so a primitive cell, a conventional cell and
  any supercell of it give the same vector;
* **clusters** (and anything not periodic in all three directions) average only atoms at
  least :data:`INNER` bonds inside the convex hull, so surface atoms do not count (the
  deepest tenth, at least 8, when none is that deep).
"""

from __future__ import annotations

import numpy as np

from atomatlas.descriptors import local_order
from atomatlas.descriptors.base import Descriptor
from atomatlas.descriptors.local_order import N_FEATURES as ATOM_FEATURES
from atomatlas.descriptors.local_order import SETTINGS as ATOM_SETTINGS
from atomatlas.descriptors.local_order import LocalOrder
from atomatlas.errors import AtlasError

INNER = 2.2  # bonds: beyond the 18 neighbours and their averaging
SETTINGS = {"statistics": ["mean", "std"], "cluster_inner_bonds": INNER, "local_order": ATOM_SETTINGS}
N_FEATURES = 2 * ATOM_FEATURES


def _cluster_depth(positions: np.ndarray) -> np.ndarray:
    """Distance of every atom inside the convex hull to the hull's nearest face."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = ConvexHull(positions)
    except QhullError:  # flat or linear: every atom is on the surface
        return np.zeros(len(positions))
    return -(positions @ hull.equations[:, :3].T + hull.equations[:, 3]).max(axis=1)


def inner_atoms(atoms) -> np.ndarray:
    """Indices of a cluster's atoms whose neighbourhood lies inside it."""
    from scipy.spatial import cKDTree

    positions = atoms.positions
    distances, _ = cKDTree(positions).query(positions, k=2)
    bond = float(np.median(distances[:, 1]))
    if not bond > 0:
        raise AtlasError("atoms on top of each other: the median nearest-neighbour distance is 0.")
    depth = _cluster_depth(positions) / bond
    inside = np.flatnonzero(depth >= INNER)
    return inside if len(inside) >= 8 else np.argsort(-depth)[:max(8, len(positions) // 10)]


class StructureOrder(Descriptor):
    """One row per structure (``create(structures, n_jobs=2)``), of :data:`N_FEATURES` columns; ``one(atoms)`` for one."""

    name = "structure_order"
    averaged = True
    uses_species = False  # geometric: every element looks alike
    settings = SETTINGS

    def feature_names(self) -> list[str]:
        atom = local_order.feature_names()
        return [f"mean_of_{name}" for name in atom] + [f"std_of_{name}" for name in atom]

    def one(self, atoms) -> np.ndarray:
        X = LocalOrder().per_atom(atoms)
        if not atoms.pbc.all():
            X = X[inner_atoms(atoms)]
        return np.concatenate([X.mean(axis=0), X.std(axis=0)])

    def _create_one(self, atoms, centers) -> np.ndarray:
        return self.one(atoms)
