"""Two-dimensional diffraction fingerprints (Ziletti et al. 2018, Nat. Commun. 9, 2775; seed 001).

A structure is scaled so that its mean nearest-neighbour distance is 1 A, centred, and
lit by a plane wave along z. The amplitude at a detector pixel is the sum over atoms of
the atomic X-ray form factor (Cromer-Mann, from ``periodictable``) times
``exp(-i q.x)``, with ``q = k_out - k_in`` on the Ewald sphere; the intensity is
``|amplitude|^2`` times the solid angle of the pixel. Each of the three channels sums
the intensities of the structure rotated by +45 and -45 degrees about x (channel 0),
y (1) and z (2). Pixels with radius <= ``r_min`` or >= ``r_max`` (in pixels from the
centre) are masked to zero: the central spot carries no symmetry and drowns the higher
orders. Each channel is then divided by its brightest pixel.

Parameters (all in :data:`DEFAULTS`; the paper's values):

* wavelength 5 pm (an electron-diffraction wavelength: an almost flat Ewald sphere);
* a 64 x 64 detector of 0.4 mm pixels, 0.1 m behind the sample (q up to ~16 1/A);
* masks r_min = 10 px, r_max = 30 px.

Two implementations agree to 1e-3 after normalisation (tested): :func:`reference_fingerprint`
is the direct per-pixel sum over atoms on every pixel of the detector, kept for tests
and benchmarks; :func:`fingerprints` is the one to use. It evaluates only the pixels
the mask keeps, works per atomic species so each form factor multiplies one sum, and
batches structures over processes.
"""

from __future__ import annotations

import numpy as np

from atomatlas.descriptors.base import Descriptor
from atomatlas.errors import AtlasError

DEFAULTS = {"n_pixels": 64, "pixel_size": 0.4e-3, "distance": 0.1, "wavelength": 5.0e-12, "r_min": 10.0,
            "r_max": 30.0, "angle": 45.0}
CHUNK_ELEMENTS = 1 << 17  # phases per block (512 kB of float32): blocks stay in the core's cache
MAX_ATOMS = 5000  # a fingerprint is a cluster property: beyond this the cost, not the answer, changes
CHANNEL_AXES = ("x", "y", "z")


