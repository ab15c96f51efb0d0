"""Counts and sizes a run could not finish on this machine are refused before any work, in one line."""

import pytest
import tomli_w

from atomatlas.runs import limits

SLAB = {"kind": "fcc111", "size": [2, 2, 3]}


@pytest.mark.parametrize("config, message", [
    ({"structures": {"build": [SLAB], "copies": 10**9}},
     r"build 'fcc111' x repeat x copies would make 2.4e\+10 atoms, more than the [\d,]+ this machine's"),
    ({"structures": {"build": [{**SLAB, "size": [1000, 1000, 100]}]}}, r"would make 2e\+08 atoms"),
    ({"structures": {"build": [SLAB], "repeat": [1000, 1000, 1000]}}, r"would make 2.4e\+10 atoms"),
    ({"structures": {"build": [{"kind": "point_defect", "repeat": 500}]}}, r"point_defect.* would make 2.5e\+08"),
    ({"structures": {"build": [SLAB]}, "centers": {"kind": "surface_grid", "n": 100_000}},
     r"surface_grid n = 100000 would make 1e\+10 probe points"),
    ({"structures": {"build": [SLAB]}, "cluster": {"method": "kmeans", "n_init": 10**9}},
     r"n_init = 1000000000 restarts; at most 1000"),
    ({"structures": {"build": [SLAB], "copies": 0}}, r"copies must be a positive integer; got 0"),
    ({"structures": {"build": [{"kind": "point_defect", "repeat": 0}]}},
     r"^atomatlas run: error: config: \[structures\] build 'point_defect': repeat must be a positive integer; got 0"),
], ids=["copies", "build size", "repeat", "point defect", "probe grid", "n_init", "no copies", "no repeat"])
def test_sizes_beyond_the_machine_are_refused_before_work(cli, tmp_path, config, message):
    import re

    recipe = tmp_path / "big.toml"
    recipe.write_text(tomli_w.dumps({"descriptor": {"method": "rdf"}, **config}))
    status, _, err = cli("run", recipe, "--out", tmp_path / "o")
    assert status == 2 and re.search(message, err), err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_the_budget_follows_the_machine(monkeypatch):
    monkeypatch.setattr(limits, "memory_bytes", lambda: 1024 ** 3)
    assert limits.atom_budget() == 1024 ** 3 // limits.BYTES_PER_ATOM
    limits.check_generated(limits.atom_budget(), "x")
    with pytest.raises(limits.AtlasError, match="this machine's 1 GiB"):
        limits.check_generated(limits.atom_budget() + 1, "x")
    monkeypatch.setattr(limits.os, "cpu_count", lambda: 2)
    limits.check_local_workers(2)  # a 1 GiB machine holds two 512 MB workers, not three
    with pytest.raises(limits.AtlasError, match="from 1 to 2 on this machine"):
        limits.check_local_workers(3)
