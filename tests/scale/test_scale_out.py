"""Runs through Dask: the same answers as in memory, on a 2-worker LocalCluster, and clear refusals."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from atomatlas import api
from atomatlas.evaluate.clusters import contingency, evaluate_clusters, evaluate_contingency


@pytest.fixture(scope="module")
def blobs_folder(tmp_path_factory):
    """6000 rows of 6 blobs in 8-D: a folder of three parquet files and the same rows as one CSV."""
    root = tmp_path_factory.mktemp("blobs")
    X, y = make_blobs(6000, n_features=8, centers=6, cluster_std=1.2, random_state=4)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    frame.insert(0, "id", np.arange(len(frame)))
    frame["phase"] = [f"p{v}" for v in y]
    (root / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(root / "parts" / f"part{i}.parquet", index=False)
    frame.to_csv(root / "all.csv", index=False)
    return root


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # dask's own, read outside a run (runs quiet it)
def test_the_sample_is_uniform_the_same_for_a_seed_and_numbered_in_the_input(blobs_folder):
    from atomatlas.io.lazy_tables import read_lazy_table
    from atomatlas.runs.on_sample import sample_table

    lazy = read_lazy_table(blobs_folder / "parts", id_columns=["id"], label_column="phase")
    first, rows = sample_table(lazy, lazy.X(), 1500, 7)
    again, _ = sample_table(lazy, lazy.X(), 1500, 7)
    assert len(first) == 1500 and first.frame["id"].is_unique and first.frame.equals(again.frame)
    assert (first.frame["id"].to_numpy() == rows).all()  # ids are the rows' places in the input here
    assert abs(rows.mean() - 3000) < 200 and rows.min() < 500 and rows.max() > 5500  # from every partition
    lazy.id_columns = []  # no ids: rows are numbered as labels.csv numbers them
    unnamed, rows = sample_table(lazy, lazy.X(), 100, 0)
    assert unnamed.id_columns == ["row"] and (unnamed.frame["row"].to_numpy() == rows).all()


def test_scores_from_counts_equal_scores_from_labels():
    rng = np.random.default_rng(0)
    truth, found = rng.choice(list("abc"), 400), rng.integers(-1, 4, 400)
    found[truth == "a"] = 2
    expected = evaluate_clusters(truth, found)
    got = evaluate_contingency(contingency(truth, found))
    assert got == pytest.approx(expected)


def test_a_parquet_folder_on_a_two_worker_cluster_matches_the_in_memory_run(tmp_path, blobs_folder, cli):
    status, out, err = cli("cluster", blobs_folder / "parts", "--id", "id", "--labels", "phase", "--scheduler",
                           "local", "--workers", "2", "--sample-size", "3000", "--out", tmp_path / "dask")
    assert status == 0, err
    assert "dask: 2 worker(s)" in out
    assert "fit on 3000 of 6000 rows (drawn by the seed), then every row labelled on the workers" in out
    memory = api.cluster(blobs_folder / "all.csv", tmp_path / "memory", id_columns=["id"], label_column="phase")
    distributed = pd.read_csv(tmp_path / "dask" / "labels.csv")
    assert distributed["id"].tolist() == list(range(6000))
    assert adjusted_rand_score(memory.labels["cluster"], distributed["cluster"]) >= 0.99
    metrics = pd.read_json(tmp_path / "dask" / "metrics.json", typ="series")
    assert metrics["cluster"]["k"] == 6 and metrics["dask"]["workers"] == 2
    assert metrics["evaluation"]["phase"]["adjusted_rand_index"] >= 0.99
    assert (tmp_path / "dask" / "report.html").exists() and (tmp_path / "dask" / "k_selection.png").exists()


def test_beyond_the_csv_limit_the_workers_write_labels_parquet(tmp_path, blobs_folder, monkeypatch):
    from atomatlas.runs import on_sample

    monkeypatch.setattr(on_sample, "LABELS_CSV_MAX_ROWS", 1000)
    result = api.cluster(blobs_folder / "parts", tmp_path / "big", k=6, id_columns=["id"], scheduler="local",
                         workers=2, reduce="pca", n_components=3, sample_size=2000)
    labels = pd.read_parquet(tmp_path / "big" / "labels.parquet")
    assert not (tmp_path / "big" / "labels.csv").exists() and not (tmp_path / "big" / "map.csv").exists()
    assert sorted(labels["id"]) == list(range(6000)) and labels["cluster"].nunique() == 6
    assert "map_1" not in labels and "cluster_uncertainty" in labels  # the map stays out of the parts
    assert result.metrics["labels_file"] == "labels.parquet" and "map" not in result.metrics
    assert result.metrics["fit_on"]["rows"] == 2000 and result.metrics["fit_on"]["of"] == 6000
    assert len(result.metrics["reduce"]["explained_variance_ratio"]) == 3
    from atomatlas.report.contents import gather  # the report's cluster table comes from the recorded sizes

    clusters = gather(tmp_path / "big")["clusters"]
    assert sorted(row["size"] for row in clusters) == sorted(labels["cluster"].value_counts())


def test_every_method_of_the_flow_runs_on_dask_and_a_whole_sample_is_the_in_memory_run(tmp_path, blobs_folder):
    """The flow is the in-memory one, fitted on the sample: with every row in it, the run is the in-memory run."""
    options = {"id_columns": ["id"], "label_column": "phase", "method": "gmm", "scale": "robust", "reduce": "pca",
               "n_components": 3, "k": 6, "report": False}
    dask_run = api.cluster(blobs_folder / "parts", tmp_path / "dask", scheduler="local", workers=2,
                           sample_size=6000, **options)
    memory = api.cluster(blobs_folder / "all.csv", tmp_path / "memory", **options)
    columns = ["id", "cluster", "embedding_1", "embedding_2", "embedding_3"]
    pd.testing.assert_frame_equal(dask_run.labels[columns], memory.labels[columns], check_dtype=False, atol=1e-9)
    np.testing.assert_allclose(dask_run.labels["cluster_uncertainty"], memory.labels["cluster_uncertainty"],
                               atol=1e-9)
    assert dask_run.metrics["evaluation"]["phase"] == pytest.approx(memory.metrics["evaluation"]["phase"])
    memory_map, dask_map = (pd.read_csv(tmp_path / name / "map.csv") for name in ("memory", "dask"))
    np.testing.assert_allclose(dask_map[["map_1", "map_2"]], memory_map[["map_1", "map_2"]], atol=1e-9)


@pytest.mark.parametrize("extra, message", [
    ({"data": {"drop_constant": True}}, r"--drop-constant is not available with --scheduler"),
    ({"cluster": None}, r"--scheduler labels rows: give a \[cluster\] or an \[anomaly\] section"),
    ({"predict": {"path": "dataset:Fe2_descriptor.csv"}}, r"\[predict\] inside a --scheduler run is not available"),
])
def test_what_a_run_on_a_sample_cannot_do_is_refused(tmp_path, blobs_folder, extra, message):
    from atomatlas.errors import AtlasError

    config = {"data": {"path": str(blobs_folder / "all.csv")}, "cluster": {"method": "kmeans"},
              "dask": {"scheduler": "local"}}
    for key, value in extra.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = {**config.get(key, {}), **value}
    with pytest.raises(AtlasError, match=message):
        api.run_config(config, tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never says a word (as an HTTP server waits)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_an_address_that_is_not_a_dask_scheduler_fails_in_one_line(tmp_path, blobs_folder, cli, monkeypatch,
                                                                    silent_server):
    """A server that accepts but never answers made distributed's Client wait forever; a closed port took 16 s."""
    from atomatlas.engine import dask_cluster

    monkeypatch.setattr(dask_cluster, "CONNECT_SECONDS", 1.0)
    for address in (silent_server, "tcp://127.0.0.1:9"):
        status, _, err = cli("cluster", blobs_folder / "parts", "--scheduler", address, "--out", tmp_path / "o")
        assert status == 2 and f"cannot reach a Dask scheduler at {address} (" in err, err
        assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    status, _, err = cli("identify", blobs_folder / "all.csv", "--scheduler", silent_server, "--out", tmp_path / "o")
    assert status == 2 and "no answer within 1 s" in err


