"""Descriptors of atomic environments, behind one interface (DScribe's convention).

``descriptor.fit(structures)`` fixes the species (unless given), then
``descriptor.create(structures, centers=None, n_jobs=1) -> ndarray`` gives one row per
centre (one per structure for the ``averaged`` ones: structure_order, and diffraction,
whose rows are (3, n, n) images) and ``get_number_of_features()`` columns named by
``feature_names()``. The input structures are never modified. Work is split into chunks
of structures and centres and spread over ``n_jobs`` workers by the one pool of
descriptors/workers.py: processes, or threads for work that releases the GIL (local_order).
DScribe alone ignores n_jobs for a single structure.
"""

from atomatlas.descriptors.base import Descriptor
from atomatlas.descriptors.methods import DESCRIPTORS, make_descriptor

__all__ = ["DESCRIPTORS", "Descriptor", "make_descriptor"]