def _rotation(axis: str, degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    c, s = np.cos(angle), np.sin(angle)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    matrix = np.eye(3)
    matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
    return matrix


def rotations(angle: float = 45.0) -> np.ndarray:
    """The six rotations, ordered (x+, x-, y+, y-, z+, z-): shape (6, 3, 3)."""
    return np.stack([_rotation(axis, sign * angle) for axis in CHANNEL_AXES for sign in (1, -1)])


def detector(n_pixels=64, pixel_size=0.4e-3, distance=0.1, wavelength=5.0e-12, r_min=10.0, r_max=30.0,
             **_ignored) -> dict:
    """Scattering vectors (1/A), solid angles and the mask of every detector pixel (row-major)."""
    k = 2 * np.pi / (wavelength * 1e10)  # 1/A
    centre = (n_pixels - 1) / 2
    index = np.arange(n_pixels) - centre
    rows, cols = np.meshgrid(index, index, indexing="ij")
    X, Y = cols * pixel_size, rows * pixel_size
    r = np.sqrt(X ** 2 + Y ** 2 + distance ** 2)
    q = np.stack([k * X / r, k * Y / r, k * (distance / r - 1.0)], axis=-1).reshape(-1, 3)
    solid_angle = (pixel_size ** 2 * distance / r ** 3).reshape(-1)
    radius = np.sqrt(rows ** 2 + cols ** 2).reshape(-1)
    keep = (radius > r_min) & (radius < r_max)
    return {"q": q, "solid_angle": solid_angle, "keep": keep, "n_pixels": n_pixels}


def form_factors(symbols, q_norm: np.ndarray) -> np.ndarray:
    """Cromer-Mann X-ray form factors f_s(|q|) for each species: shape (n_species, n_q)."""
    import periodictable.cromermann as cromermann

    out = []
    for symbol in symbols:
        try:
            out.append(cromermann.fxrayatq(symbol, q_norm))
        except (KeyError, ValueError, AttributeError):
            raise AtlasError(f"no X-ray form factor for element {symbol!r}; the diffraction fingerprint covers "
                             "elements H to Cf (Cromer-Mann tables).") from None
    return np.asarray(out, dtype=float)


def prepare(atoms) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Centred positions scaled to a mean nearest-neighbour distance of 1 A; species; species index per atom.

    Periodic structures are used as the finite cluster of atoms they list (the supercell),
    as in the paper, turned first into the standard orientation of their cell (a along x,
    b in the xy plane: the orientation of the conventional cell, so a rotated copy of a
    crystal gives the same fingerprint). A structure without a cell keeps the orientation
    it has. Refuses structures a fingerprint cannot describe.
    """
    from scipy.spatial import cKDTree

    from atomatlas.io.structures import check_geometry

    n = len(atoms)
    if n < 2:
        raise AtlasError(f"a diffraction fingerprint needs at least 2 atoms; this structure has {n}. "
                         "Give a supercell (e.g. atoms.repeat) rather than a single-atom cell.")
    if n > MAX_ATOMS:
        raise AtlasError(f"{n} atoms is more than the {MAX_ATOMS} a fingerprint is computed for; cut a cluster "
                         "of about 250 atoms (the fingerprint describes the local crystal).")
    check_geometry(atoms, "structure")
    positions = np.asarray(atoms.positions, dtype=float)
    if atoms.cell.rank == 3:  # the paper's conventional-cell step: the cell's standard orientation
        _, rotation = atoms.cell.standard_form()
        positions = positions @ rotation.T
    distances, _ = cKDTree(positions).query(positions, k=2)
    nearest = distances[:, 1]
    if nearest.min() <= 1e-3 * nearest.max():  # relative: the structure's own bond lengths set the scale
        raise AtlasError("two atoms sit on the same position (closer than 0.1% of the longest nearest-neighbour "
                         "distance); fix the structure.")
    scale = 1.0 / nearest.mean()
    positions = (positions - positions.mean(axis=0)) * scale
    symbols = atoms.get_chemical_symbols()
    species = sorted(set(symbols))
    index = np.array([species.index(s) for s in symbols])
    return positions, species, index


def _normalise(channels: np.ndarray) -> np.ndarray:
    peak = channels.reshape(channels.shape[0], -1).max(axis=1)
    return channels / np.where(peak > 0, peak, 1.0)[:, None, None]


def _direct_intensity(positions, f, geometry, dtype) -> np.ndarray:
    """|sum_j f_j(q) exp(-i q.x_j)|^2 x solid angle on every pixel: the per-pixel sum over atoms."""
    phase = geometry["q"].astype(dtype) @ positions.astype(dtype).T  # (pixels, atoms)
    amplitude = (f.T * np.cos(phase)).sum(axis=1) - 1j * (f.T * np.sin(phase)).sum(axis=1)
    return np.abs(amplitude) ** 2 * geometry["solid_angle"]


def pattern(atoms, rotation=None, **params) -> np.ndarray:
    """One diffraction pattern (no masks, no rotation pair), normalised to its brightest pixel: (64, 64)."""
    settings = {**DEFAULTS, **params}
    geometry = detector(**settings)
    positions, species, index = prepare(atoms)
    if rotation is not None:
        positions = positions @ np.asarray(rotation).T
    f = form_factors(species, np.linalg.norm(geometry["q"], axis=1))[index]
    intensity = _direct_intensity(positions, f, geometry, np.float64)
    n = settings["n_pixels"]
    return intensity.reshape(n, n) / intensity.max()


def reference_fingerprint(atoms, dtype=np.float64, **params) -> np.ndarray:
    """The direct evaluation: every pixel, every rotation, a sum over every atom. Shape (3, 64, 64)."""
    settings = {**DEFAULTS, **params}
    geometry = detector(**settings)
    positions, species, index = prepare(atoms)
    f = form_factors(species, np.linalg.norm(geometry["q"], axis=1)).astype(dtype)[index]  # (atoms, pixels)
    channels = np.zeros((3, geometry["q"].shape[0]), dtype=dtype)
    for number, rotation in enumerate(rotations(settings["angle"])):
        channels[number // 2] += _direct_intensity(positions @ rotation.T, f, geometry, dtype)
    channels[:, ~geometry["keep"]] = 0.0
    n = settings["n_pixels"]
    return _normalise(channels.reshape(3, n, n))


class Fingerprinter(Descriptor):
    """Fast fingerprints with fixed detector settings: ``Fingerprinter().create(atoms_list, n_jobs=2)``, one
    (3, n, n) image per structure (:meth:`row_shape`), or ``one(atoms)``.

    Only the pixels the mask keeps are evaluated (about 60% of the detector). The six
    rotations act on q instead of the atoms, so one (pixels x 3) @ (3 x atoms) product per
    structure gives every phase; the sums run per species, so each species' form factor
    multiplies one cosine and one sine sum per pixel. Float32 throughout.
    """

    name = "diffraction"
    averaged = True  # one image per structure
    uses_species = False  # every element is lit by its own form factor: no species list to fix
    min_parallel = 1000  # atoms: each costs a sum over some 15,000 phases, so workers pay off sooner

    def __init__(self, **params):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise AtlasError(f"unknown diffraction parameter {sorted(unknown)[0]!r}; allowed: {sorted(DEFAULTS)}.")
        super().__init__(**{**DEFAULTS, **params})
        geometry = detector(**self.params)
        self.keep = geometry["keep"]
        q = geometry["q"][self.keep]
        # rotating the structure by R is rotating q by R^T: q.(R x) = (R^T q).x
        self.q_rotated = np.concatenate([q @ rotation for rotation in rotations(self.params["angle"])]).astype(
            np.float32)  # (6 * kept, 3)
        self.q_norm = np.linalg.norm(q, axis=1)
        self.solid_angle = geometry["solid_angle"][self.keep].astype(np.float32)
        self.n_pixels = self.params["n_pixels"]
        self._form_factor_cache: dict[str, np.ndarray] = {}

    def _form_factor(self, symbol: str) -> np.ndarray:
        if symbol not in self._form_factor_cache:
            self._form_factor_cache[symbol] = form_factors([symbol], self.q_norm)[0].astype(np.float32)
        return self._form_factor_cache[symbol]

    def one(self, atoms) -> np.ndarray:
        """The (3, n, n) fingerprint of one structure."""
        positions, species, index = prepare(atoms)
        positions = np.ascontiguousarray(positions.T, dtype=np.float32)
        onehot = np.zeros((len(index), len(species)), dtype=np.float32)
        onehot[np.arange(len(index)), index] = 1.0
        rows = len(self.q_rotated)
        real = np.empty((rows, len(species)), dtype=np.float32)  # per-species sums
        imaginary = np.empty_like(real)
        step = max(64, CHUNK_ELEMENTS // max(len(index), 1))  # keep each block of phases in cache
        for start in range(0, rows, step):
            phase = self.q_rotated[start:start + step] @ positions  # (block, atoms)
            trig = np.cos(phase)
            real[start:start + step] = trig @ onehot
            np.sin(phase, out=trig)
            imaginary[start:start + step] = trig @ onehot
        kept = len(self.solid_angle)
        f = np.stack([np.tile(self._form_factor(symbol), 6) for symbol in species], axis=1)
        real = (real * f).sum(axis=1)
        imaginary = (imaginary * f).sum(axis=1)
        intensity = (real ** 2 + imaginary ** 2).reshape(6, kept) * self.solid_angle
        channels = np.zeros((3, self.n_pixels * self.n_pixels), dtype=np.float32)
        channels[:, self.keep] = intensity[0::2] + intensity[1::2]
        return _normalise(channels.reshape(3, self.n_pixels, self.n_pixels))

    def row_shape(self) -> tuple[int, ...]:
        return (3, self.n_pixels, self.n_pixels)

    def feature_names(self) -> list[str]:
        return [f"{axis}_{i}_{j}" for axis in CHANNEL_AXES for i in range(self.n_pixels) for j in range(self.n_pixels)]

    def _create_one(self, atoms, centers) -> np.ndarray:
        return self.one(atoms)


def fingerprints(structures, n_jobs: int = 1, progress: bool = False, **params) -> np.ndarray:
    """Fingerprints of many structures with the paper's detector (or ``params``): (n, 3, 64, 64)."""
    return Fingerprinter(**params).create(list(structures), n_jobs=n_jobs, progress=progress)