@pytest.mark.parametrize("args, message", [
    (["--workers", "2"], "--workers sets the worker processes of --scheduler local; add --scheduler local"),
    (["--scheduler", ""], "--scheduler is empty; give local"),
    (["--scheduler", "local", "--workers", "1000"], r"--workers must be an integer from 1 to \d+ on this machine"),
    (["--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "the scheduler at tcp://127.0.0.1:9 has its own workers"),
], ids=["workers alone", "empty scheduler", "1000 workers", "workers of a remote scheduler"])
def test_scheduler_options_that_would_be_ignored_or_overload_the_machine_are_refused(tmp_path, cli, args, message):
    import re

    status, _, err = cli("cluster", "dataset:Fe2_descriptor.csv", *args, "--out", tmp_path / "o")
    assert status == 2 and re.search(message, err), err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_bad_tables_through_dask_are_one_line(tmp_path, blobs_folder, cli):
    (tmp_path / "empty").mkdir()
    status, _, err = cli("cluster", tmp_path / "empty", "--scheduler", "local", "--out", tmp_path / "o")
    assert status == 2 and "a folder without .parquet files" in err
    frame = pd.read_csv(blobs_folder / "all.csv")
    frame.loc[17, "f3"] = np.nan
    frame.to_parquet(tmp_path / "gap.parquet", index=False)
    status, _, err = cli("cluster", tmp_path / "gap.parquet", "--scheduler", "local", "--workers", "1",
                         "--out", tmp_path / "o")
    assert status == 2 and "feature column 'f3' has 1 missing or infinite value(s)" in err
    assert not (tmp_path / "o").exists()


def test_the_worked_example_of_docs_scale_md_runs_as_written(tmp_path, cli, monkeypatch):
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text()
    example = page[page.index("## A worked example"):page.index("## How fast")]
    code = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    command = re.search(r"```bash\n(atomatlas .*?)\n```", example, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/scale.md", "exec"), {})
    status, _, err = cli(*command.split()[1:])
    assert status == 0, err
    metrics = pd.read_json(tmp_path / "runs" / "big" / "metrics.json", typ="series")
    assert metrics["evaluation"]["site"]["adjusted_rand_index"] == pytest.approx(1.0)
    assert metrics["input"]["n_rows"] == 100_000 and metrics["dask"]["workers"] == 2


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory):
    """A 6-frame extxyz trajectory of rattled fcc Cu (108 atoms) and a 2-frame one of bcc Fe (54 atoms)."""
    from ase.build import bulk
    from ase.io import write

    root = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(3)
    for name, lattice, a, frames in (("Cu", "fcc", 3.61, 6), ("Fe", "bcc", 2.87, 2)):
        images = []
        for _ in range(frames):
            atoms = bulk(name, lattice, a=a, cubic=True).repeat(3)
            atoms.positions += rng.normal(0, 0.05, atoms.positions.shape)
            images.append(atoms)
        write(root / f"{name}.extxyz", images)
    return [str(root / "Cu.extxyz"), str(root / "Fe.extxyz")]


def test_structures_described_on_the_workers_match_the_in_memory_run(tmp_path, trajectory, monkeypatch):
    from atomatlas.runs import described_parts

    monkeypatch.setattr(described_parts, "CHUNK_CENTRES", 200)  # several chunks, several parquet files
    dask_run = api.environments(trajectory, tmp_path / "dask", k=2, scheduler="local", workers=2, cache=False)
    memory = api.environments(trajectory, tmp_path / "memory", k=2, cache=False)
    parts = sorted((tmp_path / "dask" / "features.parquet").glob("*.parquet"))
    assert len(parts) >= 4 and dask_run.metrics["structures"]["n_frames"] == 8
    features = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    in_memory = pd.read_parquet(tmp_path / "memory" / "features.parquet")
    assert features[["structure", "frame", "atom"]].equals(in_memory[["structure", "frame", "atom"]])
    names = [c for c in in_memory.columns if c not in ("structure", "frame", "atom", "species", "x", "y", "z")]
    np.testing.assert_allclose(features[names].to_numpy(), in_memory[names].to_numpy(), rtol=1e-6, atol=1e-9)
    labels = pd.read_csv(tmp_path / "dask" / "labels.csv")
    assert len(labels) == 6 * 108 + 2 * 54 and {"x", "y", "z", "species"} <= set(labels.columns)
    assert adjusted_rand_score(memory.labels["cluster"], labels["cluster"]) >= 0.99
    # named as in memory, from the workers' identify labels; each atom's margin; the shares of every frame
    assert labels["identify"].equals(memory.labels["identify"])
    names = {r["name"] for r in dask_run.metrics["cluster"]["names"].values()}
    assert names == {r["name"] for r in memory.metrics["cluster"]["names"].values()} == {"fcc 100%", "bcc 100%"}
    assert set(labels["cluster_name"]) == names and not any(c.startswith("identify_average") for c in labels)
    np.testing.assert_allclose(labels["cluster_uncertainty"], memory.labels["cluster_uncertainty"], atol=1e-6)
    shares = pd.read_csv(tmp_path / "dask" / "cluster_fractions.csv")
    in_memory_shares = pd.read_csv(tmp_path / "memory" / "cluster_fractions.csv")
    assert len(shares) == 8 and sorted(shares.columns) == sorted(in_memory_shares.columns)
    assert shares[["structure", "frame"]].equals(in_memory_shares[["structure", "frame"]])
    assert (shares.filter(like="fcc").sum(axis=1) == shares["structure"].str.endswith("Cu.extxyz")).all()
    from ase.io import read  # the annotated frames, as in memory

    frames = {name: read(tmp_path / name / "structures.extxyz", ":") for name in ("dask", "memory")}
    assert len(frames["dask"]) == len(frames["memory"]) == 8
    assert [(a.info["structure"], a.info["frame"]) for a in frames["dask"]] == \
        [(a.info["structure"], a.info["frame"]) for a in frames["memory"]]
    clusters = [np.concatenate([a.arrays["cluster"] for a in frames[name]]) for name in ("dask", "memory")]
    assert (clusters[0] == labels["cluster"]).all() and adjusted_rand_score(*clusters) >= 0.99


def test_odd_atoms_are_flagged_on_the_workers_by_the_detector_fitted_on_the_sample(tmp_path, trajectory, cli):
    status, _, err = cli("environments", *trajectory, "--k", "2", "--anomaly", "gmm", "--scheduler", "local",
                         "--workers", "2", "--sample-size", "300", "--no-report", "--out", tmp_path / "o")
    assert status == 0, err
    labels = pd.read_csv(tmp_path / "o" / "labels.csv")
    metrics = pd.read_json(tmp_path / "o" / "metrics.json", typ="series")
    assert len(labels) == 6 * 108 + 2 * 54 and {"anomaly", "anomaly_score"} <= set(labels.columns)
    assert metrics["anomaly"]["n_flagged"] == labels["anomaly"].sum() > 0
    assert metrics["fit_on"]["rows"] == 300 and sum(metrics["cluster"]["cluster_sizes"].values()) == len(labels)
    from ase.io import read

    flagged = np.concatenate([a.arrays["anomaly"] for a in read(tmp_path / "o" / "structures.extxyz", ":")])
    assert (flagged == labels["anomaly"]).all()


def test_identify_on_the_workers_labels_every_atom_as_in_memory(tmp_path, trajectory, monkeypatch):
    from atomatlas.runs import identify, on_sample

    monkeypatch.setattr(identify, "CHUNK_ATOMS", 300)  # several chunks
    on_workers = api.identify(trajectory, tmp_path / "dask", scheduler="local", workers=2, grains=True)
    in_memory = api.identify(trajectory, tmp_path / "memory", grains=True)
    columns = ["structure", "frame", "atom", "class", "fault", "grain"]
    assert on_workers.labels[columns].equals(in_memory.labels[columns])
    for name in ("grains.csv", "grain_boundaries.csv"):  # the grain tables of every chunk, in order
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "memory" / name).read_text()
    np.testing.assert_allclose(on_workers.labels["probability"], in_memory.labels["probability"], atol=1e-6)
    assert on_workers.metrics["counts"] == in_memory.metrics["counts"]
    fractions = pd.read_csv(tmp_path / "dask" / "fractions.csv")
    assert len(fractions) == 8
    from ase.io import read  # one plan on both executors: the annotated frames too

    frames = {name: read(tmp_path / name / "structures.extxyz", ":") for name in ("dask", "memory")}
    assert len(frames["dask"]) == len(frames["memory"]) == 8
    assert all((a.arrays["class"] == b.arrays["class"]).all() for a, b in zip(*frames.values()))
    monkeypatch.setattr(on_sample, "LABELS_CSV_MAX_ROWS", 100)
    beyond = api.identify(trajectory, tmp_path / "parquet", scheduler="local", workers=2)
    assert beyond.labels is None and beyond.metrics["labels_file"] == "labels.parquet"
    assert len(pd.read_parquet(tmp_path / "parquet" / "labels.parquet")) == 6 * 108 + 2 * 54


def test_classify_on_the_workers_gives_the_in_memory_predictions(tmp_path, cli, monkeypatch):
    from ase.build import bulk
    from ase.io import write

    from atomatlas.runs import crystal_classes

    monkeypatch.setattr(crystal_classes, "CHUNK_STRUCTURES", 3)  # several chunks
    structures = [bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3), bulk("W", "bcc", a=3.16, cubic=True).repeat(4),
                  bulk("Si", "diamond", a=5.43, cubic=True).repeat(2), bulk("Po", "sc", a=3.35).repeat(5)] * 2
    write(tmp_path / "cells.extxyz", structures)
    (tmp_path / "two.xyz").write_text("2\n\nCu 0 0 0\nCu 0 0 2.5\n")  # too few atoms: skipped, named
    on_workers = api.classify_structures([tmp_path / "cells.extxyz", tmp_path / "two.xyz"], tmp_path / "dask",
                                         scheduler="local", workers=2)
    in_memory = api.classify_structures([tmp_path / "cells.extxyz", tmp_path / "two.xyz"], tmp_path / "memory")
    columns = ["structure", "frame", "class", "best_class"]
    assert on_workers.labels[columns].equals(in_memory.labels[columns])
    np.testing.assert_allclose(on_workers.labels["probability"], in_memory.labels["probability"], atol=1e-6)
    assert [s.source for s in on_workers.skipped] == [str(tmp_path / "two.xyz")]
    status, _, err = cli("classify", tmp_path / "cells.extxyz", "--model", "cnn", "--scheduler", "local",
                         "--out", tmp_path / "cnn")
    assert status == 2 and "--scheduler classifies with the shipped ensemble only" in err


