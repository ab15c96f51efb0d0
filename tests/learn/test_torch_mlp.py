"""Seed 003: a small neural classifier on make_moons(200, noise 0.2), and its decision boundary."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

pytest.importorskip("torch")

from atomatlas.learn.supervised import make_classifier  # noqa: E402


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(200, noise=0.2, random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_reaches_90_percent_on_held_out_moons(moons):
    X_train, X_test, y_train, y_test = moons
    model = make_classifier("torch_mlp", {"epochs": 200}, random_state=0).fit(X_train, y_train)
    assert (model.predict(X_test) == y_test).mean() >= 0.90
    assert model.loss_curve_[-1] < model.loss_curve_[0] / 2
    proba = model.predict_proba(X_test)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_training_is_deterministic_for_a_seed(moons):
    X_train, _, y_train, _ = moons
    a = make_classifier("torch_mlp", {"epochs": 20}, random_state=3).fit(X_train, y_train)
    b = make_classifier("torch_mlp", {"epochs": 20}, random_state=3).fit(X_train, y_train)
    assert all(np.array_equal(x, y) for x, y in zip(a.coefs_, b.coefs_))


def test_fit_classifier_draws_the_boundary_and_predicts(cli, tmp_path, moons):
    X_train, X_test, y_train, y_test = moons
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": np.where(y == 1, "lower", "upper")}).to_csv(
            tmp_path / f"{name}.csv", index=False)
    status, stdout, stderr = cli("fit-classifier", tmp_path / "train.csv", "--labels", "label", "--method",
                                 "torch_mlp", "--param", "epochs=150", "--out", tmp_path / "mlp")
    assert status == 0, stderr
    assert (tmp_path / "mlp" / "decision_boundary.png").exists()
    assert json.loads((tmp_path / "mlp" / "metrics.json").read_text())["cross_validation"]["accuracy"] >= 0.85
    status, _, stderr = cli("predict", tmp_path / "mlp", tmp_path / "test.csv", "--out", tmp_path / "new")
    assert status == 0, stderr
    assert json.loads((tmp_path / "new" / "metrics.json").read_text())["accuracy"] >= 0.90
