"""Adsorption-site typing on fcc(111) and hcp(0001), against ASE's own site positions; robust to noise."""

import numpy as np
import pytest
from ase.build import fcc111, hcp0001

from atomatlas.errors import AtlasError
from atomatlas.evaluate.sites import layers, nearest_sites, site_positions, site_purity

ASE_NAMES = {"ontop": "top", "bridge": "bridge", "fcc": "fcc", "hcp": "hcp"}


def _slab(kind, size=(3, 3, 4)):
    if kind == "fcc111":
        return fcc111("Cu", size, a=3.61, vacuum=8.0, periodic=True)
    return hcp0001("Ru", size, a=2.71, c=4.28, vacuum=8.0, periodic=True)


def _ase_sites(slab):
    """ASE's site positions (fractions of the 1x1 surface cell from the top atom), every copy in the cell."""
    info = slab.info["adsorbate_info"]
    top = slab.positions[np.argmax(slab.positions[:, 2]), :2]
    cells = info["cell"]
    size = np.round(np.linalg.norm(slab.cell[:2, :2], axis=1) / np.linalg.norm(cells, axis=1)).astype(int)
    for name, fraction in info["sites"].items():
        for i in range(size[0]):
            for j in range(size[1]):
                yield ASE_NAMES[name], top + (np.array(fraction) + [i, j]) @ cells


def _relaxed(slab, seed=0, rattle=0.08):
    """Thermal noise on every atom and an inward relaxation of the top layer (both of a few tenths of an A)."""
    slab = slab.copy()
    top = layers(slab)[0]
    slab.positions[top, 2] -= 0.15
    slab.rattle(rattle, seed=seed)
    return slab


@pytest.mark.parametrize("kind", ["fcc111", "hcp0001"])
@pytest.mark.parametrize("noisy", [False, True], ids=["ideal", "rattled and relaxed"])
def test_every_ase_site_is_typed_as_ase_names_it(kind, noisy):
    slab = _slab(kind)
    reference = list(_ase_sites(slab))
    if noisy:
        slab = _relaxed(slab)
    points = np.array([p for _, p in reference])
    kinds, distance = nearest_sites(slab, points)
    assert kinds.tolist() == [name for name, _ in reference]
    assert distance.max() < (0.2 if noisy else 1e-6)


@pytest.mark.parametrize("kind", ["fcc111", "hcp0001"])
def test_site_counts_per_surface_cell(kind):
    sites = site_positions(_slab(kind))
    assert {name: len(p) for name, p in sites.items()} == {"top": 9, "bridge": 27, "fcc": 9, "hcp": 9}


def test_hcp0001_has_fcc_hollows():
    """The old layer rule looked for third-layer atoms below fcc hollows: on ABAB stacking there are none."""
    kinds, _ = nearest_sites(_slab("hcp0001"), np.array([p for name, p in _ase_sites(_slab("hcp0001"))
                                                          if name == "fcc"]))
    assert set(kinds) == {"fcc"}


def test_layers_survive_noise_and_relaxation():
    slab = _relaxed(_slab("fcc111"), rattle=0.1)
    assert [len(layer) for layer in layers(slab)] == [9, 9, 9, 9]


def test_one_layer_is_not_a_slab():
    slab = fcc111("Cu", (2, 2, 1), a=3.61, vacuum=8.0, periodic=True)
    with pytest.raises(AtlasError, match=r"at least two layers"):
        site_positions(slab)


def test_purity_near_sites_and_label_scores():
    kinds = np.array(["top", "top", "bridge", "bridge", "fcc", "hcp"])
    clusters = np.array([0, 0, 1, 0, 2, 3])
    distance = np.array([0.1, 0.2, 0.1, 0.9, 0.1, 0.1])
    purity = site_purity(kinds, clusters, distance)
    assert purity["overall_purity"] == pytest.approx(5 / 6)
    assert purity["near_sites"]["overall_purity"] == 1.0 and purity["near_sites"]["points"] == 5
    assert purity["near_sites"]["every_site_owns_a_cluster"]
    assert 0 < purity["adjusted_rand_index"] < 1 and 0 < purity["normalized_mutual_info"] < 1
