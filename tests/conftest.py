"""Shared fixtures: small synthetic tables made by the tests, and an in-process CLI runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from atomatlas.cli.main import main


@pytest.fixture(autouse=True, scope="session")
def descriptor_cache(tmp_path_factory):
    """Tests cache descriptors in their own folder, never in the user's ~/.cache."""
    import os

    previous = os.environ.get("ATOMATLAS_CACHE")
    os.environ["ATOMATLAS_CACHE"] = str(tmp_path_factory.mktemp("descriptor-cache"))
    yield
    if previous is None:
        os.environ.pop("ATOMATLAS_CACHE", None)
    else:
        os.environ["ATOMATLAS_CACHE"] = previous


@pytest.fixture
def blobs():
    """Three well-separated blobs in 4-D: (X, y)."""
    X, y = make_blobs(n_samples=90, centers=3, n_features=4, cluster_std=0.6, random_state=3)
    return X, y


@pytest.fixture
def blobs_csv(tmp_path, blobs):
    """The blobs as a descriptor table with a text id, an integer id and a label column."""
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame.insert(0, "name", [f"s{i:03d}" for i in range(len(frame))])
    frame.insert(1, "id", np.arange(len(frame)))
    frame["phase"] = np.array(["alpha", "beta", "gamma"])[y]
    path = tmp_path / "blobs.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def cli(capsys):
    """Run ``atomatlas ARGS`` in-process; returns (status, stdout, stderr)."""

    def run(*argv):
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
