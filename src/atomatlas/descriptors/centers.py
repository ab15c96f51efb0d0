"""Where descriptors are evaluated: every atom, atoms of chosen species, or probe points."""

from __future__ import annotations

import numpy as np

from atomatlas.errors import AtlasError


def species_centers(atoms, species: list[str]) -> np.ndarray:
    """Indices of the atoms of the given species."""
    symbols = np.array(atoms.get_chemical_symbols())
    unknown = sorted(set(species) - set(symbols))
    if len(unknown) == len(set(species)):
        raise AtlasError(f"no atom of species {species} in the structure (it has {sorted(set(symbols))}).")
    return np.flatnonzero(np.isin(symbols, species))


def surface_grid(atoms, n: int = 100, height: float = 1.0, endpoint: bool = True) -> np.ndarray:
    """An n x n grid of points spanning the surface cell, ``height`` A above the topmost atom.

    ``endpoint=True`` reproduces seed 000 (the grid includes both cell edges, so the edge
    points repeat by periodicity); ``endpoint=False`` gives a grid commensurate with the
    cell, whose points map onto each other under a surface lattice translation.
    """
    if n < 2:
        raise AtlasError(f"the probe grid needs n >= 2 points per side; got {n}.")
    if atoms.cell.rank < 3:
        raise AtlasError("a surface grid needs a 3-D cell (the slab with its vacuum).")
    cell = atoms.get_cell()
    top = (atoms.positions[:, 2].max() + height) / cell[2, 2]
    axis = np.linspace(0, 1, n, endpoint=endpoint)
    x, y, z = np.meshgrid(axis, axis, [top])
    scaled = np.vstack([x.ravel(), y.ravel(), z.ravel()]).T
    return cell.cartesian_positions(scaled)
