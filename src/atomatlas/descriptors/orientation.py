"""Each crystalline atom's lattice orientation, from its nearest neighbours and its class's ideal shell.

For an atom of an oriented class (fcc, bcc, sc, diamond, hcp) the rotation that carries
its neighbour vectors onto the ideal shell of its class (:data:`TEMPLATES`, in the
crystal's frame: fcc's twelve <110>, bcc's eight <111> and six <100>, sc's six <100>,
diamond's tetrahedron, hcp's twelve at ideal c/a with a along x and c along z) is found
as polyhedral template matching does, without its graph search: the nearest (then the
second-nearest) neighbour and the neighbour whose angle to it is closest to the shell's
characteristic angle are mapped onto each ordered pair of the template at that angle that
the template's own rotations do not map onto one another; each neighbour is then
assigned to its nearest template vector, and Kabsch's fit on that assignment (assigned
and fitted twice) gives the rotation whose residual is smallest. hex_diamond atoms get
no orientation.

Orientations are unit quaternions (w, x, y, z) of the rotation from the sample's frame to
the crystal's. Two orientations are the same up to the symmetry of the lattice
(:func:`symmetry`: 24 rotations for the cubic classes, 12 for the hexagonal), which
:func:`misorientation` takes into account.
"""

from __future__ import annotations

import functools

import numpy as np

CUBIC = ("fcc", "bcc", "sc", "diamond")
HEXAGONAL = ("hcp",)
ORIENTED = CUBIC + HEXAGONAL


def _unit(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=float)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _signed_permutations(base) -> np.ndarray:
    """Every vector with the components of ``base`` permuted and signed, once each."""
    from itertools import permutations, product

    found = {tuple(s * v for s, v in zip(signs, p)) for p in permutations(base) for signs in product((1, -1), repeat=3)}
    return _unit(sorted(found))


def _hcp_template() -> np.ndarray:
    """hcp's twelve neighbour directions at ideal c/a, a along x and c along z: six in the layer, and three above
    and three below at the azimuths of the next layer's sites."""
    layer = [(np.cos(t), np.sin(t), 0.0) for t in np.radians(np.arange(0, 360, 60))]
    up = np.sqrt(2 / 3)  # c/2 over the bond at ideal c/a
    out = [(np.cos(t) / np.sqrt(3), np.sin(t) / np.sqrt(3), s * up) for s in (1, -1)
           for t in np.radians([30, 150, 270])]
    return _unit(layer + out)


TEMPLATES = {"fcc": _signed_permutations((1, 1, 0)),
             # bcc's second shell is only 15% farther than its first: both, or a warm crystal mixes them up
             "bcc": np.concatenate([_signed_permutations((1, 1, 1)), _signed_permutations((1, 0, 0))]),
             "sc": _signed_permutations((1, 0, 0)),
             "diamond": _unit([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)]),
             "hcp": _hcp_template()}
ANCHORS = (0, 1)  # the nearest and second-nearest neighbour each anchor a pair: a warm bcc's nearest may be <100>
ANGLE = {"fcc": 60.0, "hcp": 60.0, "bcc": np.degrees(np.arccos(1 / 3)), "sc": 90.0,
         "diamond": np.degrees(np.arccos(-1 / 3))}


def _lattice_group(lattice: str):
    """The proper rotations of the lattice's point group (scipy Rotations): 24 (cubic), 12 (hexagonal, c along z)."""
    from scipy.spatial.transform import Rotation

    return Rotation.create_group("O") if lattice in CUBIC else Rotation.create_group("D6", axis="Z")


@functools.cache
def symmetry(lattice: str) -> np.ndarray:
    """:func:`_lattice_group` as unit quaternions (w, x, y, z)."""
    out = _scipy_to_wxyz(_lattice_group(lattice).as_quat())
    out.setflags(write=False)  # cached: shared by every caller
    return out


def _scipy_to_wxyz(quat: np.ndarray) -> np.ndarray:
    return np.concatenate([quat[..., 3:], quat[..., :3]], axis=-1)


@functools.cache
def _pair_representatives(lattice: str) -> tuple[tuple[int, int], ...]:
    """One ordered pair of template vectors at the characteristic angle from each orbit of the rotation group."""
    template = TEMPLATES[lattice]
    cosine = np.cos(np.radians(ANGLE[lattice]))
    pairs = [(a, b) for a in range(len(template)) for b in range(len(template))
             if a != b and abs(template[a] @ template[b] - cosine) < 1e-6]
    group = [g for g in _lattice_group(lattice).as_matrix()  # those that map the template onto itself
             if (template @ g.T @ template.T).max(axis=1).min() > 1 - 1e-9]
    seen, out = set(), []
    for a, b in pairs:
        if (a, b) in seen:
            continue
        out.append((a, b))
        for rotation in group:  # the orbit of (a, b)
            ra, rb = template[a] @ rotation.T, template[b] @ rotation.T
            seen.add((int(np.argmax(template @ ra)), int(np.argmax(template @ rb))))
    return tuple(out)