def test_a_dask_runs_model_predicts_its_own_rows_in_memory_and_on_the_workers(tmp_path, blobs_folder, cli):
    fitted = api.cluster(blobs_folder / "parts", tmp_path / "dask", id_columns=["id"], label_column="phase",
                         scheduler="local", workers=2, reduce="pca", n_components=3)
    assert (tmp_path / "dask" / "model.skops").exists() and "k_selection.png" in fitted.metrics["figures"]
    own = pd.read_csv(tmp_path / "dask" / "labels.csv")
    in_memory = api.predict(tmp_path / "dask", blobs_folder / "all.csv", tmp_path / "memory")
    status, out, err = cli("predict", tmp_path / "dask", blobs_folder / "parts", "--scheduler", "local",
                           "--workers", "2", "--out", tmp_path / "workers")
    assert status == 0, err
    assert "predict: labelled 6000 rows" in out and "vs phase: ARI 1.000" in out
    on_workers = pd.read_csv(tmp_path / "workers" / "labels.csv")
    assert on_workers["id"].tolist() == own["id"].tolist()
    assert (on_workers["cluster"] == own["cluster"]).all() and (in_memory.labels["cluster"] == own["cluster"]).all()
    np.testing.assert_allclose(on_workers["embedding_1"], in_memory.labels["embedding_1"], atol=1e-9)
    metrics = pd.read_json(tmp_path / "workers" / "metrics.json", typ="series")
    assert metrics["cluster_sizes"] == {str(k): v for k, v in in_memory.metrics["cluster_sizes"].items()}


