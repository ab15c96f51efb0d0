"""Reusable physics checks for descriptors (run by the test suite for every descriptor).

Each ``check_*`` raises AssertionError with a message naming the broken property. A
descriptor of atomic environments must not change when the structure is translated,
rotated (cell and atoms together), when atoms are renumbered, or when an atom is moved
to another periodic image; it must never modify its input, and splitting the work over
processes must not change a single number.
"""

from __future__ import annotations

import copy

import numpy as np


def _rows(descriptor, atoms, centers=None, n_jobs=1):
    if descriptor.species is None:  # a copy fitted on this structure: the check must not change its input
        descriptor = copy.copy(descriptor).fit(atoms if isinstance(atoms, list) else [atoms])
    return descriptor.create(atoms, centers=centers, n_jobs=n_jobs)


def check_translation(descriptor, atoms, atol=1e-8):
    moved = atoms.copy()
    moved.translate([0.37, -1.21, 0.53])
    if moved.pbc.any():
        moved.wrap()
    np.testing.assert_allclose(_rows(descriptor, moved), _rows(descriptor, atoms), atol=atol,
                               err_msg=f"{descriptor.name}: not translation invariant")


def check_rotation(descriptor, atoms, atol=1e-6):
    turned = atoms.copy()
    turned.rotate(37.0, (1.0, 2.0, 3.0), rotate_cell=True)
    np.testing.assert_allclose(_rows(descriptor, turned), _rows(descriptor, atoms), atol=atol,
                               err_msg=f"{descriptor.name}: not rotation invariant")


def check_permutation(descriptor, atoms, atol=1e-8, seed=0):
    order = np.random.default_rng(seed).permutation(len(atoms))
    np.testing.assert_allclose(_rows(descriptor, atoms[order]), _rows(descriptor, atoms)[order], atol=atol,
                               err_msg=f"{descriptor.name}: rows do not follow a renumbering of the atoms")


def check_periodic_image(descriptor, atoms, atol=1e-8):
    if not atoms.pbc.all():
        return
    imaged = atoms.copy()
    imaged.positions[::2] += imaged.cell[0] - 2 * imaged.cell[1] + imaged.cell[2]
    np.testing.assert_allclose(_rows(descriptor, imaged), _rows(descriptor, atoms), atol=atol,
                               err_msg=f"{descriptor.name}: depends on which periodic image an atom sits in")


def check_input_unchanged(descriptor, atoms):
    before = (atoms.positions.copy(), atoms.numbers.copy(), np.array(atoms.cell), atoms.pbc.copy(),
              dict(atoms.arrays).keys())
    _rows(descriptor, atoms)
    after = (atoms.positions, atoms.numbers, np.array(atoms.cell), atoms.pbc, dict(atoms.arrays).keys())
    for a, b in zip(before[:4], after[:4]):
        assert np.array_equal(a, b), f"{descriptor.name}: modified its input structure"
    assert set(before[4]) == set(after[4]), f"{descriptor.name}: added arrays to its input structure"


def check_n_jobs(descriptor, atoms, centers=None):
    """Enough copies of the structure that the work is split over processes, then compare."""
    copies = [atoms] * (2 + max(2000, descriptor.min_parallel) // max(len(atoms), 1))
    one = _rows(descriptor, copies, n_jobs=1)
    two = _rows(descriptor, copies, n_jobs=2)
    assert np.array_equal(one, two), f"{descriptor.name}: n_jobs=2 gives different numbers than n_jobs=1"


ALL_CHECKS = (check_translation, check_rotation, check_permutation, check_periodic_image, check_input_unchanged,
              check_n_jobs)


def check_descriptor(descriptor, atoms) -> None:
    """Run every physics check on ``descriptor`` with ``atoms``."""
    for check in ALL_CHECKS:
        check(descriptor, atoms)
