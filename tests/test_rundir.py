import pytest

from atomatlas.errors import AtlasError
from atomatlas.io.rundir import RunFolder


def test_success_renames_into_place(tmp_path):
    with RunFolder(tmp_path / "runs" / "a") as folder:
        (folder / "labels.csv").write_text("x\n")
        assert folder.name.startswith(".a.") and folder.parent == tmp_path / "runs"
    assert (tmp_path / "runs" / "a" / "labels.csv").read_text() == "x\n"
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["a"]


def test_failure_leaves_nothing_not_even_new_parents(tmp_path):
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path / "new" / "deeper" / "a") as folder:
            (folder / "labels.csv").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_overwrite(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.txt").write_text("old")
    with pytest.raises(AtlasError, match=r"already exists; pass --overwrite"):
        RunFolder(tmp_path / "a").check()
    with RunFolder(tmp_path / "a", overwrite=True) as folder:
        (folder / "new.txt").write_text("new")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_failed_overwrite_keeps_the_old_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with RunFolder(tmp_path / "a", overwrite=True):
            raise RuntimeError("boom")
    assert (tmp_path / "a" / "old.txt").read_text() == "old"


def test_unwritable_targets(tmp_path):
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(AtlasError, match=r"is a file, not a folder"):
        RunFolder(tmp_path / "file.txt" / "run").check()
    with pytest.raises(AtlasError, match=r"is an existing file"):
        RunFolder(tmp_path / "file.txt").check()
    with pytest.raises(AtlasError, match=r"cannot write"):
        with RunFolder("/proc/atomatlas-run"):
            pass