def test_a_classifier_predicts_on_the_workers_as_in_memory(tmp_path, blobs_folder, monkeypatch):
    from atomatlas.runs import on_sample

    api.fit_classifier(blobs_folder / "all.csv", tmp_path / "fit", label_column="phase", id_columns=["id"])
    in_memory = api.predict(tmp_path / "fit", blobs_folder / "all.csv", tmp_path / "memory")
    on_workers = api.predict(tmp_path / "fit", blobs_folder / "parts", tmp_path / "workers", scheduler="local",
                             workers=2)
    columns = ["id", "predicted"]
    assert on_workers.labels[columns].equals(in_memory.labels[columns])
    np.testing.assert_allclose(on_workers.labels["probability"], in_memory.labels["probability"], atol=1e-9)
    assert on_workers.metrics["accuracy"] == pytest.approx(in_memory.metrics["accuracy"])
    assert on_workers.metrics["counts"] == {str(k): v for k, v in in_memory.metrics["counts"].items()}
    monkeypatch.setattr(on_sample, "LABELS_CSV_MAX_ROWS", 1000)  # beyond: the workers' parts stay
    beyond = api.predict(tmp_path / "fit", blobs_folder / "parts", tmp_path / "parquet", scheduler="local",
                         workers=2)
    assert beyond.labels is None and beyond.metrics["labels_file"] == "labels.parquet"
    parts = sorted((tmp_path / "parquet" / "labels.parquet").glob("*.parquet"))
    labels = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert labels["id"].tolist() == list(range(6000)) and "phase" not in labels
    assert labels["predicted"].equals(in_memory.labels["predicted"])


