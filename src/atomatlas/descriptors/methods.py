"""The named descriptors (`atomatlas list descriptor`) with their parameters and defaults."""

from __future__ import annotations

from atomatlas.descriptors.acsf import ACSF
from atomatlas.descriptors.base import Descriptor
from atomatlas.descriptors.local_order import LocalOrder
from atomatlas.descriptors.rdf import RDF
from atomatlas.descriptors.soap import SOAP
from atomatlas.learn.registry import Registry

DESCRIPTORS = Registry("descriptor")
DESCRIPTORS.add("soap", "smooth overlap of atomic positions (DScribe)", SOAP, defaults=SOAP.DEFAULTS,
                choices=SOAP.CHOICES, seeded=False)
DESCRIPTORS.add("acsf", "atom-centred symmetry functions G2/G4 (DScribe)", ACSF, defaults=ACSF.DEFAULTS,
                seeded=False)
DESCRIPTORS.add("local_order", "scale-free local order of identify: neighbour distances and Steinhardt q_l",
                LocalOrder, defaults=LocalOrder.DEFAULTS, seeded=False)
DESCRIPTORS.add("rdf", "Gaussian-smeared radial distribution histogram (cheap)", RDF, defaults=RDF.DEFAULTS,
                seeded=False)


def make_descriptor(name: str, params: dict | None = None) -> Descriptor:
    """An unfitted descriptor of the named method with checked parameters."""
    return DESCRIPTORS[name].make(params)
