"""Per-atom local order that does not depend on scale, orientation, cell or species.

Every atom is described by its :data:`NEIGHBOURS` nearest neighbours (freud's neighbour
query: any triclinic cell; clusters and slabs are put in vacuum):

* **distances** r_1 .. r_18 divided by the atom's own scale, the mean of its four nearest
  (one bond in every class: fcc and hcp have 12 neighbours at one bond, bcc 8, sc 6,
  diamond 4), so phases of different bond lengths in one frame each look like themselves;
* **Steinhardt's q_l**, l = 2 .. 12, of the nearest 4, 6, 8, 12 and 14 neighbours
  (:data:`SHELLS`: the first shells of diamond, sc, bcc, fcc/hcp, and bcc's first two),
  from the pair form q_l^2 = sum_jk w_j w_k P_l(cos theta_jk) / (sum_j w_j)^2 of the
  usual definition, all shells from one matrix of bond cosines. The weight w_j of a
  neighbour falls linearly from 1 to 0 across the middle between the N-th and (N+1)-th
  distances (:data:`TIE_WIDTH` either side), so a shell that ends inside a set of
  equidistant neighbours (the first 4 of fcc's 12) takes all of them at one half instead
  of an arbitrary few: a perfect crystal gives the same numbers however it was written,
  and they change smoothly with the lattice. Where the N-th and (N+1)-th neighbours are
  far apart the weights are 0 or 1 and q_l equals ``freud.order.Steinhardt``'s (tested);
* the **mean of both over the 12 nearest neighbours**, which averages thermal noise out
  as Lechner and Dellago's averaged q_l do.

Species are ignored (the classes are geometric). Its speed beside OVITO's PTM: bench/bench_identify.py.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from atomatlas.descriptors.base import Descriptor
from atomatlas.errors import AtlasError
from atomatlas.io.neighbour_box import periodic_box, tree_points

NEIGHBOURS = 18  # the last of every tie a shell can end in: fcc's and hcp's 6 second neighbours, sc's 12
SHELLS = (4, 6, 8, 12, 14)
TIE_WIDTH = 0.03  # of the atom's scale: a shell's weights fall linearly from 1 to 0 over twice this (narrower, the
# features jump where a lattice parameter passes a tie, e.g. hcp near the ideal c/a: a band no training set samples)
L_MAX = 12
AVERAGED_OVER = 12
SETTINGS = {"neighbours": NEIGHBOURS, "shells": list(SHELLS), "l": [2, L_MAX], "averaged_over": AVERAGED_OVER,
            "tie_width": TIE_WIDTH}
N_FEATURES = 2 * (NEIGHBOURS + len(SHELLS) * (L_MAX - 1))
WIDTH = 6.0  # a periodic cell is repeated until it is this many bonds across in every direction
VACUUM = 25.0  # A around clusters and slabs
CHUNK = 1024  # atoms per block of bond-cosine matrices: its temporaries (1.3 MB each) stay in the cache,
# which made the q_l 1.7x faster than blocks of 20,000 atoms, with the same numbers (bench/bench_identify.py)


def _system(atoms):
    """(freud box, points) of ``atoms``; the first ``len(atoms)`` points are the atoms themselves."""
    return periodic_box(atoms, vacuum=VACUUM, width_in_bonds=WIDTH)


def check_atoms(atoms) -> None:
    """Refuse what has too few atoms to have NEIGHBOURS neighbours, before any work."""
    if len(atoms) == 0:
        raise AtlasError("a frame without atoms: nothing to label.")
    if not atoms.pbc.all() and len(atoms) <= NEIGHBOURS:
        raise AtlasError(f"{len(atoms)} atom(s) and no periodic cell: local order needs {NEIGHBOURS} neighbours "
                         "per atom; give a cluster of more atoms or a periodic cell.")
    if atoms.pbc.all() and atoms.cell.rank < 3:
        raise AtlasError("periodic in all directions but the cell is flat or missing: give three cell vectors.")


class Pairs(NamedTuple):
    """Every atom's :data:`NEIGHBOURS` nearest neighbours, atom after atom, each atom's sorted by distance (flat
    arrays, as freud's neighbour list gives them); point ``p`` of an image is atom ``p % len(atoms)``."""

    distances: np.ndarray  # (atoms * NEIGHBOURS,)
    vectors: np.ndarray  # (atoms * NEIGHBOURS, 3): from the atom to its neighbour
    point_indices: np.ndarray  # (atoms * NEIGHBOURS,)


def nearest_neighbours(atoms) -> Pairs:
    """The :data:`NEIGHBOURS` nearest neighbours of every atom. A rectangular box (most MD, and clusters in
    vacuum) is searched with scipy's k-d tree, whose query releases the GIL, so identify's threads share the
    cores; a sheared box with freud's, which handles any triclinic cell (both give the same pairs: tested)."""
    n = len(atoms)
    box, points = _system(atoms)
    pairs = _tree_pairs(box, points, n) if box.rectangular() else _freud_pairs(box, points, n)
    if len(pairs.distances) != n * NEIGHBOURS or not np.isfinite(pairs.distances).all():
        raise AtlasError(f"could not find {NEIGHBOURS} neighbours of every atom; is the structure complete?")
    return pairs


def _freud_pairs(box, points, n: int) -> Pairs:
    import freud

    from atomatlas.descriptors.workers import freud_threads

    freud_threads(freud)
    found = freud.locality.AABBQuery(box.freud(), points).query(
        points[:n], {"num_neighbors": NEIGHBOURS, "exclude_ii": True}).toNeighborList(sort_by_distance=True)
    return Pairs(found.distances, found.vectors, found.point_indices)


def _tree_pairs(box, points, n: int) -> Pairs:
    """Pairs in a rectangular periodic box (freud's points are centred on the origin) from scipy's cKDTree."""
    from scipy.spatial import cKDTree

    lengths, inside = tree_points(box, points)
    distances, indices = cKDTree(inside, boxsize=lengths).query(inside[:n], k=NEIGHBOURS + 1)
    itself = indices[:, :1] == np.arange(n)[:, None]
    if not itself.all():  # a duplicate atom came first: keep every row's own NEIGHBOURS others
        keep = indices != np.arange(n)[:, None]
        keep[keep.sum(axis=1) > NEIGHBOURS, -1] = False
        distances, indices = distances[keep].reshape(n, NEIGHBOURS), indices[keep].reshape(n, NEIGHBOURS)
    else:
        distances, indices = distances[:, 1:], indices[:, 1:]
    vectors = inside[indices] - inside[:n, None, :]
    vectors -= lengths * np.round(vectors / lengths)  # the nearest image, as the tree measured it
    return Pairs(distances.reshape(-1).astype(np.float32), vectors.reshape(-1, 3).astype(np.float32),
                 indices.reshape(-1))


def shell_weights(scaled: np.ndarray) -> np.ndarray:
    """(atoms, neighbours, shells): each neighbour's weight in each shell, from distances over the atom's scale."""
    shells = np.array(SHELLS)
    middle = (scaled[:, shells - 1] + scaled[:, shells]) / 2  # between the N-th and (N+1)-th neighbour
    return np.clip((middle[:, None, :] + TIE_WIDTH - scaled[:, :, None]) / (2 * TIE_WIDTH), 0.0, 1.0)


def _order(unit: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """q_l (l = 2 .. L_MAX) of every shell, (atoms, shells * (L_MAX - 1)), from unit bond vectors (atoms, k, 3)."""
    cosines = np.clip(np.matmul(unit, unit.transpose(0, 2, 1)), -1.0, 1.0)
    norm = weights.sum(axis=1) ** 2
    previous, current, out = np.ones_like(cosines), cosines, []
    for l in range(1, L_MAX):  # Bonnet's recursion gives P_{l+1}
        previous, current = current, ((2 * l + 1) * cosines * current - l * previous) / (l + 1)
        pair_sums = np.einsum("njs,njs->ns", current @ weights, weights)  # weighted sum over pairs in each shell
        out.append(np.sqrt(np.clip(pair_sums / norm, 0.0, None)))
    return np.stack(out, axis=2).reshape(len(unit), -1)


class LocalOrder(Descriptor):
    """``per_atom(atoms) -> (n_atoms, N_FEATURES)`` (see the module docstring), and the Descriptor interface
    (``--descriptor local_order``): per atom, any species.

    No parameters: the features are those of ``identify``'s model, so a discovery run's clusters can be named by
    its labels without describing the atoms twice. Probe points (``surface_grid``) are refused: the features are
    made from an atom's own neighbours.
    """

    name = "local_order"
    uses_species = False  # geometric: every element looks alike
    # threads, not processes: worker processes label 1.1-1.5x faster once started, but starting them costs a
    # whole process a second or more (bench/bench_identify.py); the k-d tree's query frees the GIL
    pool = "threads"
    DEFAULTS = {"species": None}
    settings = SETTINGS

    def __init__(self, species=None):
        super().__init__(species=species)
        self.species = list(species) if species else None

    def per_atom(self, atoms, pairs: Pairs | None = None) -> np.ndarray:
        """The rows of ``atoms`` (``pairs``: their :func:`nearest_neighbours`, when the caller has them)."""
        check_atoms(atoms)
        n = len(atoms)
        pairs = nearest_neighbours(atoms) if pairs is None else pairs
        distances = pairs.distances.reshape(n, NEIGHBOURS).astype(np.float32)
        if distances[:, 0].min() <= 1e-3 * np.median(distances[:, 0]):
            raise AtlasError("two atoms sit on top of each other; remove duplicated atoms from the structure.")
        unit = pairs.vectors.reshape(n, NEIGHBOURS, 3).astype(np.float32) / distances[..., None]
        scaled = distances / distances[:, :4].mean(axis=1, keepdims=True)
        weights = shell_weights(scaled).astype(np.float32)
        order = np.concatenate([_order(unit[start:start + CHUNK], weights[start:start + CHUNK])
                                for start in range(0, n, CHUNK)])
        own = np.concatenate([scaled, order], axis=1)
        neighbours = pairs.point_indices.reshape(n, NEIGHBOURS)[:, :AVERAGED_OVER] % n  # images of repeated cells
        return np.concatenate([own, own[neighbours].mean(axis=1)], axis=1)

    def feature_names(self) -> list[str]:
        return feature_names()

    def check_structure(self, atoms, where: str) -> None:
        super().check_structure(atoms, where)
        try:
            check_atoms(atoms)
        except AtlasError as error:
            raise AtlasError(f"{where}: {error}") from None

    def _create_one(self, atoms, centers) -> np.ndarray:
        if centers is not None and np.asarray(centers).ndim == 2:
            raise AtlasError("descriptor 'local_order' describes atoms, not probe points; use --descriptor soap "
                             "with --centers surface_grid.")
        rows = self.per_atom(atoms)
        return rows if centers is None else rows[np.asarray(centers, dtype=int)]

    def _tasks(self, structures, centers):
        # one task per structure: an atom's features need every neighbour, so frames are not split
        for s in range(len(structures)):
            yield s, None if centers is None else centers[s]


def per_atom_batch(frames, then=None) -> list:
    """Each frame's :meth:`LocalOrder.per_atom` rows, or ``then(atoms, rows, pairs)`` (the neighbours found once
    serve what follows too): one task of identify's labelling. It lives here so that a worker process imports the
    descriptor, not the run that planned the task."""
    describe = LocalOrder()
    out = []
    for atoms in frames:
        check_atoms(atoms)
        pairs = nearest_neighbours(atoms)
        rows = describe.per_atom(atoms, pairs)
        out.append(rows if then is None else then(atoms, rows, pairs))
    return out


def feature_names() -> list[str]:
    """Names of the :data:`N_FEATURES` columns, in order: own distances and q_l, then their 12-neighbour means."""
    own = [f"r{j + 1}" for j in range(NEIGHBOURS)] + [f"q{l}_n{n}" for n in SHELLS for l in range(2, L_MAX + 1)]
    return own + [f"mean_{name}" for name in own]
