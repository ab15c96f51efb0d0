import json
import subprocess
import sys

import pandas as pd
import pytest

from atomatlas import datasets

FE = "dataset:Fe2_descriptor.csv"
FE_NEW = "dataset:Fe2_descriptor_newdata.csv"


def test_help_has_examples_and_imports_no_heavy_libraries():
    code = ("import sys\nfrom atomatlas.cli.main import main\n"
            "for argv in (['--help'], ['cluster', '--help'], ['list', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('torch', 'dask', 'umap', 'openTSNE', 'numba') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "atomatlas cluster data.csv --method kmeans --k auto --labels polytype --out runs/fe" in out


def test_a_cluster_run_and_a_refused_model_import_no_torch(tmp_path):
    """Saving a model imported skops.io, whose walk over every scikit-learn estimator imported torch (8 s of a
    13.6 s run on 42 rows); a bad model.json took 9 s to refuse. Neither imports torch now; the refusal no skops."""
    code = ("import sys\nfrom atomatlas.cli.main import main\n"
            f"assert main(['cluster', {FE!r}, '--k', '3', '--no-report', '--out', {str(tmp_path / 'a')!r}]) == 0\n"
            "print('AFTER-FIT', sorted(m for m in ('torch', 'skops.io') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "AFTER-FIT ['skops.io']" in out
    (tmp_path / "a" / "model.json").write_text("{not json")
    code = ("import sys\nfrom atomatlas.cli.main import main\n"
            f"assert main(['predict', {str(tmp_path / 'a')!r}, {FE!r}, '--out', {str(tmp_path / 'b')!r}]) == 2\n"
            "print('AFTER-REFUSAL', sorted(m for m in ('torch', 'skops') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "AFTER-REFUSAL []" in out


@pytest.mark.parametrize("command", ["cluster", "environments", "reduce", "fit-classifier", "predict", "run", "demo",
                                     "classify", "train-classifier", "make-crystals", "segment",
                                     "list", "label-few", "anomalies", "cache"])
def test_every_command_has_help_with_examples(cli, command):
    status, out, _ = cli(command, "--help")
    assert status == 0
    assert "examples:" in out


def test_cluster_writes_the_run_folder_contract(cli, blobs_csv, tmp_path):
    out = tmp_path / "run"
    status, stdout, stderr = cli("cluster", blobs_csv, "--method", "kmeans", "--k", "auto", "--labels", "phase",
                                 "--reduce", "pca", "--reduce-for", "view", "--out", out)
    assert status == 0, stderr
    assert "k = 3 (chosen by silhouette)" in stdout and "ARI 1.000" in stdout
    labels = pd.read_csv(out / "labels.csv")
    source = pd.read_csv(blobs_csv)
    assert list(labels.columns) == ["name", "id", "cluster", "cluster_uncertainty", "embedding_1", "embedding_2"]
    assert labels["name"].tolist() == source["name"].tolist()  # input order
    assert labels["cluster"].dtype.kind == "i" and labels["cluster"].nunique() == 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cluster"]["k"] == 3 and metrics["seed"] == 0
    assert metrics["cluster"]["k_selection"]["criterion"] == "silhouette"
    assert len(metrics["cluster"]["k_selection"]["scores"]) == 9
    assert metrics["evaluation"]["phase"]["adjusted_rand_index"] == pytest.approx(1.0)
    assert metrics["versions"]["scikit-learn"]
    for name in ("config.toml", "model.skops", "model.json", "map.png", "k_selection.png", "silhouette.png",
                 "scree.png", "feature_dendrogram.png", "confusion_phase.png", "contingency_phase.csv"):
        assert (out / name).exists(), name
    # the resolved config is itself a recipe: running it again gives the same labels
    status, _, stderr = cli("run", out / "config.toml", "--out", tmp_path / "again")
    assert status == 0, stderr
    assert (tmp_path / "again" / "labels.csv").read_bytes() == (out / "labels.csv").read_bytes()


@pytest.mark.parametrize("args", [
    ("--method", "kmeans", "--param", "init=random", "--param", "n_init=1"),
    ("--method", "gmm", "--k", "4"),
    ("--reduce", "tsne", "--reduce-param", "perplexity=10", "--method", "hdbscan"),
])
def test_same_seed_gives_byte_identical_labels(cli, blobs_csv, tmp_path, args):
    for name in ("a", "b"):
        status, _, stderr = cli("cluster", blobs_csv, *args, "--seed", "5", "--out", tmp_path / name)
        assert status == 0, stderr
    assert (tmp_path / "a" / "labels.csv").read_bytes() == (tmp_path / "b" / "labels.csv").read_bytes()


def test_dbscan_noise_is_minus_one_and_predict_follows(cli, blobs_csv, tmp_path):
    status, _, stderr = cli("cluster", blobs_csv, "--method", "dbscan", "--param", "eps=0.3",
                            "--param", "min_samples=5", "--out", tmp_path / "db")
    assert status == 0, stderr
    labels = pd.read_csv(tmp_path / "db" / "labels.csv")
    assert (labels["cluster"] == -1).any()
    status, _, stderr = cli("predict", tmp_path / "db", blobs_csv, "--out", tmp_path / "db-new")
    assert status == 0, stderr
    again = pd.read_csv(tmp_path / "db-new" / "labels.csv")
    core = json.loads((tmp_path / "db" / "metrics.json").read_text())["cluster"]["n_noise"]
    assert (again["cluster"] == -1).sum() == core  # noise rows stay noise: none is within eps of a core


def test_predict_labels_new_iron_structures(cli, tmp_path):
    status, _, stderr = cli("cluster", FE, "--id", "key,id", "--labels", "polytype", "--reduce", "pca",
                            "--reduce-for", "view", "--out", tmp_path / "fe")
    assert status == 0, stderr
    status, stdout, stderr = cli("predict", tmp_path / "fe", FE_NEW, "--out", tmp_path / "fe-new")
    assert status == 0, stderr
    new = pd.read_csv(tmp_path / "fe-new" / "labels.csv")
    assert new["key"].tolist() == ["Fe-bcc_13", "Fe-bcc_14", "Fe-fcc_13", "Fe-fcc_14", "Fe-hcp_13", "Fe-hcp_14"]
    assert new["cluster"].nunique() == 3 and new.groupby(new["key"].str[:6])["cluster"].nunique().max() == 1
    train = pd.read_csv(tmp_path / "fe" / "labels.csv")
    phase_cluster = dict(zip(train["key"].str[:6], train["cluster"]))
    assert all(phase_cluster[k[:6]] == c for k, c in zip(new["key"], new["cluster"]))
    assert {"embedding_1", "embedding_2"} <= set(new.columns)


def test_fit_classifier_and_predict(cli, tmp_path):
    status, stdout, stderr = cli("fit-classifier", FE, "--labels", "polytype", "--out", tmp_path / "clf")
    assert status == 0, stderr
    assert "cross-validated accuracy 1.000" in stdout
    metrics = json.loads((tmp_path / "clf" / "metrics.json").read_text())
    assert metrics["cross_validation"]["accuracy"] == pytest.approx(1.0)
    assert (tmp_path / "clf" / "confusion.png").exists()
    status, stdout, stderr = cli("predict", tmp_path / "clf", FE_NEW, "--out", tmp_path / "clf-new")
    assert status == 0, stderr
    new = pd.read_csv(tmp_path / "clf-new" / "labels.csv")
    assert new["predicted"].tolist() == ["Fe-bcc", "Fe-bcc", "Fe-fcc", "Fe-fcc", "Fe-hcp", "Fe-hcp"]
    assert (new["probability"] > 0.5).all()


def test_mlp_classifier(cli, tmp_path):
    status, stdout, stderr = cli("fit-classifier", FE, "--labels", "polytype", "--method", "mlp", "--folds", "3",
                                 "--out", tmp_path / "mlp")
    assert status == 0, stderr
    assert json.loads((tmp_path / "mlp" / "metrics.json").read_text())["cross_validation"]["accuracy"] >= 0.95


@pytest.mark.parametrize("method", ["pca", "kernel_pca", "mds"])
def test_reduce_command(cli, blobs_csv, tmp_path, method):
    status, stdout, stderr = cli("reduce", blobs_csv, "--method", method, "--labels", "phase", "--out",
                                 tmp_path / method)
    assert status == 0, stderr
    labels = pd.read_csv(tmp_path / method / "labels.csv")
    assert list(labels.columns) == ["name", "id", "embedding_1", "embedding_2"]
    assert (tmp_path / method / "map.png").exists()
    # the values: rows in input order, and the three phases kept apart on the map
    from sklearn.metrics import silhouette_score

    rows = pd.read_csv(blobs_csv)
    assert labels["name"].tolist() == rows["name"].tolist()
    assert silhouette_score(labels[["embedding_1", "embedding_2"]], rows["phase"]) > 0.5


def test_list_shows_methods_parameters_and_recipes(cli):
    status, stdout, _ = cli("list")
    assert status == 0
    for word in ("torch_mlp", "soap", "acsf", "rdf", "kmeans", "hdbscan", "nested", "tsne", "umap", "robust", "logistic",
                 "covariance_type", "cu111-sites", "fe-structures", "(needs torch, the nn extra)",
                 "fe-phases", "carbon-coordination", "carbon-environments"):
        assert word in stdout


def _write(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


BAD_INPUTS = [
    ("empty file", lambda p: ["cluster", _write(p, ""), "--out", p / "o"], r"the file is empty"),
    ("wrong delimiter", lambda p: ["cluster", _write(p, "a;b\n1;2\n3;4\n"), "--out", p / "o"], r"--delimiter ';'"),
    ("non-numeric column", lambda p: ["cluster", _write(p, "x,y\n1,2\n2,oops\n3,4\n"), "--out", p / "o"],
     r"'y' is not numeric"),
    ("all-NaN column", lambda p: ["cluster", _write(p, "x,y,z\n1,,2\n2,,3\n3,,1\n"), "--out", p / "o"],
     r"'y' is empty"),
    ("inf values", lambda p: ["cluster", _write(p, "x,y\n1,2\n2,-inf\n3,4\n"), "--out", p / "o"],
     r"'y' has 1 infinite"),
    ("constant column", lambda p: ["cluster", _write(p, "x,y\n1,2\n2,2\n3,2\n"), "--out", p / "o"],
     r"'y' is constant"),
    ("missing label column", lambda p: ["cluster", FE, "--labels", "phase", "--out", p / "o"],
     r"label column 'phase' not found"),
    ("k larger than rows", lambda p: ["cluster", FE, "--k", "100", "--out", p / "o"],
     r"k=100 must be below the number of rows \(42\)"),
    ("k equal to the rows", lambda p: ["cluster", FE, "--k", "42", "--out", p / "o"],
     r"k=42 must be below the number of rows \(42\)"),
    ("unknown method", lambda p: ["cluster", FE, "--method", "kmedoids", "--out", p / "o"],
     r"unknown cluster method 'kmedoids'"),
    ("unknown parameter", lambda p: ["cluster", FE, "--param", "n_inits=3", "--out", p / "o"],
     r"unknown parameter 'n_inits'"),
    ("bad parameter value", lambda p: ["cluster", FE, "--method", "gmm", "--param", "covariance_type=round",
                                       "--out", p / "o"], r"covariance_type='round' is not allowed"),
    ("unknown reducer", lambda p: ["reduce", FE, "--method", "lda", "--out", p / "o"], r"unknown reduce method"),
    ("too many components", lambda p: ["reduce", FE, "--n-components", "50", "--out", p / "o"],
     r"n_components=50 must be between 1 and 26"),
    ("output folder not writable", lambda p: ["cluster", FE, "--out", "/proc/atomatlas/o"], r"cannot write"),
    ("output under a file", lambda p: ["cluster", FE, "--out", _write(p, "") / "o"], r"is a file, not a folder"),
    ("unknown recipe", lambda p: ["run", "fe-phase", "--out", p / "o"], r"unknown recipe 'fe-phase'"),
    ("classifier without labels", lambda p: ["fit-classifier", FE, "--out", p / "o"], r"pass --labels"),
    ("predict from a non-run", lambda p: ["predict", p, FE_NEW, "--out", p / "o"], r"no saved model"),
    ("bad --param syntax", lambda p: ["cluster", FE, "--param", "n_init", "--out", p / "o"], r"NAME=VALUE"),
    # issue 10: each of these gave a traceback
    ("inner CV folds beyond a class", lambda p: ["fit-classifier", FE, "--labels", "polytype", "--param", "cv=20",
                                                 "--out", p / "o"],
     r"classifier 'logistic': cv=20 inner folds need every class 20 times .* lower --param cv to 11"),
    ("kmeans_logistic k beyond the rows", lambda p: ["fit-classifier", FE, "--labels", "polytype", "--method",
                                                     "kmeans_logistic", "--param", "k=[50]", "--folds", "2",
                                                     "--out", p / "o"],
     r"'kmeans_logistic': k=50 clusters need at least that many rows, but each KMeans is fit on about 21 rows"),
    ("values too large to square", lambda p: ["cluster", _write(p, "x,y\n1,2\n1e308,3\n2,5\n"), "--out", p / "o"],
     r"'x' has 1e\+308 on line 3: values beyond \+-1e\+100 overflow"),
    ("duplicate column names", lambda p: ["cluster", _write(p, "x,y,x\n1,2,3\n2,3,4\n3,5,1\n"), "--out", p / "o"],
     r"column name\(s\) \['x'\] appear more than once"),
    ("unknown bundled dataset", lambda p: ["cluster", "dataset:nope.csv", "--out", p / "o"],
     r"unknown bundled dataset 'nope.csv'; choose one of"),
    ("dbscan calls every row noise", lambda p: ["cluster", FE, "--method", "dbscan", "--param", "eps=0.01",
                                                "--out", p / "o"], r"called every one of the 42 rows noise"),
    ("out is the working folder", lambda p: ["cluster", FE, "--out", ".", "--overwrite"],
     r"--out \. is not a folder name"),
]


@pytest.mark.parametrize("name, argv, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_and_no_output(cli, tmp_path, name, argv, message):
    import re

    before = sorted(p.name for p in tmp_path.iterdir())
    status, stdout, stderr = cli(*argv(tmp_path))
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("atomatlas ") and re.search(message, lines[0]), stderr
    assert "Traceback" not in stderr
    after = sorted(p.name for p in tmp_path.iterdir())
    assert not (tmp_path / "o").exists()
    assert [p for p in after if p not in before and p != "bad.csv"] == []  # no temporary folders left


def test_unreadable_file(cli, tmp_path, monkeypatch):
    from atomatlas.io import tables

    path = _write(tmp_path, "x,y\n1,2\n2,3\n3,1\n")

    def refuse(*args, **kwargs):  # as a file without read permission does (root ignores chmod, so simulate it)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(tables, "_read_text_table", refuse)
    status, _, stderr = cli("cluster", path, "--out", tmp_path / "o")
    assert status == 2 and stderr.strip().endswith("cannot read the file (Permission denied); check its permissions.")


def test_model_json_without_its_kind_is_refused(cli, tmp_path):
    assert cli("cluster", FE, "--k", "3", "--out", tmp_path / "run")[0] == 0
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    del meta["kind"]
    (tmp_path / "run" / "model.json").write_text(json.dumps(meta))
    status, _, stderr = cli("predict", tmp_path / "run", FE_NEW, "--out", tmp_path / "new")
    assert status == 2 and len(stderr.strip().splitlines()) == 1
    assert "kind None is not one of ['cluster', 'anomaly', 'classifier']" in stderr


def test_argument_errors_take_two_lines(cli):
    status, _, stderr = cli("cluster", FE)
    lines = stderr.strip().splitlines()
    assert status == 2 and len(lines) == 2
    assert lines[0] == "usage: atomatlas cluster TABLE --out DIR [options]  (all options: atomatlas cluster --help)"
    assert lines[1] == "atomatlas cluster: error: the following arguments are required: --out"
    status, _, stderr = cli("clustr")
    assert status == 2 and len(stderr.strip().splitlines()) == 2 and "invalid choice: 'clustr'" in stderr


def test_a_bug_is_one_line_and_debug_shows_it(cli, tmp_path, monkeypatch):
    from atomatlas.cli import cluster

    def broken(args):
        raise TypeError("unsupported operand type(s)")

    monkeypatch.setattr(cluster, "run", broken)
    status, _, stderr = cli("cluster", FE, "--out", tmp_path / "o")
    assert status == 1 and len(stderr.strip().splitlines()) == 1
    assert "internal error (TypeError: unsupported operand type(s)); this is a bug in atomatlas: rerun with " \
           "--debug" in stderr
    with pytest.raises(TypeError, match="unsupported operand"):
        cli("--debug", "cluster", FE, "--out", tmp_path / "o")


def test_library_warnings_become_one_line_notes(cli, tmp_path):
    status, _, stderr = cli("cluster", FE, "--method", "gmm", "--k", "5", "--param", "max_iter=1",
                            "--out", tmp_path / "o")
    assert status == 0
    notes = [line for line in stderr.splitlines() if line.strip()]
    assert notes and all(line.startswith("atomatlas cluster: note: sklearn says:") for line in notes), stderr
    assert "Warning" not in stderr and "warnings.warn" not in stderr


def test_a_run_repeats_from_its_config_in_any_working_folder(cli, tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    (tmp_path / "elsewhere").mkdir()
    _write(tmp_path / "work", "x,y\n1,2\n2,3\n3,1\n8,9\n9,9\n9,8\n")
    monkeypatch.chdir(tmp_path / "work")
    assert cli("cluster", "bad.csv", "--k", "2", "--out", "run")[0] == 0
    assert cli("cluster", FE, "--k", "3", "--out", "fe")[0] == 0
    assert cli("predict", "fe", FE_NEW, "--out", "fe-new")[0] == 0
    config = (tmp_path / "work" / "fe" / "config.toml").read_text()
    assert 'path = "dataset:Fe2_descriptor.csv"' in config  # not an install path of this machine
    monkeypatch.chdir(tmp_path / "elsewhere")
    for run in ("run", "fe", "fe-new"):
        status, _, stderr = cli("run", tmp_path / "work" / run / "config.toml", "--out", run)
        assert status == 0, stderr
        assert (tmp_path / "elsewhere" / run / "labels.csv").read_text() == \
            (tmp_path / "work" / run / "labels.csv").read_text()


def test_existing_output_folder_needs_overwrite(cli, blobs_csv, tmp_path):
    (tmp_path / "o").mkdir()
    status, _, stderr = cli("cluster", blobs_csv, "--out", tmp_path / "o")
    assert status == 2 and "already exists; pass --overwrite" in stderr
    assert list((tmp_path / "o").iterdir()) == []
    status, _, stderr = cli("cluster", blobs_csv, "--out", tmp_path / "o", "--overwrite")
    assert status == 0 and (tmp_path / "o" / "labels.csv").exists()


def test_debug_shows_the_traceback(cli, tmp_path):
    from atomatlas.errors import AtlasError

    with pytest.raises(AtlasError):
        cli("--debug", "cluster", FE, "--method", "nope", "--out", tmp_path / "o")


def test_predict_needs_the_same_features(cli, tmp_path, blobs_csv):
    status, _, _ = cli("cluster", blobs_csv, "--out", tmp_path / "run")
    assert status == 0
    status, _, stderr = cli("predict", tmp_path / "run", FE, "--out", tmp_path / "o")
    assert status == 2 and "lacks 4 feature column(s) the model was fit on" in stderr
    assert not (tmp_path / "o").exists()


def test_bundled_dataset_paths_resolve():
    assert datasets.path_of("Fe2_descriptor.csv").exists()
    assert datasets.load_fe2().frame.shape == (42, 29)  # key, 26 features, polytype, id
    assert "polytype" in datasets.load_fe2().description


def test_best_k_at_the_edge_of_the_range_is_flagged(cli, blobs_csv, tmp_path):
    status, stdout, _ = cli("cluster", blobs_csv, "--k-max", "3", "--out", tmp_path / "edge")
    assert status == 0
    assert "best at the largest k tried (3)" in stdout
    selection = json.loads((tmp_path / "edge" / "metrics.json").read_text())["cluster"]["k_selection"]
    assert selection["at_edge"] is True and selection["chosen_k"] == 3
    status, stdout, _ = cli("cluster", blobs_csv, "--out", tmp_path / "inside")
    assert "largest k tried" not in stdout


def test_representatives_and_diverse_picks(cli, blobs_csv, tmp_path):
    status, _, stderr = cli("cluster", blobs_csv, "--k", "3", "--out", tmp_path / "run")
    assert status == 0, stderr
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    picks = pd.read_csv(tmp_path / "run" / "representatives.csv")
    assert sorted(picks["cluster"]) == [0, 1, 2]
    assert (labels["cluster"].to_numpy()[picks["input_row"]] == picks["cluster"]).all()
    assert (labels["name"].to_numpy()[picks["input_row"]] == picks["name"]).all()
    diverse = pd.read_csv(tmp_path / "run" / "diverse.csv")
    assert len(diverse) == 20 and diverse["input_row"].is_unique
    assert diverse["input_row"].iloc[:3].map(labels["cluster"]).nunique() == 3  # the first picks span the clusters


def test_classifier_on_a_2d_reduction_draws_its_boundary(cli, tmp_path):
    status, stdout, stderr = cli("fit-classifier", FE, "--labels", "polytype", "--reduce", "pca", "--out",
                                 tmp_path / "pca")
    assert status == 0, stderr
    assert "cross-validated accuracy 1.000" in stdout
    assert (tmp_path / "pca" / "decision_boundary.png").exists()
    status, _, stderr = cli("predict", tmp_path / "pca", FE_NEW, "--out", tmp_path / "new")
    assert status == 0, stderr
    assert json.loads((tmp_path / "new" / "metrics.json").read_text())["accuracy"] == pytest.approx(1.0)


def test_the_one_line_help_of_classify_names_its_default_model(cli):
    status, out, _ = cli("--help")
    assert status == 0 and "classify crystal structures (the shipped ensemble; --model cnn: seed 001's" in " ".join(out.split())


def test_predict_advice_names_what_predict_can_do(cli, tmp_path):
    assert cli("cluster", FE, "--k", "3", "--no-report", "--out", tmp_path / "run")[0] == 0
    new = pd.read_csv(datasets.path_of("Fe2_descriptor_newdata.csv"))
    column = [c for c in new.columns if c.startswith("a0")][0]
    new[column] = new[column].astype(str)
    new.loc[0, column] = "abc"
    new.to_csv(tmp_path / "new.csv", index=False)
    status, _, err = cli("predict", tmp_path / "run", tmp_path / "new.csv", "--out", tmp_path / "new")
    assert status == 2 and "the saved model was fit on this column: fix it in the new table" in err
    assert "--exclude" not in err  # predict has no such option


def test_a_k_max_beyond_the_rows_is_said_not_cut_silently(cli, tmp_path):
    status, _, err = cli("cluster", FE, "--k-max", "100000", "--no-report", "--out", tmp_path / "run")
    assert status == 0 and "k_max = 100000 is more than 42 rows (42 distinct) allow; k is searched from 2 to 41" in err


def test_a_second_demo_replaces_the_first_and_only_a_run_folder(cli, tmp_path, monkeypatch):
    from atomatlas import api

    calls = []
    monkeypatch.setattr(api, "run_recipe", lambda *args, **kwargs: calls.append(kwargs) or (_ for _ in ()).throw(
        api.AtlasError("stop here")))
    assert cli("demo", "--out", tmp_path / "demo")[0] == 2
    assert calls[0]["overwrite"] is True  # RunFolder still refuses to replace anything but a run folder


def test_every_file_a_run_writes_is_documented(cli, tmp_path):
    from pathlib import Path

    assert cli("cluster", FE, "--id", "key,id", "--labels", "polytype", "--reduce", "pca", "--out", tmp_path / "r")[0] == 0
    doc = (Path(__file__).resolve().parents[2] / "docs" / "run-folder.md").read_text()
    missing = [p.name for p in (tmp_path / "r").iterdir() if not p.name.startswith(".") and not p.name.endswith(".png")
               and not any(part in doc for part in (f"`{p.name}`", p.name.replace("polytype", "NAME")))]
    assert not missing, missing


API_OF = {"anomalies": "find_anomalies", "classify": "classify_structures", "cluster": "cluster",
          "environments": "environments", "fit-classifier": "fit_classifier", "identify": "identify",
          "label-few": "label_few", "predict": "predict", "reduce": "reduce", "segment": "segment",
          "train-crystal-cnn": "train_crystal_cnn", "train-crystal-ensemble": "train_crystal_ensemble",
          "train-identify": "train_identify"}


def test_an_option_has_one_default_on_the_command_line_in_the_api_and_in_the_config():
    """`identify --n-jobs` was 2 on the command line and 1 from Python (issue 23); no option may drift so."""
    import argparse
    import importlib
    import inspect

    from atomatlas import api
    from atomatlas.cli.main import COMMANDS
    from atomatlas.runs.crystal_classes import CrystalClasses
    from atomatlas.runs.identify import Identify

    drift = []
    for command, function in API_OF.items():
        parser = argparse.ArgumentParser()
        importlib.import_module(COMMANDS[command][0]).add_arguments(parser)
        signature = inspect.signature(getattr(api, function)).parameters
        for action in parser._actions:
            given = signature.get(action.dest)
            if given is not None and given.default is not inspect.Parameter.empty and given.default != action.default:
                drift.append(f"{command} --{action.dest}: {action.default!r} here, {given.default!r} in api")
    assert drift == []
    for section, function in ((Identify, api.identify), (CrystalClasses, api.classify_structures)):
        assert section.n_jobs == inspect.signature(function).parameters["n_jobs"].default
