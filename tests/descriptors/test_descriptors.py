import numpy as np
import pytest
from ase.build import bulk, molecule

from atomatlas import testing
from atomatlas.descriptors import make_descriptor
from atomatlas.descriptors.cache import create_cached
from atomatlas.errors import AtlasError

# small settings: the physics does not depend on the resolution
SMALL = {"soap": {"r_cut": 4.0, "n_max": 4, "l_max": 4}, "acsf": {"r_cut": 4.0}, "rdf": {"r_cut": 4.0}}


@pytest.fixture(scope="module")
def crystal():
    """A rattled, non-cubic two-species periodic cell, large enough to be split in chunks."""
    atoms = bulk("NaCl", "rocksalt", a=5.64).repeat((5, 4, 4))  # 160 atoms: n_jobs=2 splits centres
    atoms.cell[0, 1] += 0.4  # shear: no symmetry can hide a rotation bug
    atoms.positions += np.random.default_rng(1).normal(0, 0.05, atoms.positions.shape)
    return atoms


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("check", testing.ALL_CHECKS, ids=lambda c: c.__name__)
def test_physics(name, check, crystal):
    check(make_descriptor(name, SMALL[name]), crystal)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_molecule_without_cell(name):
    descriptor = make_descriptor(name, {**SMALL[name], "periodic": False})
    water = molecule("CH3CH2OH")
    testing.check_rotation(descriptor, water)
    testing.check_permutation(descriptor, water)
    with pytest.raises(AtlasError, match=r"periodic but the structure has no cell"):
        make_descriptor(name, SMALL[name]).fit([water]).create(water)


def test_feature_names_match_the_width(crystal):
    for name in SMALL:
        descriptor = make_descriptor(name, SMALL[name]).fit([crystal])
        rows = descriptor.create(crystal)
        assert rows.shape == (len(crystal), descriptor.get_number_of_features()) == (160, len(descriptor.feature_names()))
    # the numbers, not just the width: SOAP and ACSF are DScribe's own for the same settings
    from dscribe.descriptors import ACSF, SOAP

    ours = make_descriptor("soap", SMALL["soap"]).fit([crystal]).create(crystal)
    theirs = SOAP(species=["Cl", "Na"], periodic=True, sigma=0.5, **SMALL["soap"]).create(crystal)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-10)
    acsf = make_descriptor("acsf", SMALL["acsf"]).fit([crystal])
    defaults = type(acsf).DEFAULTS
    theirs = ACSF(species=["Cl", "Na"], periodic=True, r_cut=4.0, g2_params=defaults["g2_params"],
                  g4_params=defaults["g4_params"]).create(crystal)
    np.testing.assert_allclose(acsf.create(crystal), theirs, rtol=1e-6, atol=1e-10)
    names = make_descriptor("soap", {**SMALL["soap"], "species": ["Na", "Cl"]}).feature_names()
    assert names[0].startswith("soap_Na-Na_") and any(n.startswith("soap_Cl-Na_") or n.startswith("soap_Na-Cl_")
                                                       for n in names)


def test_species_missing_from_the_list(crystal):
    with pytest.raises(AtlasError, match=r"species \['Cl'\] are not in the descriptor's species \['Na'\]"):
        make_descriptor("soap", {**SMALL["soap"], "species": ["Na"]}).create(crystal)


def test_rdf_counts_neighbours(crystal):
    fe = bulk("Fe", "bcc", a=2.866, cubic=True).repeat(3)
    rdf = make_descriptor("rdf", {"r_cut": 3.0, "n_bins": 300, "sigma": 0.02})
    row = rdf.create(fe)[0]
    bins = rdf._bins()
    area = lambda lo, hi: row[(bins > lo) & (bins < hi)].sum() * (bins[1] - bins[0])  # noqa: E731
    assert area(2.3, 2.6) == pytest.approx(8, abs=0.05)  # 8 nearest neighbours at 2.48 A
    assert area(2.7, 3.0) == pytest.approx(6, abs=0.05)  # 6 next-nearest at 2.87 A


def test_probe_points_and_atoms_agree():
    """A probe point placed on an atom sees what that atom sees, plus the atom itself at r = 0."""
    fe = bulk("Fe", "bcc", a=2.866, cubic=True).repeat(3)
    rdf = make_descriptor("rdf", {"r_cut": 4.0})
    at_atom = rdf.create(fe, centers=[0])
    probe = rdf.create(fe, centers=fe.positions[:1] + 1e-9)
    beyond = rdf._bins() > 1.0
    np.testing.assert_allclose(probe[:, beyond], at_atom[:, beyond], atol=1e-6)
    assert probe[0, 0] > 1.0 and at_atom[0, 0] < 1e-12


def test_feature_names_need_species():
    with pytest.raises(AtlasError, match=r"depend on the species"):
        make_descriptor("soap", SMALL["soap"]).feature_names()


def test_cache_reuses_and_is_keyed_by_content(tmp_path, crystal):
    soap = make_descriptor("soap", SMALL["soap"])
    first, hit = create_cached(soap, [crystal], cache=tmp_path)
    assert not hit and len(list(tmp_path.glob("*.json"))) == 1
    again, hit = create_cached(make_descriptor("soap", SMALL["soap"]), [crystal], cache=tmp_path)
    assert hit and np.array_equal(first, again)
    moved = crystal.copy()
    moved.positions[0] += 0.1
    _, hit = create_cached(make_descriptor("soap", SMALL["soap"]), [moved], cache=tmp_path)
    assert not hit
    _, hit = create_cached(make_descriptor("soap", {**SMALL["soap"], "n_max": 3}), [crystal], cache=tmp_path)
    assert not hit and len(list(tmp_path.glob("*.json"))) == 3


def test_averaged_soap_gives_one_row_per_structure(crystal):
    soap = make_descriptor("soap", {**SMALL["soap"], "average": "inner"}).fit([crystal])
    rows = soap.create([crystal, crystal[:40]], n_jobs=2)
    assert rows.shape == (2, soap.get_number_of_features())
    from dscribe.descriptors import SOAP

    reference = SOAP(species=["Cl", "Na"], periodic=True, sigma=0.5, average="inner", **SMALL["soap"])
    np.testing.assert_allclose(rows[0], reference.create(crystal), rtol=1e-6, atol=1e-10)  # DScribe's average
    assert not np.allclose(rows[0], rows[1])  # a 40-atom piece is another structure
    testing.check_rotation(soap, crystal)


@pytest.mark.parametrize("name", ["soap", "rdf"])
def test_many_probe_points_split_over_processes(name, crystal):
    """More centres than one chunk: split within one structure, same numbers for any n_jobs."""
    from atomatlas.descriptors.base import CHUNK

    descriptor = make_descriptor(name, SMALL[name]).fit([crystal])
    n = max(CHUNK, descriptor.min_parallel) + 500  # enough work for the workers
    points = np.random.default_rng(2).uniform(0, 1, (n, 3)) @ np.asarray(crystal.cell)
    one = descriptor.create(crystal, centers=points, n_jobs=1)
    two = descriptor.create(crystal, centers=points, n_jobs=2)
    assert one.shape == (n, descriptor.get_number_of_features()) and np.array_equal(one, two)
    assert np.array_equal(one[:10], descriptor.create(crystal, centers=points[:10]))


def test_local_order_is_identifys_features_behind_the_interface(crystal):
    from atomatlas.descriptors.local_order import N_FEATURES, LocalOrder

    descriptor = make_descriptor("local_order", {})
    for check in (testing.check_translation, testing.check_rotation, testing.check_permutation,
                  testing.check_periodic_image):
        check(descriptor, crystal, atol=1e-4)  # float32 features
    testing.check_input_unchanged(descriptor, crystal)
    testing.check_n_jobs(descriptor, crystal)
    rows = descriptor.fit([crystal]).create(crystal)
    assert rows.shape == (len(crystal), N_FEATURES) == (160, len(descriptor.feature_names()))
    np.testing.assert_array_equal(rows, LocalOrder().per_atom(crystal))
    np.testing.assert_array_equal(descriptor.create(crystal, centers=[3, 7]), rows[[3, 7]])
    with pytest.raises(AtlasError, match=r"'local_order' describes atoms, not probe points; use --descriptor soap"):
        descriptor.create(crystal, centers=crystal.positions[:2] + 0.5)
    with pytest.raises(AtlasError, match=r"structure 0: 3 atom\(s\) and no periodic cell: local order needs 18 "):
        descriptor.create(molecule("H2O"))
