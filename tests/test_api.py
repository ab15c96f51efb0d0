"""The Python API shown in docs/usage.md works as written."""

import subprocess
import sys

import pytest

import atomatlas
from atomatlas import datasets


def test_import_is_light():
    import subprocess

    code = "import sys, atomatlas; print(sorted(m for m in ('sklearn', 'torch', 'umap') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_documented_python_api(tmp_path):
    table = atomatlas.read_table(datasets.path_of("Fe2_descriptor.csv"), label_column="polytype")
    X = atomatlas.make_scaler("standard").fit_transform(table.X)
    model = atomatlas.AtlasCluster("kmeans", k="auto", select="silhouette", random_state=0).fit(X)
    assert model.k_ == 3 and list(model.scores_["k"]) == list(range(2, 11))
    assert atomatlas.evaluate_clusters(table.labels, model.labels_)["adjusted_rand_index"] == pytest.approx(1.0)
    result = atomatlas.run_config({"data": {"path": "dataset:Fe2_descriptor.csv", "label_column": "polytype"},
                                   "cluster": {"method": "gmm", "k": "auto"}}, tmp_path / "fe-gmm")
    assert result.metrics["evaluation"]["polytype"]["adjusted_rand_index"] == pytest.approx(1.0)
    with pytest.raises(AttributeError):
        atomatlas.not_a_name


def test_every_example_in_docs_api_runs(tmp_path, monkeypatch, capsys):
    """docs/api.md's code blocks, run in order in a folder holding the files they name."""
    import re
    from pathlib import Path

    from atomatlas.datasets.examples import write_example_files

    pytest.importorskip("torch")
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 8
    write_example_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    scripts = []
    for block in blocks:
        if "scheduler=" in block:  # Dask's workers import the main script: it must run as one, as a user runs it
            scripts.append(block)
            continue
        exec(compile(block, "docs/api.md", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "3 1.0" in out  # the iron phases, found without labels
    assert len(scripts) == 1
    (tmp_path / "dask_example.py").write_text(scripts[0])
    ran = subprocess.run([sys.executable, "dask_example.py"], cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("report.html 2 {")
