"""`atomatlas label-few`: ask, label, propagate, suggest; every bad input named in issue 6."""

import io
import json

import pandas as pd


def test_without_labels_it_writes_the_rows_to_label(cli, blobs_csv, tmp_path):
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--out", tmp_path / "ask")
    assert status == 0, err
    assert "waiting for labels: fill the label column of" in out
    queries = pd.read_csv(tmp_path / "ask" / "to_label.csv")
    assert list(queries.columns) == ["cluster", "input_row", "name", "id", "cluster_size", "label"]
    assert len(queries) == 3 and queries["cluster_size"].sum() == 90
    labels = pd.read_csv(tmp_path / "ask" / "labels.csv")
    assert set(labels["cluster"]) == {0, 1, 2}


def test_an_unfilled_label_file_waits_for_labels(cli, blobs_csv, tmp_path):
    """to_label.csv handed back before any label was filled in: still waiting, not an error about ids."""
    cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--out", tmp_path / "ask")
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--label-file",
                           tmp_path / "ask" / "to_label.csv", "--out", tmp_path / "again")
    assert status == 0, err
    assert "waiting for labels: fill the label column of" in out


def test_filled_label_file_propagates_and_suggests_next(cli, blobs_csv, tmp_path):
    cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--out", tmp_path / "ask")
    table = pd.read_csv(blobs_csv)
    queries = pd.read_csv(tmp_path / "ask" / "to_label.csv")
    queries["label"] = table["phase"].to_numpy()[queries["input_row"]]
    queries.to_csv(tmp_path / "answers.csv", index=False)
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--labels", "phase",
                           "--label-file", tmp_path / "answers.csv", "--next", "2", "--out", tmp_path / "run")
    assert status == 0, err
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert (labels["propagated"] == table["phase"]).all()
    assert (labels["predicted"] == table["phase"]).all()
    assert labels["expert_label"].notna().sum() == 3
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["label_few"]["accuracy"] == 1.0 and metrics["label_few"]["n_propagated"] == 87
    assert len(pd.read_csv(tmp_path / "run" / "to_label_next.csv")) == 2
    # the saved classifier labels new rows
    status, _, err = cli("predict", tmp_path / "run", blobs_csv, "--out", tmp_path / "new")
    assert status == 0, err
    assert (pd.read_csv(tmp_path / "new" / "labels.csv")["predicted"] == table["phase"]).all()


def test_interactive_answers(cli, blobs_csv, tmp_path, monkeypatch):
    table = pd.read_csv(blobs_csv)
    monkeypatch.setattr("sys.stdin", io.StringIO("first\n\n"))  # one label, one skip, then end of input
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--interactive", "--out", tmp_path / "run")
    assert status == 0, err
    assert "waiting for labels of a second class" in out
    assert "representative name=" in err
    queries = pd.read_csv(tmp_path / "run" / "to_label.csv")  # the answer is kept for --label-file
    assert queries["label"].tolist()[0] == "first" and queries["label"].isna().sum() == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("a\nb\nc\n"))
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--interactive",
                           "--out", tmp_path / "run2")
    assert status == 0 and len(set(pd.read_csv(tmp_path / "run2" / "labels.csv")["predicted"])) == 3
    del table


def test_oracle_benchmark_compares_the_seed_strategies(cli, blobs_csv, tmp_path):
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "6", "--oracle", "phase", "--test-size", "0.3",
                           "--out", tmp_path / "run")
    assert status == 0, err
    comparison = pd.read_csv(tmp_path / "run" / "comparison.csv")
    assert comparison["strategy"].tolist()[1:] == ["representatives only", "propagated to whole clusters",
                                                   "propagated to the 20% closest", "label spreading (10-NN graph)"]
    assert (comparison["accuracy"][1:] == 1.0).all()  # random rows may miss a class
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert (labels["split"] == "test").sum() == 27
    for name in ("comparison.png", "map.png", "model.skops", "config.toml"):
        assert (tmp_path / "run" / name).exists()


def test_labels_for_unknown_rows_are_refused(cli, blobs_csv, tmp_path):
    pd.DataFrame({"name": ["s000", "nope"], "id": [0, 999], "label": ["alpha", "beta"]}).to_csv(
        tmp_path / "answers.csv", index=False)
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--label-file",
                         tmp_path / "answers.csv", "--out", tmp_path / "run")
    assert status == 2
    assert "1 labelled row(s) have ids not in the table, e.g. nope, 999" in err
    assert not (tmp_path / "run").exists()


