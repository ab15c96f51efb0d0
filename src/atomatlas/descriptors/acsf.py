"""Atom-centred symmetry functions (Behler-Parrinello) through DScribe."""

from __future__ import annotations

import numpy as np

from atomatlas.descriptors.base import Descriptor, is_number, require
from atomatlas.learn.registry import library_refusals


class ACSF(Descriptor):
    """DScribe ``ACSF`` with radial G2 and angular G4 functions.

    ``g2_params``: [[eta, R_s], ...]; ``g4_params``: [[eta, zeta, lambda], ...].
    """

    name = "acsf"
    DEFAULTS = {"r_cut": 6.0, "g2_params": [[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]],
                "g4_params": [[0.005, 1.0, 1.0], [0.005, 1.0, -1.0], [0.005, 4.0, 1.0], [0.005, 4.0, -1.0]],
                "species": None, "periodic": True}

    def __init__(self, r_cut=6.0, g2_params=None, g4_params=None, species=None, periodic=True):
        g2_params = self.DEFAULTS["g2_params"] if g2_params is None else g2_params
        g4_params = self.DEFAULTS["g4_params"] if g4_params is None else g4_params
        super().__init__(r_cut=r_cut, g2_params=g2_params, g4_params=g4_params, species=species, periodic=periodic)
        self.species = list(species) if species else None
        self.periodic = bool(periodic)
        self._dscribe = None
        self._check()

    def _check(self) -> None:
        p = self.params
        require(is_number(p["r_cut"]) and p["r_cut"] > 0, "acsf", f"r_cut={p['r_cut']!r} must be a positive number (A)")
        for key, width, what in (("g2_params", 2, "[eta, R_s]"), ("g4_params", 3, "[eta, zeta, lambda]")):
            rows = p[key]
            ok = isinstance(rows, (list, tuple)) and all(
                isinstance(r, (list, tuple)) and len(r) == width and all(is_number(v) for v in r) for r in rows)
            require(ok, "acsf", f"{key}={rows!r} must be a list of {what} number lists")
            require(all(r[0] > 0 for r in rows), "acsf", f"{key}: every eta must be positive")
        require(all(r[2] in (1, -1) and r[1] >= 1 for r in p["g4_params"]), "acsf",
                "g4_params: lambda must be 1 or -1 and zeta at least 1")

    def _model(self):
        if self._dscribe is None:
            from dscribe.descriptors import ACSF as DScribeACSF

            with library_refusals("descriptor", "acsf", self.params):
                self._dscribe = DScribeACSF(r_cut=self.params["r_cut"], g2_params=self.params["g2_params"] or None,
                                            g4_params=self.params["g4_params"] or None, species=self.species,
                                            periodic=self.periodic)
        return self._dscribe

    def feature_names(self) -> list[str]:
        self._require_species()
        return [f"acsf_{i}" for i in range(self._model().get_number_of_features())]

    def _create_one(self, atoms, centers) -> np.ndarray:
        atoms, centers = self._wrapped(atoms, centers)
        if centers is not None and np.asarray(centers).ndim != 1:
            from atomatlas.errors import AtlasError

            raise AtlasError("ACSF describes atoms only; use soap or rdf for probe points.")
        centers = None if centers is None else [int(c) for c in centers]
        return np.asarray(self._model().create(atoms, centers=centers, n_jobs=1))
