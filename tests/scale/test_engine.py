"""engine/: one step, the same results in this process and on Dask workers, settings carried to the tasks."""

import warnings

import pytest


def _step(batch, offset, path):
    """A step as a plan maps it: one chunk, the shared objects, its part's path; returns a small summary."""
    import sklearn

    try:
        warnings.warn("carried filter", UserWarning)
        warned = False
    except UserWarning:
        warned = True  # the planning process turned this warning into an error: the filter travelled
    return sum(batch) + offset, path, sklearn.get_config()["assume_finite"], warned


def test_chunks_hold_at_least_their_size_and_keep_the_order():
    from atomatlas.engine.executors import chunks

    assert list(chunks(range(7), lambda item: 1, 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([5, 1, 1, 4], lambda item: item, 2)) == [[5], [1, 1], [4]]
    assert list(chunks([], len, 3)) == []


def test_the_local_executor_calls_the_step_unchanged_and_takes_up_finished_parts():
    from atomatlas.engine.executors import LocalExecutor

    calls = []

    def step(batch, offset, path):
        calls.append(path)
        return sum(batch) + offset

    done = LocalExecutor().map_chunks(step, iter([[1, 2], [3], [4]]), (10,), part_path=lambda p: f"part-{p}",
                                      desc="test", progress=False,
                                      finished=lambda batch, part: -1 if part == 1 else None)
    assert done == [13, -1, 14] and calls == ["part-0", "part-2"]


def test_dask_tasks_run_under_the_planning_process_settings():
    import sklearn
    from distributed import Client, LocalCluster

    from atomatlas.engine.executors import DaskExecutor

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        engine = DaskExecutor(client, section=None)
        with sklearn.config_context(assume_finite=True), warnings.catch_warnings():
            warnings.filterwarnings("error", message="carried filter")
            done = engine.map_chunks(_step, iter([[1, 2], [3]]), (engine.share(10),), part_path=str,
                                     desc="test", progress=False)
        plain = engine.map_chunks(_step, iter([[1]]), (10,), part_path=str, desc="test", progress=False)
    assert done == [(13, "0", True, True), (13, "1", True, True)]
    with pytest.warns(UserWarning, match="carried filter"):
        warnings.warn("carried filter", UserWarning)  # the test's own filters are untouched
    assert plain == [(11, "0", False, False)]


@pytest.mark.parametrize("config, resume, message", [
    ({"image": {"path": "dataset:micrograph.png"}, "cluster": {"method": "kmeans", "k": 3},
      "dask": {"scheduler": "local"}}, False, r"config: a segmentation run does not run on Dask; remove the \[dask\]"),
    ({"data": {"path": "dataset:Fe2_descriptor.csv"}, "cluster": {"method": "kmeans"}, "dask": {"scheduler": "local"}},
     True, r"--resume: a table run keeps no finished chunks to continue from; drop --resume"),
    ({"structures": {"paths": ["x.extxyz"]}}, True,
     r"--resume continues an interrupted --scheduler run \(Dask\); add --scheduler"),
])
def test_scheduler_and_resume_are_refused_in_one_place_before_any_work(tmp_path, config, resume, message):
    from atomatlas import api
    from atomatlas.errors import AtlasError

    with pytest.raises(AtlasError, match=message):
        api.run_config(config, tmp_path / "o", resume=resume)
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.partial").exists()