def _frame(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(n, 3, 3): orthonormal frames whose rows are ``first``, the part of ``second`` normal to it, their cross."""
    e1 = _unit(first)
    e2 = _unit(second - np.sum(second * e1, axis=-1, keepdims=True) * e1)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-2)


def _kabsch(measured: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """(n, 3, 3) proper rotations R minimising sum |R m - t|^2 over each atom's rows."""
    covariance = np.einsum("nki,nkj->nij", ideal, measured)
    u, _, vt = np.linalg.svd(covariance)
    d = np.sign(np.linalg.det(u @ vt))
    u[:, :, -1] *= d[:, None]
    return u @ vt


def _fitted(shell: np.ndarray, template: np.ndarray, rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rotation, RMS residual) after assigning each neighbour to its nearest template vector under ``rotation``
    and fitting, twice over."""
    for _ in range(2):
        rotated = np.einsum("nij,nkj->nki", rotation, shell)
        assigned = template[np.argmax(np.einsum("nkd,td->nkt", rotated, template), axis=2)]
        rotation = _kabsch(shell, assigned)
    residual = np.sqrt(np.mean(np.sum((np.einsum("nij,nkj->nki", rotation, shell) - assigned) ** 2, axis=2), axis=1))
    return rotation, residual


def shell_orientations(vectors: np.ndarray, lattice: str) -> tuple[np.ndarray, np.ndarray]:
    """(rotation matrices (n, 3, 3), RMS residual / bond (n,)) of atoms of ``lattice`` from their neighbour
    vectors (n, k, 3) sorted by distance (k >= the template's size; the first len(template) are used)."""
    template = TEMPLATES[lattice]
    shell = _unit(vectors[:, :len(template)])
    rows = np.arange(len(shell))
    best_rotation, best_residual = None, None
    for anchor in ANCHORS:
        cosines = np.einsum("nd,nkd->nk", shell[:, anchor], shell)
        cosines[:, anchor] = np.inf
        partner = np.argmin(np.abs(cosines - np.cos(np.radians(ANGLE[lattice]))), axis=1)
        measured = _frame(shell[:, anchor], shell[rows, partner])
        for a, b in _pair_representatives(lattice):
            rotation, residual = _fitted(shell, template, _frame(template[a][None], template[b][None])[0].T @ measured)
            if best_rotation is None:
                best_rotation, best_residual = rotation, residual
            else:
                better = residual < best_residual
                best_rotation[better], best_residual[better] = rotation[better], residual[better]
    return best_rotation, best_residual


def as_quaternions(rotations: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    quat = _scipy_to_wxyz(Rotation.from_matrix(rotations).as_quat())
    return quat * np.where(quat[:, :1] < 0, -1.0, 1.0)  # w >= 0: one of the two signs, always the same


def _conjugate(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def _product(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton products of quaternions (w, x, y, z), broadcast."""
    pw, px, py, pz = np.moveaxis(p, -1, 0)
    qw, qx, qy, qz = np.moveaxis(q, -1, 0)
    return np.stack([pw * qw - px * qx - py * qy - pz * qz, pw * qx + px * qw + py * qz - pz * qy,
                     pw * qy - px * qz + py * qw + pz * qx, pw * qz + px * qy - py * qx + pz * qw], axis=-1)


def misorientation(q1: np.ndarray, q2: np.ndarray, lattice: str) -> np.ndarray:
    """Smallest rotation angle (degrees) between orientations ``q1`` and ``q2`` (n, 4) under the lattice's
    symmetry: min over g of the angle of g q1 q2^-1."""
    d = _product(q1, _conjugate(q2))
    # (g d).w = g.w d.w - g.v . d.v = <g, conj(d)>
    w = np.abs(_conjugate(d) @ symmetry(lattice).T).max(axis=1)
    return np.degrees(2 * np.arccos(np.clip(w, -1.0, 1.0)))


def aligned_to(q: np.ndarray, reference: np.ndarray, lattice: str) -> np.ndarray:
    """Each of ``q`` (n, 4) as its symmetry equivalent g q nearest ``reference`` (one (4,) or a row (n, 4) each),
    sign matched: orientations brought next to one another before they are averaged."""
    candidates = _product(symmetry(lattice)[None, :, :], q[:, None, :])  # (n, g, 4)
    dots = np.einsum("ngk,nk->ng", candidates, np.broadcast_to(reference, q.shape))
    best = np.argmax(np.abs(dots), axis=1)
    rows = np.arange(len(q))
    return candidates[rows, best] * np.sign(dots[rows, best])[:, None]


def mean_orientation(q: np.ndarray, lattice: str) -> np.ndarray:
    """The mean of orientations ``q`` (n, 4) of one grain, each first brought next to the first's."""
    aligned = aligned_to(q, q[0], lattice)
    mean = aligned.mean(axis=0)
    return smallest(mean[None] / np.linalg.norm(mean), lattice)[0]


def smallest(q: np.ndarray, lattice: str) -> np.ndarray:
    """Each of ``q`` (n, 4) as its symmetry equivalent g q of the smallest rotation angle (largest |w|), w >= 0: one
    way to write each orientation, so that a crystal in the input's axes reads (1, 0, 0, 0)."""
    candidates = _product(symmetry(lattice)[None, :, :], q[:, None, :])  # (n, g, 4)
    best = candidates[np.arange(len(q)), np.argmax(np.abs(candidates[:, :, 0]), axis=1)]
    return best * np.where(best[:, :1] < 0, -1.0, 1.0)