def test_new_structures_are_described_and_labelled_on_the_workers(tmp_path, trajectory, cli, monkeypatch):
    from atomatlas.runs import predict_parts

    monkeypatch.setattr(predict_parts, "CHUNK_CENTRES", 200)  # several chunks
    api.environments(trajectory, tmp_path / "fit", k=2, cache=False)  # an in-memory run's model
    in_memory = api.predict(tmp_path / "fit", trajectory, tmp_path / "memory")
    status, out, err = cli("predict", tmp_path / "fit", *trajectory, "--scheduler", "local", "--workers", "2",
                           "--out", tmp_path / "workers")
    assert status == 0, err
    on_workers = pd.read_csv(tmp_path / "workers" / "labels.csv")
    columns = ["structure", "frame", "atom", "species", "cluster"]
    assert on_workers[columns].equals(in_memory.labels[columns].reset_index(drop=True))
    metrics = pd.read_json(tmp_path / "workers" / "metrics.json", typ="series")
    assert metrics["cluster_sizes"] == {str(k): v for k, v in in_memory.metrics["cluster_sizes"].items()}

    # the batch contract, in memory and on the workers alike: bad files are skipped and named, exit status 3
    (tmp_path / "nan.extxyz").write_text(Path(trajectory[0]).read_text().replace(
        Path(trajectory[0]).read_text().splitlines()[2].split()[1], "nan", 1))
    (tmp_path / "notes.extxyz").write_text("just some text\nnot a structure\n")
    bad = [tmp_path / "nan.extxyz", tmp_path / "notes.extxyz"]
    for where, options in (("memory-batch", []), ("workers-batch", ["--scheduler", "local", "--workers", "1"])):
        status, _, err = cli("predict", tmp_path / "fit", trajectory[0], *bad, *options, "--out", tmp_path / where)
        assert status == 3, err
        assert "skipped" in err and "nan.extxyz, frame 0: atom 0 has a non-finite coordinate" in err
        assert "notes.extxyz: the count line 'just some text' is not an atom count" in err
        labels = pd.read_csv(tmp_path / where / "labels.csv")
        frames = set(zip(labels["structure"], labels["frame"]))
        assert (str(trajectory[0]), 0) in frames and (str(bad[0]), 1) in frames and (str(bad[0]), 0) not in frames


