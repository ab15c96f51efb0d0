"""A cheap radial distribution histogram around each centre (atoms or probe points)."""

from __future__ import annotations

import numpy as np

from atomatlas.descriptors.base import Descriptor, is_number, require


class RDF(Descriptor):
    """Neighbour distances up to ``r_cut`` as a Gaussian-smeared histogram of ``n_bins`` bins.

    Each neighbour at distance d adds a Gaussian of width ``sigma`` centred on d,
    evaluated at the bin centres; smearing makes the histogram continuous in the
    positions, so thermal noise moves it smoothly. Neighbours of all species count alike.
    """

    name = "rdf"
    uses_species = False  # neighbours of every species count alike
    DEFAULTS = {"r_cut": 6.0, "n_bins": 60, "sigma": 0.1, "species": None, "periodic": True}

    def __init__(self, r_cut=6.0, n_bins=60, sigma=0.1, species=None, periodic=True):
        super().__init__(r_cut=r_cut, n_bins=n_bins, sigma=sigma, species=species, periodic=periodic)
        self.species = list(species) if species else None
        self.periodic = bool(periodic)
        require(is_number(r_cut) and r_cut > 0, "rdf", f"r_cut={r_cut!r} must be a positive number (A)")
        require(isinstance(n_bins, int) and not isinstance(n_bins, bool) and 1 <= n_bins <= 10000, "rdf",
                f"n_bins={n_bins!r} must be an integer from 1 to 10000")
        require(is_number(sigma) and sigma > 0, "rdf", f"sigma={sigma!r} must be a positive number (A)")

    def _bins(self) -> np.ndarray:
        edges = np.linspace(0.0, self.params["r_cut"], self.params["n_bins"] + 1)
        return (edges[:-1] + edges[1:]) / 2

    def feature_names(self) -> list[str]:
        return [f"rdf_{r:.3f}" for r in self._bins()]

    def _create_one(self, atoms, centers) -> np.ndarray:
        from ase import Atoms
        from ase.neighborlist import neighbor_list

        r_cut, sigma = self.params["r_cut"], self.params["sigma"]
        system = atoms.copy()  # never touch the caller's structure
        if not self.periodic:
            system.pbc = False
        if centers is None:
            centre_index = np.arange(len(system))
        elif np.asarray(centers).ndim == 1:
            centre_index = np.asarray(centers, dtype=int)
        else:  # probe points: add them as ghost atoms (Z = 0) and keep only ghost-to-atom pairs
            n_real = len(system)
            system += Atoms(numbers=np.zeros(len(centers), dtype=int), positions=np.asarray(centers, dtype=float))
            centre_index = np.arange(n_real, len(system))
        i, j, d = neighbor_list("ijd", system, r_cut + 3 * sigma, self_interaction=False)
        keep = system.numbers[j] > 0  # ghosts are not neighbours
        i, d = i[keep], d[keep]
        row_of = np.full(len(system), -1)
        row_of[centre_index] = np.arange(len(centre_index))
        rows = row_of[i]
        keep = rows >= 0
        rows, d = rows[keep], d[keep]
        order = np.lexsort((d, rows))  # a fixed summation order: same numbers however centres are chunked
        rows, d = rows[order], d[order]
        bins = self._bins()
        weights = np.exp(-0.5 * ((bins[None, :] - d[:, None]) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        out = np.zeros((len(centre_index), len(bins)))
        np.add.at(out, rows, weights)
        return out
