"""Descriptors of atomic environments, behind one interface (DScribe's convention).

``descriptor.fit(structures)`` fixes the species (unless given), then
``descriptor.create(structures, centers=None, n_jobs=1) -> ndarray`` gives one row per
centre and ``get_number_of_features()`` columns named by ``feature_names()``. The input
structures are never modified. Work is split into chunks of structures and centres and
spread over ``n_jobs`` processes (DScribe alone ignores n_jobs for a single structure).
"""

from atomatlas.descriptors.base import Descriptor
from atomatlas.descriptors.methods import DESCRIPTORS, make_descriptor

__all__ = ["DESCRIPTORS", "Descriptor", "make_descriptor"]