def test_predict_on_the_workers_refuses_bad_input_in_one_line(tmp_path, blobs_folder, trajectory, cli):
    import json

    api.cluster(blobs_folder / "all.csv", tmp_path / "fit", k=6, id_columns=["id"])
    frame = pd.read_csv(blobs_folder / "all.csv").drop(columns=["f2", "f5"])
    frame.to_parquet(tmp_path / "short.parquet", index=False)
    status, _, err = cli("predict", tmp_path / "fit", tmp_path / "short.parquet", "--scheduler", "local",
                         "--workers", "1", "--out", tmp_path / "o")
    assert status == 2 and "lacks 2 feature column(s) the model was fit on, e.g. ['f2', 'f5']" in err
    status, _, err = cli("predict", tmp_path / "fit", blobs_folder / "all.csv", blobs_folder / "all.csv",
                         "--scheduler", "local", "--out", tmp_path / "o")
    assert status == 2 and "was fit on a table: give one table of new rows, not 2 files" in err
    api.environments(trajectory, tmp_path / "structures", k=2, cache=False)
    meta_path = tmp_path / "structures" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["structures"]["species"] = ["Cu"]  # edited: the descriptor no longer gives the saved columns
    meta_path.write_text(json.dumps(meta))
    status, _, err = cli("predict", tmp_path / "structures", *trajectory, "--scheduler", "local", "--workers", "1",
                         "--out", tmp_path / "o")
    assert status == 2 and "model.json: it was edited after the fit" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_the_scheduler_check_works_inside_a_running_event_loop(silent_server, monkeypatch):
    """api users in a notebook call it with an event loop running: the probe must still answer, not misreport."""
    import asyncio

    from distributed import LocalCluster

    from atomatlas.errors import AtlasError
    from atomatlas.engine import dask_cluster

    monkeypatch.setattr(dask_cluster, "CONNECT_SECONDS", 1.0)
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        async def inside_a_loop():
            dask_cluster.check_scheduler(cluster.scheduler_address)  # a real scheduler: accepted
            with pytest.raises(AtlasError, match="no answer within 1 s"):
                dask_cluster.check_scheduler(silent_server)

        asyncio.run(inside_a_loop())
