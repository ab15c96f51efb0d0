"""A crystal's averaged SOAP that does not depend on how the crystal was written.

The same crystal handed in as a primitive cell, a conventional cell, a skewed supercell,
rotated, or cut out as a cluster without a cell gives (nearly) the same vector:

* **scale**: the structure is rescaled so that its median nearest-neighbour distance is
  :data:`BOND` (so Cu and Pb fcc look alike, and the cut-off covers the same shells);
* **chemistry**: every atom is treated as one species (the classes are geometric);
* **cell and orientation**: SOAP power spectra are rotation invariant, and averaging over
  atoms of a periodic structure does not depend on the cell that repeats them;
* **clusters**: only atoms whose whole cut-off sphere lies inside the convex hull are
  averaged, so surface atoms do not count (the deepest tenth when none is that deep).

At most :data:`N_CENTRES` atoms are averaged (a deterministic sample), so the cost per
structure stays flat from 50 to 5000 atoms. DScribe computes the spectra.
"""

from __future__ import annotations

import numpy as np

from atomatlas.errors import AtlasError

BOND = 2.5  # A: every structure is rescaled to this nearest-neighbour distance
SETTINGS = {"r_cut": 2.2 * BOND, "n_max": 8, "l_max": 8, "sigma": 0.2 * BOND}
N_CENTRES = 96
PARALLEL_FROM = 1000  # atoms in a frame before per_atom splits it among workers


def _periodic_images(atoms):
    """Niggli-reduced, wrapped atoms and their 27 periodic images (for nearest distances)."""
    from ase.build import niggli_reduce

    reduced = atoms.copy()
    niggli_reduce(reduced)
    reduced.wrap()
    grid = np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1])).reshape(3, -1).T
    shifts = grid @ reduced.cell[:]
    return reduced, (reduced.positions[None, :, :] + shifts[:, None, :]).reshape(-1, 3)


def _cluster_depth(positions: np.ndarray) -> np.ndarray:
    """Distance of every atom inside the convex hull to the hull's nearest face."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = ConvexHull(positions)
    except QhullError:  # flat or linear: every atom is on the surface
        return np.zeros(len(positions))
    return -(positions @ hull.equations[:, :3].T + hull.equations[:, 3]).max(axis=1)


def check_describable(atoms) -> None:
    """Refuse what has no crystal to describe (one atom without a cell), before any worker starts."""
    if len(atoms) < 2 and not atoms.pbc.all():
        raise AtlasError(f"{len(atoms)} atom(s) and no periodic cell: a crystal class needs a periodic cell or "
                         "a cluster of atoms.")


def centres_and_bond(atoms, rng):
    """(atoms to describe, indices of the averaged centres, median nearest-neighbour distance)."""
    from scipy.spatial import cKDTree

    check_describable(atoms)
    if atoms.pbc.all():
        reduced, points = _periodic_images(atoms)
        pick = np.sort(rng.choice(len(atoms), min(N_CENTRES, len(atoms)), replace=False))
        distances, _ = cKDTree(points).query(reduced.positions[pick], k=2)
        return reduced, pick, float(np.median(distances[:, 1]))
    positions = atoms.positions
    distances, _ = cKDTree(positions).query(positions, k=2)
    bond = float(np.median(distances[:, 1]))
    depth = _cluster_depth(positions) / max(bond, 1e-12)
    inside = np.flatnonzero(depth >= SETTINGS["r_cut"] / BOND)
    if len(inside) < 8:
        inside = np.argsort(-depth)[:max(8, len(positions) // 10)]
    pick = np.sort(rng.choice(inside, min(N_CENTRES, len(inside)), replace=False))
    return atoms, pick, bond


class CrystalSOAP:
    """Averaged, scale-free, species-free SOAP of whole structures (see the module docstring)."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._dscribe = {}

    def _soap(self, periodic: bool):
        if periodic not in self._dscribe:
            from dscribe.descriptors import SOAP

            self._dscribe[periodic] = SOAP(species=["Cu"], periodic=periodic, **SETTINGS)
        return self._dscribe[periodic]

    def n_features(self) -> int:
        return int(self._soap(True).get_number_of_features())

    def _scaled(self, atoms, bond: float):
        """``atoms`` as one species, rescaled so that ``bond`` becomes :data:`BOND`."""
        from ase import Atoms

        if not bond > 0:
            raise AtlasError("atoms on top of each other: the median nearest-neighbour distance is 0.")
        scale = BOND / bond
        periodic = bool(atoms.pbc.all())
        return Atoms(numbers=np.full(len(atoms), 29), positions=atoms.positions * scale,
                     cell=atoms.cell[:] * scale if periodic else None, pbc=periodic)

    def one(self, atoms) -> np.ndarray:
        """The structure's vector: the spectra of its (sampled, inner) atoms averaged."""
        described, centres, bond = centres_and_bond(atoms, np.random.default_rng(self.seed))
        scaled = self._scaled(described, bond)
        return self._soap(bool(scaled.pbc.all())).create(scaled, centers=[int(i) for i in centres]).mean(axis=0)

    def per_atom(self, atoms, n_jobs: int = 1) -> np.ndarray:
        """Every atom's spectrum (n_atoms, n_features), on the same scale as :meth:`one`, in the atoms' order.

        With ``n_jobs`` > 1 a large frame's atoms are split among worker processes (DScribe
        parallelises over structures only, and holds the GIL).
        """
        _, _, bond = centres_and_bond(atoms, np.random.default_rng(self.seed))
        scaled = self._scaled(atoms, bond)
        if n_jobs == 1 or len(atoms) < PARALLEL_FROM:
            return np.asarray(self._soap(bool(scaled.pbc.all())).create(scaled))
        from joblib import delayed

        from atomatlas.descriptors.workers import parallel

        parts = np.array_split(np.arange(len(atoms)), n_jobs)
        return np.concatenate(parallel(n_jobs)(delayed(_centres)(scaled, [int(i) for i in part]) for part in parts))

    def __call__(self, structures, n_jobs: int = 1, progress: bool = False) -> np.ndarray:
        """Vectors of many structures: shape (n, n_features)."""
        structures = list(structures)
        if not structures:
            return np.empty((0, self.n_features()))
        if n_jobs == 1 or len(structures) < 16:
            return np.stack([self.one(atoms) for atoms in _progress(structures, progress)])
        from joblib import delayed

        from atomatlas.descriptors.workers import parallel

        chunks = [c for c in np.array_split(np.arange(len(structures)), n_jobs * 4) if len(c)]
        parts = parallel(n_jobs)(delayed(_chunk)(self.seed, [structures[i] for i in chunk])
                                 for chunk in _progress(chunks, progress))
        return np.concatenate(parts)


def _centres(scaled, centres: list[int]) -> np.ndarray:
    return np.asarray(CrystalSOAP()._soap(bool(scaled.pbc.all())).create(scaled, centers=centres))


def _chunk(seed: int, structures) -> np.ndarray:
    maker = CrystalSOAP(seed)
    return np.stack([maker.one(atoms) for atoms in structures])


def _progress(items, show: bool):
    if not show:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc="crystal SOAP", leave=False)