def test_label_file_without_the_id_columns_is_refused(cli, blobs_csv, tmp_path):
    pd.DataFrame({"row": [0], "label": ["alpha"]}).to_csv(tmp_path / "answers.csv", index=False)
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--label-file",
                         tmp_path / "answers.csv", "--out", tmp_path / "run")
    assert status == 2 and "needs the columns ['name', 'id', 'label']" in err


def test_budget_larger_than_the_data_is_refused(cli, blobs_csv, tmp_path):
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "500", "--out", tmp_path / "run")
    assert status == 2
    assert err.strip().endswith("--budget 500 is larger than the 90 rows that can be labelled; lower --budget.")
    assert not (tmp_path / "run").exists()


def test_one_class_only_asks_for_more_labels(cli, blobs_csv, tmp_path):
    table = pd.read_csv(blobs_csv)
    table.head(1)[["name", "id"]].assign(label="alpha").to_csv(tmp_path / "answers.csv", index=False)
    status, out, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--label-file",
                           tmp_path / "answers.csv", "--out", tmp_path / "run")
    assert status == 0 and "waiting for labels of a second class" in out


def test_bad_settings_are_refused(cli, blobs_csv, tmp_path):
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--fraction", "1.5", "--out", tmp_path / "r")
    assert status == 2 and "fraction must be a number in (0, 1]" in err
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--oracle", "f0", "--out", tmp_path / "r")
    assert status == 2 and "oracle column 'f0' is also a feature" in err
    status, _, err = cli("label-few", blobs_csv, "--id", "name,id", "--budget", "3", "--oracle", "nope", "--out", tmp_path / "r")
    assert status == 2 and "oracle column 'nope' not found" in err


def test_fit_classifier_holdout_and_grid_search(cli, blobs_csv, tmp_path):
    status, out, err = cli("fit-classifier", blobs_csv, "--id", "name,id", "--labels", "phase", "--method",
                           "kmeans_logistic", "--param", "k=[2,3]", "--param", "cv=2", "--test-size", "0.3",
                           "--out", tmp_path / "run")
    assert status == 0, err
    assert "held-out accuracy 1.0000" in out and "grid search chose" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["holdout"]["accuracy"] == 1.0 and "cross_validation" not in metrics
    assert metrics["classify"]["grid_search"]["values"] == [2.0, 3.0]
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert (labels["split"] == "test").sum() == 27
    assert (tmp_path / "run" / "grid_search.png").exists()
    status, _, err = cli("fit-classifier", blobs_csv, "--labels", "phase", "--method", "kmeans_logistic",
                         "--param", "k=50", "--out", tmp_path / "bad")
    assert status == 2 and "k=50 should be a list" in err


def test_anomalies_cli_writes_scores_flags_and_predicts_new_rows(cli, tmp_path):
    status, out, err = cli("anomalies", "dataset:seed004-blobs.csv", "--exclude", "blob", "--scale", "none",
                           "--method", "gmm", "--param", "n_components=3", "--percentile", "4", "--seed", "42",
                           "--out", tmp_path / "run")
    assert status == 0, err
    assert "50 rows flagged (top 4% of scores" in out
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    assert labels["anomaly"].sum() == 50 and list(labels.columns) == ["index", "anomaly_score", "anomaly"]
    for name in ("anomaly_scores.png", "anomaly_map.png", "model.skops"):
        assert (tmp_path / "run" / name).exists()
    new = tmp_path / "new.csv"
    pd.DataFrame({"index": [0, 1], "x1": [0.0, 10.0], "x2": [2.0, 10.0]}).to_csv(new, index=False)
    status, _, err = cli("predict", tmp_path / "run", new, "--out", tmp_path / "new")
    assert status == 0, err
    assert pd.read_csv(tmp_path / "new" / "labels.csv")["anomaly"].tolist() == [0, 1]


def test_anomalies_cli_bad_input(cli, blobs_csv, tmp_path):
    status, _, err = cli("anomalies", blobs_csv, "--percentile", "80", "--out", tmp_path / "run")
    assert status == 2 and "percentile must be a number in (0, 50]" in err
    status, _, err = cli("anomalies", blobs_csv, "--method", "nope", "--out", tmp_path / "run")
    assert status == 2 and "nope" in err
    assert not (tmp_path / "run").exists()
