"""Close-packed crystals stacked layer by layer, with every atom's planar fault known by construction.

A stacking is a list of steps between consecutive layers: +1 moves A->B->C (fcc goes on),
-1 moves back. A layer is hcp-stacked when the steps below and above it differ (its two
neighbouring layers are the same letter), and a run of -1 steps in fcc of length

* 1 is an intrinsic stacking fault (one layer removed: two adjacent hcp layers),
* 2 is an extrinsic stacking fault (one layer inserted: hcp, fcc, hcp),
* 3 or more is a twin lamella between two coherent twin boundaries (single hcp layers).

The cell is periodic along the stacking, so the steps must add up to a multiple of 3.
"""

from __future__ import annotations

import numpy as np

from atomatlas.errors import AtlasError

RUN = {"fcc": 0, "intrinsic": 1, "extrinsic": 2}  # reversed steps per fault; a twin lamella takes half the layers


def fault_steps(fault: str, layers: int = 24) -> list[int]:
    """Steps of at least ``layers`` layers of fcc (as few more as periodicity needs) holding one ``fault``:
    ``intrinsic``, ``extrinsic``, ``twin`` (a lamella: two boundaries) or none (``fcc``)."""
    if fault not in (*RUN, "twin"):
        raise AtlasError(f"unknown fault {fault!r}; choose one of {[*RUN, 'twin']}.")
    for n in range(layers, layers + 3):
        run = RUN.get(fault, n // 2)
        steps = [1] * (n - run) + [-1] * run
        if sum(steps) % 3 == 0:
            return steps
    raise AssertionError("one of three consecutive layer counts is periodic")


def layer_faults(steps: list[int], fault: str) -> list[str]:
    """Each layer's fault by construction: the built ``fault`` on the hcp-stacked layers (where the step below
    differs from the step above), ``none`` elsewhere."""
    n = len(steps)
    return [fault if steps[k] != steps[(k + 1) % n] else "none" for k in range(n)]


def stacked(steps: list[int], a: float = 3.615, repeat: tuple[int, int] = (6, 4), symbol: str = "Cu"):
    """An orthorhombic periodic cell of close-packed layers (lattice constant ``a`` of the fcc crystal), z along
    the stacking; ``atoms.arrays["layer"]`` is each atom's layer index."""
    from ase import Atoms

    if sum(steps) % 3:
        raise AtlasError("the steps of a periodic stacking must add up to a multiple of 3.")
    bond = a / np.sqrt(2)
    spacing = a / np.sqrt(3)
    in_plane = np.array([[0.0, 0.0], [bond / 2, bond * np.sqrt(3) / 2]])
    shift = np.array([bond / 2, bond * np.sqrt(3) / 6])  # from A to B, B to C, C to A
    nx, ny = repeat
    grid = np.array([[i * bond, j * bond * np.sqrt(3)] for i in range(nx) for j in range(ny)])
    positions, layers, letter = [], [], 0
    for k, step in enumerate(steps):
        letter = (letter + step) % 3
        xy = (grid[:, None, :] + in_plane[None] + letter * shift).reshape(-1, 2)
        positions.append(np.column_stack([xy, np.full(len(xy), k * spacing)]))
        layers.append(np.full(len(xy), k))
    atoms = Atoms(symbol * sum(map(len, positions)), positions=np.concatenate(positions),
                  cell=[nx * bond, ny * bond * np.sqrt(3), len(steps) * spacing], pbc=True)
    atoms.wrap()
    atoms.arrays["layer"] = np.concatenate(layers)
    return atoms
