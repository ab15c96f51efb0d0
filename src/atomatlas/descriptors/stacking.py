"""Planar faults of fcc crystals: which close-packed atoms stack as hcp, and the fault their layers make.

An atom of a close-packed crystal sits in a {111} (or basal) layer between two others. When
the layers above and below it differ (fcc stacking, ...ABC...) its 12 nearest neighbours
come in six opposite pairs; when they are the same (hcp stacking, ...ABA...) only the six
in its own layer do, since the neighbours above are mirrored below it, not inverted
(an unpaired neighbour is 0.58 bond from the opposite of any other). That test looks at
one atom's own shell: identify's classes average over about two bonds, too wide to see a
single hcp layer in fcc.

Among the atoms identify calls fcc or hcp, each hcp-stacked atom's layer is the plane of
its opposite pairs, and the stacking of the layers one and two spacings above and below
names its fault, as OVITO's planar-fault identification does:

==========================================  ===============================================
layers -2, -1, [0], +1, +2 (0 is hcp)         fault
==========================================  ===============================================
fcc, fcc, [hcp], fcc, fcc                     ``twin`` (a coherent twin boundary)
hcp two layers away, fcc one layer away       ``extrinsic`` (one layer inserted: hcp, fcc, hcp)
hcp on one side only, then fcc                ``intrinsic`` (one layer missing: two hcp layers)
hcp on both sides, or two layers deep         ``multilayer`` (an hcp lamella in fcc)
==========================================  ===============================================

Every other atom is ``none``: fcc-stacked, not close-packed, at a grain boundary or surface
(its neighbouring layers are not whole), or inside an hcp crystal (no fcc layer within two).
"""

from __future__ import annotations

import warnings

import numpy as np

FAULTS = ("none", "intrinsic", "extrinsic", "twin", "multilayer")
CLOSE_PACKED = ("fcc", "hcp")
MAYBE_PACKED = "other"  # a single hcp layer in fcc may look like neither to identify: its own shell decides
SHELL = 12
SHELL_GAP = 1.15  # the 13th neighbour's distance over the 12th's: fcc and hcp 1.41, bcc 1.0
SHELL_MISMATCH = 0.25  # RMS distance of a close-packed shell from its inverse or its mirror image, / bond
HCP_MARGIN = 0.1  # hcp's shell is 0.41 bond (RMS) from its inverse and 0 from its mirror; fcc's the other way,
# but a mirror through a {100} or {110} plane maps fcc's shell onto itself too: the inverse must lose clearly (in the
# mean over the atom's layer, of atoms nearer their mirror image than their inverse: measured 0.2 and more for hcp
# layers at 0.06 bond of displacement, fcc below 0)
BLOCK = 4096  # atoms per block: the (atoms, 12, 12) temporaries stay small


def planar_faults(atoms, classes, pairs=None) -> np.ndarray:
    """The fault of every atom (a name of :data:`FAULTS`), given identify's ``classes`` of ``atoms`` (and
    ``pairs``, their ``local_order.nearest_neighbours`` when the caller found them already)."""
    from atomatlas.descriptors.local_order import nearest_neighbours

    classes = np.asarray(classes)
    out = np.full(len(atoms), FAULTS[0], dtype=object)
    unlike_fcc = np.isin(classes, ("hcp", MAYBE_PACKED))
    if not np.isin(classes, CLOSE_PACKED).any() or not unlike_fcc.any():
        return out.astype(str)
    pairs = nearest_neighbours(atoms) if pairs is None else pairs
    width = len(pairs.distances) // len(atoms)
    distances = pairs.distances.reshape(len(atoms), width)
    vectors = pairs.vectors.reshape(len(atoms), width, 3)[:, :SHELL].astype(float)
    neighbours = (pairs.point_indices.reshape(len(atoms), width)[:, :SHELL] % len(atoms))
    # a fault layer is never all fcc to identify, whose classes average over two bonds: only hcp and `other` atoms
    # and their fcc neighbours are looked at (a crystal identify calls all fcc costs nothing here)
    near = np.zeros(len(atoms), dtype=bool)
    near[neighbours[unlike_fcc].ravel()] = True
    candidates = np.isin(classes, (*CLOSE_PACKED, MAYBE_PACKED)) & (unlike_fcc | near)
    margin = np.full(len(atoms), np.nan)  # how much nearer the shell is to its mirror image than to its inverse
    eligible = np.zeros(len(atoms), dtype=bool)
    normals = np.zeros((len(atoms), 3))
    for start in range(0, len(atoms), BLOCK):
        rows = np.arange(start, min(start + BLOCK, len(atoms)))
        rows = rows[candidates[rows]]
        packed, margin[rows], normals[rows] = _stacking(vectors[rows])
        gap = distances[rows, SHELL] / distances[rows, SHELL - 1] > SHELL_GAP
        eligible[rows] = np.isin(classes[rows], CLOSE_PACKED) | (packed & gap)
    hcp = eligible & (margin > 0) & (_in_layer_mean(margin, vectors, neighbours, normals) > HCP_MARGIN)
    stacked = np.flatnonzero(hcp)
    for start in range(0, len(stacked), BLOCK):
        rows = stacked[start:start + BLOCK]
        out[rows] = _faults(rows, vectors, neighbours, normals[rows], hcp, hcp | np.isin(classes, CLOSE_PACKED))
    return out.astype(str)


