"""Run folders: all or nothing, one writer at a time, nothing clobbered, nothing left behind."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from atomatlas.errors import AtlasError
from atomatlas.runs.folder import MARKER, RunFolder

FE = "dataset:Fe2_descriptor.csv"


def test_success_renames_into_place(tmp_path):
    with RunFolder(tmp_path / "runs" / "a") as folder:
        (folder / "labels.csv").write_text("x\n")
        assert folder.name.startswith(".a.") and folder.parent == tmp_path / "runs"
    assert (tmp_path / "runs" / "a" / "labels.csv").read_text() == "x\n"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["a"]  # no lock or temporary folder left
    assert (tmp_path / "runs" / "a" / MARKER).is_file()


def test_failure_leaves_nothing_not_even_new_parents(tmp_path):
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path / "new" / "deeper" / "a") as folder:
            (folder / "labels.csv").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def _old_run(path: Path) -> Path:
    path.mkdir()
    (path / "old.txt").write_text("old")
    (path / MARKER).write_text("{}")
    return path


def test_existing_folder_needs_overwrite(tmp_path):
    _old_run(tmp_path / "a")
    with pytest.raises(AtlasError, match=r"already exists; pass --overwrite"):
        RunFolder(tmp_path / "a").check()
    with RunFolder(tmp_path / "a", overwrite=True) as folder:
        (folder / "new.txt").write_text("new")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [MARKER, "new.txt", "report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_failed_overwrite_keeps_the_old_folder(tmp_path):
    _old_run(tmp_path / "a")
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path / "a", overwrite=True):
            raise RuntimeError("boom")
    assert (tmp_path / "a" / "old.txt").read_text() == "old"


def test_overwrite_replaces_only_run_folders(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    with pytest.raises(AtlasError, match=r"mine exists and is not an atomatlas run folder \(it has no "
                                         r"\.atomatlas-run file\); --overwrite only replaces run folders"):
        RunFolder(tmp_path / "mine", overwrite=True).check()
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "years of work"
    (tmp_path / "empty").mkdir()
    with RunFolder(tmp_path / "empty", overwrite=True) as folder:  # an empty folder holds nothing to lose
        (folder / "x").write_text("x")
    assert (tmp_path / "empty" / "x").exists()


@pytest.mark.parametrize("out", [".", "..", "/"])
def test_out_must_name_a_new_folder(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AtlasError, match=r"is not a folder name|is the current folder or contains it"):
        RunFolder(out, overwrite=True).check()


def test_out_may_not_contain_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / MARKER).write_text("{}")
    monkeypatch.chdir(tmp_path / "a" / "b")
    with pytest.raises(AtlasError, match=r"is the current folder or contains it"):
        RunFolder(tmp_path / "a", overwrite=True).check()


def test_a_second_writer_of_the_same_out_is_refused(tmp_path):
    with RunFolder(tmp_path / "a") as folder:
        (folder / "first.txt").write_text("first")
        with pytest.raises(AtlasError, match=rf"another atomatlas run \(pid {os.getpid()}\) is writing --out "):
            with RunFolder(tmp_path / "a", overwrite=True):
                pass
        assert folder.exists()  # the refused run did not touch the first one's work
    assert (tmp_path / "a" / "first.txt").read_text() == "first"
    with RunFolder(tmp_path / "a", overwrite=True) as folder:  # the lock is free again
        (folder / "second.txt").write_text("second")


def test_stale_temporary_folders_of_killed_runs_are_removed(tmp_path):
    stale = tmp_path / ".a.k1ll3d.tmp"
    stale.mkdir()
    (stale / MARKER).write_text("{}")
    (stale / "labels.csv").write_text("half")
    other = tmp_path / ".b.k1ll3d.tmp"  # another target's: not ours to remove
    other.mkdir()
    (other / MARKER).write_text("{}")
    (tmp_path / ".a.lock").write_text("12345")  # a killed run's lock file: the lock itself died with it
    with RunFolder(tmp_path / "a") as folder:
        (folder / "labels.csv").write_text("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.k1ll3d.tmp", "a"]


def test_run_folders_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        with RunFolder(tmp_path / "a") as folder:
            (folder / "x").write_text("x")
    finally:
        os.umask(previous)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o750


def test_unwritable_targets(tmp_path):
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(AtlasError, match=r"is a file, not a folder"):
        RunFolder(tmp_path / "file.txt" / "run").check()
    with pytest.raises(AtlasError, match=r"is an existing file"):
        RunFolder(tmp_path / "file.txt").check()
    with pytest.raises(AtlasError, match=r"cannot write"):
        with RunFolder("/proc/atomatlas-run"):
            pass


def _as_from_a_terminal():
    # A job a non-interactive shell starts in the background (CI's, for one) inherits SIGINT
    # ignored, and Python then keeps ignoring it, as `nohup` users expect; a user's Ctrl-C
    # reaches a process whose SIGINT is at its default, so the run under test starts that way.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _atomatlas(*args, cwd, env=None):
    return subprocess.Popen([sys.executable, "-m", "atomatlas.cli.main", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, preexec_fn=_as_from_a_terminal)


def test_two_runs_on_the_same_out_exactly_one_wins(tmp_path):
    runs = [_atomatlas("cluster", FE, "--id", "key,id", "--method", "gmm", "--param", "n_init=20", "--out", "same",
                       "--overwrite", "--seed", str(seed), cwd=tmp_path) for seed in (1, 2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    statuses = sorted(status for status, _ in results)
    assert statuses == [0, 2], results
    loser = next(err for status, err in results if status == 2)
    assert "another atomatlas run" in loser or "already exists" in loser
    winner_seed = 1 + [status for status, _ in results].index(0)
    assert f"seed = {winner_seed}" in (tmp_path / "same" / "config.toml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same"]


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_for(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


FRAMES = """import ase.io, numpy
from ase.build import bulk
frames = [bulk("Fe", "bcc", a=2.87, cubic=True).repeat(8) for _ in range(48)]
for seed, atoms in enumerate(frames):  # rattled: a run that is not stopped goes on to cluster, never ends early
    atoms.positions += numpy.random.default_rng(seed).normal(0.0, 0.05, atoms.positions.shape)
