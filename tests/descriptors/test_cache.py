"""The descriptor and dataset caches never give wrong numbers: damaged entries are recomputed, code changes re-key."""

import json
import shutil
import sys

import numpy as np
import pytest
from ase.build import bulk

from atomatlas.descriptors import make_descriptor
from atomatlas.descriptors.cache import create_cached
from atomatlas.io import cache

SOAP = {"r_cut": 4.0, "n_max": 3, "l_max": 3}


@pytest.fixture
def crystal():
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=3)
    return atoms


def _entry(where):
    (meta,) = where.glob("*.json")
    return meta.with_suffix(".npy"), meta


def _fresh(crystal):
    return make_descriptor("soap", SOAP).fit([crystal]).create([crystal])


def _damage_values(path):
    rows = np.load(path)
    rows[0, 0] += 1.0  # same shape and dtype, other numbers
    np.save(path, rows)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [
    _damage_values, _truncate,
    lambda p: p.with_suffix(".json").write_text("{not json"),
    lambda p: np.save(p, np.load(p)[:-1]),  # one row short
    lambda p: np.save(p, np.load(p).astype(np.float32)),
], ids=["other values", "truncated array", "damaged record", "wrong shape", "wrong dtype"])
def test_a_damaged_entry_is_recomputed_never_used(tmp_path, crystal, capsys, damage):
    create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path)
    array, _ = _entry(tmp_path)
    damage(array)
    rows, hit = create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path)
    assert not hit
    np.testing.assert_array_equal(rows, _fresh(crystal))
    assert "was damaged" in capsys.readouterr().err
    _, hit = create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path)  # the entry was rewritten
    assert hit


def test_refresh_replaces_the_entry(tmp_path, crystal):
    create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path)
    array, meta = _entry(tmp_path)
    record = json.loads(meta.read_text())
    rows = np.load(array)
    rows[0, 0] += 1.0
    np.save(array, rows)
    record["sha256"] = cache._array_sha(rows)  # a "valid" entry with wrong numbers (e.g. from older code)
    meta.write_text(json.dumps(record))
    rows, hit = create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path, refresh=True)
    assert not hit
    again, hit = create_cached(make_descriptor("soap", SOAP), [crystal], cache=tmp_path)
    assert hit and np.array_equal(again, _fresh(crystal))


def test_the_key_follows_the_descriptor_code(tmp_path, crystal, monkeypatch):
    soap = make_descriptor("soap", SOAP)
    soap.fit([crystal])
    before = soap.cache_key([crystal], None)
    module = sys.modules[type(soap).__module__]
    changed = tmp_path / "soap.py"
    shutil.copy(module.__file__, changed)
    changed.write_text(changed.read_text() + "\n# a fix in the descriptor code\n")
    monkeypatch.setattr(module, "__file__", str(changed))
    assert soap.cache_key([crystal], None) != before


def test_the_key_follows_library_versions(crystal, monkeypatch):
    from atomatlas.descriptors import base

    soap = make_descriptor("soap", SOAP)
    soap.fit([crystal])
    before = soap.cache_key([crystal], None)
    monkeypatch.setattr(base, "_versions", lambda: {"dscribe": "99.0"})
    assert soap.cache_key([crystal], None) != before


def test_cache_info_and_clear_touch_only_cache_files(cli, tmp_path, crystal, monkeypatch):
    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path))
    create_cached(make_descriptor("soap", SOAP), [crystal])
    (tmp_path / "descriptors" / "notes.txt").write_text("mine")
    (tmp_path / "keep.txt").write_text("mine too")
    status, out, _ = cli("cache", "info")
    assert status == 0 and f"cache: {tmp_path}" in out and "descriptors: 1 entries" in out
    status, out, _ = cli("cache", "clear", "--descriptors")
    assert status == 0 and "removed 2 file(s) of descriptors" in out
    assert sorted(p.name for p in (tmp_path / "descriptors").iterdir()) == ["notes.txt"]
    assert (tmp_path / "keep.txt").exists()
    status, out, _ = cli("cache", "info")
    assert "descriptors: 0 entries" in out