def _in_layer_mean(margin: np.ndarray, vectors: np.ndarray, neighbours: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Each atom's margin averaged with those of its neighbours in its own layer (by its normal): a fault is a
    plane, so its atoms agree, and at 0.06 bond of displacement one atom's margin alone misses one in three."""
    heights = np.abs(np.einsum("nkd,nd->nk", vectors, normals))
    in_layer = heights < 0.5 * heights.max(axis=1, keepdims=True)
    around = np.where(in_layer, margin[neighbours], np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # atoms without a margin: NaN, left out
        return np.nanmean(np.column_stack([margin, around]), axis=1)


def _stacking(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(close-packed shell?, margin of hcp stacking, unit normal of the atom's layer) of atoms with neighbour vectors
    (atoms, 12, 3). fcc's shell is its own inverse; hcp's is its own mirror image through its layer, whose
    normal is the least-spread axis of the six neighbours that best find an opposite (those in the layer).
    Every distance comes from one Gram matrix: |v_i + v_j|^2 = r_i^2 + r_j^2 + 2 v_i.v_j, and the mirror image
    of v_i is v_i - 2 (v_i.n) n, so |m_i - v_j|^2 = r_i^2 + r_j^2 - 2 v_i.v_j + 4 (v_i.n)(v_j.n)."""
    vectors = vectors.astype(np.float32)
    gram = np.matmul(vectors, vectors.transpose(0, 2, 1))
    squared = np.einsum("nkk->nk", gram)
    both = squared[:, :, None] + squared[:, None, :]
    inverse = both + 2 * gram
    inverse[:, np.arange(SHELL), np.arange(SHELL)] = np.inf
    inverted = inverse.min(axis=2)
    in_layer = np.argpartition(inverted, 5, axis=1)[:, :6]
    flat = np.take_along_axis(vectors, in_layer[:, :, None], axis=1)
    _, axes = np.linalg.eigh(np.matmul(flat.transpose(0, 2, 1), flat))
    normal = axes[:, :, 0]
    heights = np.einsum("nkd,nd->nk", vectors, normal)
    mirrored = (both - 2 * gram + 4 * heights[:, :, None] * heights[:, None, :]).min(axis=2)
    bond2 = squared.mean(axis=1)
    inversion = np.sqrt(np.clip(inverted, 0, None).mean(axis=1) / bond2)
    mirror = np.sqrt(np.clip(mirrored, 0, None).mean(axis=1) / bond2)
    packed = np.minimum(inversion, mirror) < SHELL_MISMATCH
    return packed, inversion - mirror, normal


def _faults(rows, vectors, neighbours, normals, hcp, packed) -> np.ndarray:
    """The fault of hcp-stacked atoms ``rows`` from the stacking of the layers one and two spacings away; ``none``
    where the layers next to the atom are not whole close-packed layers (three neighbours above, three below, all
    twelve close-packed, and so are those found two layers away: not at a grain boundary or surface) or no layer
    within two is fcc (an hcp crystal)."""
    heights = np.einsum("nkd,nd->nk", vectors[rows], normals)  # of the first shell, along the layer normal
    spacing = np.abs(heights).max(axis=1)  # the layers above and below are one spacing away
    second = neighbours[neighbours[rows]]  # (rows, 12, 12): the neighbours' neighbours
    total = heights[:, :, None] + np.einsum("nkjd,nd->nkj", vectors[neighbours[rows]], normals)
    layer = np.rint(total / spacing[:, None, None])
    first = np.rint(heights / spacing[:, None])

    def hcp_layer(found, flags) -> np.ndarray:
        """Whether most atoms found in a layer are hcp-stacked (no atom found, at a surface: not)."""
        count = found.sum(axis=tuple(range(1, found.ndim)))
        share = (found * flags).sum(axis=tuple(range(1, found.ndim))) / np.maximum(count, 1)
        return (count > 0) & (share > 0.5)

    near = {side: hcp_layer(first == side, hcp[neighbours[rows]]) for side in (-1, 1)}
    far = {side: hcp_layer(layer == 2 * side, hcp[second]) for side in (-1, 1)}
    out = np.full(len(rows), "multilayer", dtype=object)
    far_packed = np.all(~np.isin(layer, (-2, 2)) | packed[second], axis=(1, 2))
    whole = ((first == 1).sum(axis=1) == 3) & ((first == -1).sum(axis=1) == 3) & packed[neighbours[rows]].all(axis=1) \
        & far_packed
    hcp_crystal = near[-1] & near[1] & far[-1] & far[1]
    single = ~near[-1] & ~near[1]
    out[single] = np.where(far[-1] | far[1], "extrinsic", "twin")[single]
    for side in (-1, 1):
        pair = near[side] & ~near[-side] & ~far[side]  # the other layer of the pair is followed by fcc
        out[pair] = "intrinsic"
    out[~whole | hcp_crystal] = FAULTS[0]
    return out
