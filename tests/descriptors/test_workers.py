"""The one pool of descriptor work (descriptors/workers.py) and when Descriptor.create uses it."""

import os
import threading

import numpy as np
import pytest
from ase.build import bulk

from atomatlas.descriptors.base import Descriptor
from atomatlas.descriptors.workers import map_ordered


class WhereMade(Descriptor):
    """One row per structure: the process and thread that made it."""

    name = "where_made"
    averaged = True
    uses_species = False

    def feature_names(self):
        return ["pid", "thread"]

    def _create_one(self, atoms, centers):
        return np.array([os.getpid(), threading.get_ident()], dtype=float)


def _square(x):
    return x * x


@pytest.mark.parametrize("pool", ["processes", "threads"])
def test_results_come_back_in_order(pool):
    assert list(map_ordered(_square, range(20), n_jobs=2, pool=pool)) == [x * x for x in range(20)]


def test_an_unknown_pool_is_refused():
    with pytest.raises(ValueError, match="pool must be one of"):
        list(map_ordered(_square, range(3), n_jobs=2, pool="fibres"))


def test_small_work_stays_here_and_large_work_goes_to_the_pool():
    cell = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)  # 108 atoms
    small = WhereMade().create([cell] * 2, n_jobs=2)
    assert set(small[:, 0]) == {os.getpid()}  # under min_parallel atoms: no worker started
    large = WhereMade().create([cell] * (WhereMade.min_parallel // len(cell) + 2), n_jobs=2)
    assert os.getpid() not in set(large[:, 0])
    threaded = WhereMade()
    threaded.pool = "threads"
    rows = threaded.create([cell] * (WhereMade.min_parallel // len(cell) + 2), n_jobs=2)
    assert set(rows[:, 0]) == {os.getpid()} and threading.get_ident() not in set(rows[:, 1])


def _freud_threads_after_a_sheared_cell(atoms):
    import freud

    from atomatlas.descriptors.local_order import LocalOrder

    LocalOrder().per_atom(atoms)  # a sheared cell: freud's neighbour query
    return freud.parallel.get_num_threads()


def test_a_worker_process_runs_freud_on_one_thread():
    cell = bulk("Cu", "fcc", a=3.6).repeat(4)  # the primitive cell: sheared, so freud answers
    threads = list(map_ordered(_freud_threads_after_a_sheared_cell, [cell, cell], n_jobs=2, pool="processes"))
    assert threads == [1, 1]  # one process per core: no TBB threads on top