def test_no_cache_on_the_command_line_replaces_a_bad_entry(cli, tmp_path, monkeypatch):
    import ase.io

    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path / "cache"))
    frames = [bulk("Fe", "bcc", a=2.87, cubic=True).repeat(2) for _ in range(2)]
    frames[1].rattle(0.1, seed=1)
    ase.io.write(tmp_path / "fe.extxyz", frames)
    args = ("environments", tmp_path / "fe.extxyz", "--descriptor", "rdf", "--k", "2")
    assert cli(*args, "--out", tmp_path / "a")[0] == 0
    array, meta = _entry(tmp_path / "cache" / "descriptors")
    good = np.load(array)
    bad = good[::-1].copy()  # valid-looking numbers that would give other labels
    np.save(array, bad)
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "sha256": cache._array_sha(bad)}))
    assert cli(*args, "--no-cache", "--out", tmp_path / "b")[0] == 0
    assert np.array_equal(np.load(array), good)  # the entry was replaced by the recomputed numbers
    assert cli(*args, "--out", tmp_path / "c")[0] == 0
    assert (tmp_path / "c" / "labels.csv").read_text() == (tmp_path / "a" / "labels.csv").read_text()


def test_a_damaged_generated_dataset_is_made_again(tmp_path, monkeypatch, capsys):
    from atomatlas import datasets

    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path))
    path = datasets.path_of("moons.csv")
    good = path.read_text()
    path.write_text(good.replace("0.", "9.", 5))
    again = datasets.path_of("moons.csv")
    assert again == path and again.read_text() == good
    assert "was damaged" in capsys.readouterr().err


def test_generated_datasets_are_keyed_by_their_generator(tmp_path, monkeypatch):
    from atomatlas import datasets
    from atomatlas.datasets import generated

    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path))
    first = datasets.path_of("moons.csv")
    changed = tmp_path / "generated.py"
    shutil.copy(generated.__file__, changed)
    changed.write_text(changed.read_text() + "\n# another generator version\n")
    monkeypatch.setattr(generated, "__file__", str(changed))
    second = datasets.path_of("moons.csv")
    assert second != first and second.parent.name != first.parent.name


def test_clear_never_follows_a_link_out_of_the_cache(cli, tmp_path, monkeypatch):
    """A link where an entry or a key folder should be is removed as a link; the user's files it points at stay."""
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    key = "0123456789abcdef0123"
    (tmp_path / "cache" / "datasets").mkdir(parents=True)
    (tmp_path / "cache" / "descriptors").mkdir()
    (tmp_path / "cache" / "datasets" / key).symlink_to(user)
    (tmp_path / "cache" / "descriptors" / f"{key}.npy").symlink_to(user / "thesis.tex")
    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path / "cache"))
    status, out, err = cli("cache", "clear")
    assert (status, err) == (0, "") and "removed 2 file(s)" in out
    assert (user / "thesis.tex").read_text() == "precious"
    assert not any((tmp_path / "cache" / "datasets").iterdir()) and not any((tmp_path / "cache" / "descriptors").iterdir())


def test_a_linked_dataset_folder_is_never_written_through(tmp_path, monkeypatch):
    from atomatlas import datasets

    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path / "cache"))
    path = datasets.path_of("moons.csv")
    shutil.rmtree(path.parent)
    user = tmp_path / "user"
    user.mkdir()
    (user / "moons.csv").write_text("mine")
    path.parent.symlink_to(user)
    again = datasets.path_of("moons.csv")
    assert not again.parent.is_symlink() and "moon" in again.read_text().splitlines()[0]
    assert (user / "moons.csv").read_text() == "mine"


@pytest.mark.parametrize("value, expected", [("OFF", None), (" off ", None), ("~/atlas-cache", "HOME")])
def test_the_cache_setting_reads_as_a_user_means_it(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ATOMATLAS_CACHE", value)
    assert cache.root() == (None if expected is None else tmp_path / "atlas-cache")


def test_a_cache_setting_that_names_a_file_is_refused(cli, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("ATOMATLAS_CACHE", str(tmp_path / "file"))
    status, _, err = cli("cache", "info")
    assert status == 2 and "is a file, not a folder; point it at a folder" in err
    status, _, err = cli("cache", "clear")
    assert status == 2 and "ATOMATLAS_CACHE=" in err and (tmp_path / "file").read_text() == "x"
