"""--resume: a Dask run killed half-way continues from its finished work and ends with the labels of an
uninterrupted run; the partial folder is checked like any untrusted file."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from atomatlas import api

CHUNK = 100  # centres per chunk: 108-atom frames, one frame per chunk

# Started as a script: a run whose workers take a second per chunk, so that it can be killed half-way.
SLOW_RUN = '''
import sys, time


def describe_part(*args):  # on a worker, where describe_part is the real one
    from atomatlas.runs import described_parts as module
    time.sleep(1.0)
    return module.describe_part(*args)


if __name__ == "__main__":
    from atomatlas.runs import described_parts as module
    module.CHUNK_CENTRES = int(sys.argv[1])
    module.describe_part = describe_part
    from atomatlas.cli.main import main
    raise SystemExit(main(sys.argv[2:]))
'''


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """12 frames of rattled fcc Cu and bcc Fe (108 atoms each) in one extxyz file."""
    from ase.build import bulk
    from ase.io import write

    root = tmp_path_factory.mktemp("resume")
    rng = np.random.default_rng(3)
    images = []
    for i in range(12):
        atoms = (bulk("Cu", "fcc", a=3.61, cubic=True) if i % 3 else bulk("Fe", "bcc", a=2.87, cubic=True)).repeat(3)
        atoms.positions += rng.normal(0, 0.05, atoms.positions.shape)
        images.append(atoms)
    write(root / "frames.extxyz", images)
    return root / "frames.extxyz"


def _killed_half_way(tmp_path, frames, out) -> list:
    """Start `environments --scheduler` in its own process group and SIGKILL all of it once two chunks are done."""
    script = tmp_path / "slow_run.py"
    script.write_text(SLOW_RUN)
    parts = out.parent / f".{out.name}.partial" / "parts"
    process = subprocess.Popen([sys.executable, str(script), str(CHUNK), "environments", str(frames), "--k", "2",
                                "--scheduler", "local", "--workers", "2", "--no-report", "--out", str(out)],
                               cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and len(list(parts.glob("*.parquet"))) < 2:
            time.sleep(0.1)
        assert process.poll() is None, "the run ended before it could be killed"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run, its scheduler and its workers, as a power cut would
        process.wait()
    return sorted(parts.glob("*.parquet"))


def test_a_killed_environments_run_resumes_from_its_finished_chunks(tmp_path, frames, monkeypatch, cli):
    from atomatlas.runs import described_parts

    monkeypatch.setattr(described_parts, "CHUNK_CENTRES", CHUNK)
    out = tmp_path / "run"
    finished = _killed_half_way(tmp_path, frames, out)
    assert 2 <= len(finished) < 12 and not out.exists()

    command = ["environments", frames, "--k", "2", "--scheduler", "local", "--workers", "2", "--no-report"]
    status, _, err = cli(*command, "--k", "3", "--resume", "--out", out)
    assert status == 2 and "holds the partial work of another run" in err and "rerun without --resume" in err
    assert "what differs: config.cluster.k;" in err  # says what differed, and only that
    finished[0].write_bytes(b"PAR1 cut short")  # damaged chunks are computed again, never used
    edited = pd.read_parquet(finished[1])
    edited.iloc[0, -1] = np.nan  # readable, but not what a worker writes
    edited.to_parquet(finished[1], index=False)
    status, _, err = cli(*command, "--resume", "--out", out)
    assert status == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dask"]["resume"]["reused_chunks"] == len(finished) - 2
    assert not (tmp_path / ".run.partial").exists()

    status, _, err = cli(*command, "--out", tmp_path / "whole")
    assert status == 0, err
    assert pd.read_csv(out / "labels.csv").equals(pd.read_csv(tmp_path / "whole" / "labels.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "features.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "features.parquet"))


def test_identify_and_predict_take_up_the_chunks_of_an_interrupted_run(tmp_path, frames, monkeypatch):
    from atomatlas.runs import identify, predict_parts
    from atomatlas.engine.parts import PartialWork

    monkeypatch.setattr(identify, "CHUNK_ATOMS", CHUNK)
    monkeypatch.setattr(predict_parts, "CHUNK_CENTRES", CHUNK)
    whole = api.identify(frames, tmp_path / "whole", scheduler="local", workers=2)
    api.environments(frames, tmp_path / "fit", k=2, cache=False)
    predicted = api.predict(tmp_path / "fit", frames, tmp_path / "predicted", scheduler="local", workers=2)

    def stopped(self, count, destination):
        raise KeyboardInterrupt  # every chunk done, stopped before the run folder was written

    adopt = PartialWork.adopt_parts
    monkeypatch.setattr(PartialWork, "adopt_parts", stopped)
    with pytest.raises(KeyboardInterrupt):
        api.identify(frames, tmp_path / "run", scheduler="local", workers=2)
    with pytest.raises(KeyboardInterrupt):
        api.predict(tmp_path / "fit", frames, tmp_path / "new", scheduler="local", workers=2)
    monkeypatch.setattr(PartialWork, "adopt_parts", adopt)
    chunks = {name: len(list((tmp_path / f".{name}.partial" / "parts").glob("*.parquet"))) for name in ("run", "new")}
    assert chunks == {"run": 8, "new": 8}  # 108-atom Cu frames alone, 54-atom Fe frames with the next one
    (tmp_path / ".run.partial" / "parts" / "part-x.parquet").write_bytes(b"not ours")  # a stray file: left out
    # a new batch job gets another scheduler and worker count: where the work runs does not change its results
    resumed = api.identify(frames, tmp_path / "run", scheduler="local", workers=1, resume=True)
    assert resumed.metrics["dask"]["resume"]["reused_chunks"] == 8
    assert resumed.labels.equals(whole.labels) and not (tmp_path / "run" / "labels.parquet").exists()
    assert pd.read_csv(tmp_path / "run" / "fractions.csv").equals(pd.read_csv(tmp_path / "whole" / "fractions.csv"))
    again = api.predict(tmp_path / "fit", frames, tmp_path / "new", scheduler="local", workers=2, resume=True)
    assert again.metrics["dask"]["resume"]["reused_chunks"] == 8
    assert again.labels.equals(predicted.labels) and again.metrics["cluster_sizes"] == predicted.metrics["cluster_sizes"]

    # the same plan in this process (with grains): its chunks kept and taken up as the workers' are
    monkeypatch.setattr(PartialWork, "adopt_parts", stopped)
    with pytest.raises(KeyboardInterrupt):
        api.identify(frames, tmp_path / "local", grains=True)
    monkeypatch.setattr(PartialWork, "adopt_parts", adopt)
    parts = tmp_path / ".local.partial" / "parts"
    (parts / "part-000003.extxyz").unlink()  # its frames lost: labelled again
    (parts / "part-000005.grains.csv").write_text("not,a,grain,table\n")  # a damaged grain table: the same
    (parts / "part-000006.grains.csv").write_text("grain,lattice,atoms,qw,qx,qy,qz\n0,fcc,108,x,0,0,0\n")  # and a
    # table whose columns are there but whose orientation is no number
    local = api.identify(frames, tmp_path / "local", resume=True, grains=True)
    assert local.metrics["resume"]["reused_chunks"] == 5 and "dask" not in local.metrics
    assert local.labels[whole.labels.columns].equals(whole.labels)
    assert set(pd.read_csv(tmp_path / "local" / "grains.csv")["frame"]) == set(local.labels["frame"])
    assert (tmp_path / "local" / "structures.extxyz").read_text().count("Lattice=") == 12


def test_resume_is_refused_where_no_chunks_are_kept_and_a_fresh_run_clears_old_partial_work(tmp_path, frames, cli):
    status, _, err = cli("environments", frames, "--k", "2", "--resume", "--out", tmp_path / "o")
    assert status == 2 and "--resume continues an interrupted --scheduler run (Dask); add --scheduler" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    status, _, err = cli("cluster", frames, "--resume", "--out", tmp_path / "o")  # fitted on a sample: no chunks
    assert status == 2 and "unrecognized arguments: --resume" in err
    stale = tmp_path / ".o.partial" / "parts"
    stale.mkdir(parents=True)
    (stale / "part-000000.parquet").write_bytes(b"old")
    status, _, err = cli("environments", frames, "--k", "2", "--scheduler", "local", "--workers", "1",
                         "--no-report", "--out", tmp_path / "o")
    assert status == 0, err
    assert not (tmp_path / ".o.partial").exists()  # without --resume: started afresh, nothing left behind


def test_a_linked_partial_folder_is_never_worked_in(tmp_path):
    """.NAME.partial or its parts/ as a link to a user's folder: the link goes, the folder it points at stays whole."""
    from atomatlas.engine.parts import PartialWork, resuming

    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    (tmp_path / ".run.partial").symlink_to(user)
    with resuming(True):
        work = PartialWork(tmp_path / "run", {"config": {}})
        work.open()
        work.adopt_parts(0, tmp_path / "adopted")
    assert (user / "notes.txt").read_text() == "mine" and sorted(p.name for p in user.iterdir()) == ["notes.txt"]
    (tmp_path / ".other.partial").mkdir()
    (tmp_path / ".other.partial" / "parts").symlink_to(user)
    work = PartialWork(tmp_path / "other", {"config": {}})
    work.open()
    work.adopt_parts(0, tmp_path / "adopted-2")
    assert sorted(p.name for p in user.iterdir()) == ["notes.txt"]


def test_a_partial_folder_of_another_layout_is_refused_in_one_line(tmp_path):
    """A partial folder written before the parts' layout changed (no or another parts_format) is not misread."""
    import json

    from atomatlas.errors import AtlasError
    from atomatlas.engine.parts import IDENTITY, PartialWork, resuming

    identity = {"config": {"name": "x"}, "inputs": []}
    work = PartialWork(tmp_path / "run", identity)
    work.path.mkdir()
    older = {k: v for k, v in work.identity.items() if k != "parts_format"}
    (work.path / IDENTITY).write_text(json.dumps(older))
    with resuming(True), pytest.raises(AtlasError, match=r"partial work of another run; what differs: parts_format;"):
        PartialWork(tmp_path / "run", identity).open()