ase.io.write("frames.extxyz", frames)
"""


@pytest.fixture
def slow_structures(tmp_path):
    """48 frames of 1024 atoms: SOAP keeps two workers busy long enough that the signal always comes
    while they work, even on a loaded machine (the run is stopped, so the test does not wait for it)."""
    subprocess.run([sys.executable, "-c", FRAMES], cwd=tmp_path, check=True)
    return tmp_path / "frames.extxyz"


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_leave_nothing_and_stop_the_workers(tmp_path, slow_structures, signum, status):
    token = f"ATOMATLAS_TEST_{uuid.uuid4().hex}"
    run = _atomatlas("environments", slow_structures, "--descriptor", "soap", "--n-jobs", "2", "--no-cache",
                     "--out", "o", cwd=tmp_path, env={token: "1"})  # SOAP: worker processes (local_order: threads)
    assert _wait_for(lambda: len(_processes_with(token)) >= 3), "the workers never started"
    run.send_signal(signum)
    assert run.wait(timeout=60) == status, run.stderr.read()  # the reason, when the run ended otherwise
    assert "nothing was written" in run.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.extxyz"]
    assert _wait_for(lambda: not _processes_with(token), timeout=30), "worker processes outlived the run"


def test_workers_do_not_outlive_a_killed_run(tmp_path, slow_structures):
    token = f"ATOMATLAS_TEST_{uuid.uuid4().hex}"
    run = _atomatlas("environments", slow_structures, "--descriptor", "soap", "--n-jobs", "2", "--no-cache",
                     "--out", "o", cwd=tmp_path, env={token: "1"})  # SOAP: worker processes (local_order: threads)
    assert _wait_for(lambda: len(_processes_with(token)) >= 3), "the workers never started"
    run.kill()
    run.wait(timeout=30)
    assert _wait_for(lambda: not _processes_with(token), timeout=30), "worker processes outlived a killed run"


def test_links_are_never_followed_when_cleaning_or_replacing(tmp_path):
    """Stale-folder cleanup and --overwrite remove only real run folders beside the target, never a link's target."""
    elsewhere = tmp_path / "elsewhere"
    with RunFolder(elsewhere) as folder:
        (folder / "labels.csv").write_text("keep me")
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / ".a.k1ll3d.tmp").symlink_to(elsewhere)  # looks like a killed run's temporary folder
    (runs / ".a.old-1").symlink_to(elsewhere)
    (runs / "b").symlink_to(elsewhere)
    with RunFolder(runs / "a") as folder:
        (folder / "x").write_text("x")
    with pytest.raises(AtlasError, match="is a symbolic link; atomatlas never writes or replaces through a link"):
        with RunFolder(runs / "b", overwrite=True):
            pass
    assert (elsewhere / "labels.csv").read_text() == "keep me" and (runs / "b").is_symlink()


def test_an_out_name_too_long_for_the_file_system_is_refused_before_work(cli, tmp_path):
    status, _, err = cli("cluster", FE, "--out", tmp_path / ("x" * 250))
    assert status == 2 and "bytes long, over the 241 atomatlas allows" in err
    assert len(err.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []
