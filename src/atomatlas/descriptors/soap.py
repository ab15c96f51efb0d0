"""SOAP through DScribe: per centre or averaged over a structure."""

from __future__ import annotations

import numpy as np

from atomatlas.descriptors.base import Descriptor, is_number, require
from atomatlas.errors import hide_library_warnings
from atomatlas.learn.registry import library_refusals


class SOAP(Descriptor):
    """Smooth overlap of atomic positions (DScribe ``SOAP``).

    Parameters mirror DScribe: ``r_cut`` (A; may be None when ``weighting`` sets the
    cut-off), ``n_max``, ``l_max``, ``sigma``, ``rbf``, ``weighting`` (a dict, e.g.
    ``{function = "poly", r0 = 12, m = 2, c = 1, d = 1}``), ``species`` (None: every
    element present), ``periodic``, ``average`` ("off", "inner", "outer").
    """

    name = "soap"
    DEFAULTS = {"r_cut": 5.0, "n_max": 8, "l_max": 6, "sigma": 0.5, "rbf": "gto", "weighting": None,
                "species": None, "periodic": True, "average": "off"}
    CHOICES = {"rbf": ("gto", "polynomial"), "average": ("off", "inner", "outer")}

    def __init__(self, r_cut=5.0, n_max=8, l_max=6, sigma=0.5, rbf="gto", weighting=None, species=None,
                 periodic=True, average="off"):
        super().__init__(r_cut=r_cut, n_max=n_max, l_max=l_max, sigma=sigma, rbf=rbf, weighting=weighting,
                         species=species, periodic=periodic, average=average)
        self.species = list(species) if species else None
        self.periodic = bool(periodic)
        self.averaged = average != "off"
        self._dscribe = None
        self._check()

    def _check(self) -> None:
        p = self.params
        cut_by_weighting = isinstance(p["weighting"], dict) and "r0" in p["weighting"]
        if not cut_by_weighting:
            # DScribe orthonormalises GTOs on [0, r_cut]: below 1 A the basis is singular
            low = 1.0 if p["rbf"] == "gto" else 0.0
            require(is_number(p["r_cut"]) and p["r_cut"] > low, "soap",
                    f"r_cut={p['r_cut']!r} must be a number above {low:g} A (the neighbourhood radius)")
        require(isinstance(p["n_max"], int) and 1 <= p["n_max"] <= 20, "soap",
                f"n_max={p['n_max']!r} must be an integer from 1 to 20 (radial basis functions)")
        require(isinstance(p["l_max"], int) and 0 <= p["l_max"] <= 20, "soap",
                f"l_max={p['l_max']!r} must be an integer from 0 to 20 (angular channels)")
        require(is_number(p["sigma"]) and p["sigma"] > 0, "soap",
                f"sigma={p['sigma']!r} must be a positive number (the Gaussian width in A)")
        weighting = p["weighting"]
        if weighting is not None:
            require(isinstance(weighting, dict) and weighting.get("function") in ("poly", "pow", "exp"), "soap",
                    f"weighting={weighting!r} must be a table with function = \"poly\", \"pow\" or \"exp\"")
            require(all(is_number(v) for k, v in weighting.items() if k != "function"), "soap",
                    f"weighting={weighting!r}: every value but function must be a number")

    def _model(self):
        if self._dscribe is None:
            from dscribe.descriptors import SOAP as DScribeSOAP

            params = {k: v for k, v in self.params.items() if k != "species"}
            if params["weighting"] is not None:
                params["weighting"] = dict(params["weighting"])
                params["r_cut"] = None if "r0" in params["weighting"] else params["r_cut"]
            from scipy.linalg import LinAlgWarning

            # DScribe orthonormalises its GTO basis with an ill-conditioned overlap matrix at large n_max
            with hide_library_warnings((LinAlgWarning, "An ill-conditioned matrix")), \
                    library_refusals("descriptor", "soap", self.params):
                self._dscribe = DScribeSOAP(species=self.species, **params)
        return self._dscribe

    def feature_names(self) -> list[str]:
        self._require_species()
        model = self._model()
        names = [""] * model.get_number_of_features()
        for a in self.species:
            for b in self.species:
                if b < a and len(self.species) > 1:
                    continue
                location = model.get_location((a, b))
                for k, column in enumerate(range(location.start, location.stop)):
                    names[column] = f"soap_{a}-{b}_{k}"
        return names

    def _create_many(self, structures, centers) -> list[np.ndarray]:
        """Whole structures in one DScribe call (saves its per-call checks on many small cells)."""
        if len(structures) == 1 or any(c is not None for c in centers):
            return super()._create_many(structures, centers)
        wrapped = [self._wrapped(atoms, None)[0] for atoms in structures]
        rows = self._model().create(wrapped, n_jobs=1)
        if self.averaged:
            return [np.atleast_2d(r) for r in np.asarray(rows).reshape(len(structures), -1)]
        return [np.asarray(r) for r in rows]

    def _create_one(self, atoms, centers) -> np.ndarray:
        atoms, centers = self._wrapped(atoms, centers)
        if centers is not None:
            centers = [int(c) for c in centers] if np.asarray(centers).ndim == 1 else np.asarray(centers)
        return np.asarray(self._model().create(atoms, centers=centers, n_jobs=1))
