"""Files a user names or a run folder holds may be damaged or hostile: one line and exit status 2, never a hang
or an internal error."""

import json
import os

import pytest

FE = "dataset:Fe2_descriptor.csv"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from atomatlas import api

    return api.cluster(FE, tmp_path_factory.mktemp("fit") / "fe", id_columns=["key", "id"], k=3, report=False).path


@pytest.mark.parametrize("write, message", [
    (lambda p: p.write_bytes(b'[data]\npath = "x.csv"\n# caf\xe9\n'), r"recipe is not UTF-8 text \(byte \d+\)"),
    (lambda p: p.write_text("a = " + "[" * 200_000 + "]" * 200_000), r"not valid TOML \(nested too deeply\)"),
    (lambda p: os.mkfifo(p), r"is a named pipe, not a recipe file; atomatlas reads regular files only"),
], ids=["not UTF-8", "nested 200000 deep", "named pipe"])
def test_a_broken_recipe_is_one_line(cli, tmp_path, write, message):
    import re

    write(tmp_path / "recipe.toml")
    status, _, err = cli("run", tmp_path / "recipe.toml", "--out", tmp_path / "o")
    assert status == 2 and re.search(message, err), err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_a_table_that_is_a_named_pipe_is_refused_not_waited_on(cli, tmp_path):
    os.mkfifo(tmp_path / "rows.csv")
    status, _, err = cli("cluster", tmp_path / "rows.csv", "--out", tmp_path / "o")
    assert status == 2 and "rows.csv: is a named pipe, not a table file" in err


@pytest.mark.parametrize("edit, message", [
    (lambda meta: "[" * 200_000 + "]" * 200_000, "is nested too deeply to be a file atomatlas wrote"),
    (lambda meta: json.dumps({**meta, "format_version": "2"}), "format_version must be a whole number, not '2'"),
], ids=["nested 200000 deep", "string version"])
def test_a_damaged_model_json_is_one_line(cli, tmp_path, fitted, edit, message):
    import shutil

    run = tmp_path / "fe"
    shutil.copytree(fitted, run)
    meta = json.loads((run / "model.json").read_text())
    (run / "model.json").write_text(edit(meta))
    status, _, err = cli("predict", run, FE, "--out", tmp_path / "o")
    assert status == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_a_displacement_that_is_not_a_number_is_blamed_on_the_config(cli, tmp_path):
    (tmp_path / "r.toml").write_text('[structures]\nbuild = [{kind = "fcc111", size = [2, 2, 3]}]\n'
                                     'displacement = nan\n[descriptor]\nmethod = "rdf"\n')
    status, _, err = cli("run", tmp_path / "r.toml", "--out", tmp_path / "o")
    assert status == 2 and "config: [structures] displacement must be a number from 0 to 1" in err, err
