"""The layout holds: import layers as pyproject's contracts say, short functions, one api function per run kind."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "atomatlas"
MAX_LINES = 60


def test_import_layers_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed (pip install 'atomatlas[dev]')")
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(SOURCE)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def test_every_run_kind_has_an_api_function_and_a_command():
    from atomatlas import api, runs
    from atomatlas.cli.main import COMMANDS

    entry_points = {"table": "cluster", "structures": "environments", "table classifier": "fit_classifier",
                    "label few": "label_few", "segmentation": "segment", "predict": "predict",
                    "crystal classes": "classify_structures", "crystal cnn": "train_crystal_cnn",
                    "crystal ensemble": "train_crystal_ensemble", "identify": "identify",
                    "identify model": "train_identify"}
    assert set(entry_points) == set(runs.KINDS)
    # where each kind runs is said in one place, of kinds that exist; a kind with its own Dask plan runs on Dask
    assert set(runs.EXECUTORS) | set(runs.RESUMES) | set(runs.ON_DASK) <= set(runs.KINDS)
    assert all("dask" in runs.EXECUTORS[kind] for kind in runs.ON_DASK)
    assert all(set(runs.RESUMES[kind]) <= set(runs.EXECUTORS[kind]) for kind in runs.RESUMES)
    for function in entry_points.values():
        assert function in api.__all__ and callable(getattr(api, function))
    assert {"cluster", "environments", "fit-classifier", "label-few", "segment", "predict", "classify",
            "train-crystal-cnn", "run", "identify", "train-identify", "train-crystal-ensemble"} <= set(COMMANDS)


def test_command_modules_only_parse_and_call_the_api():
    """No CLI module imports a run module or builds a config: they parse options and call atomatlas.api."""
    for path in (SOURCE / "cli").glob("*.py"):
        text = path.read_text()
        assert "atomatlas.runs" not in text, path.name


def test_the_project_tests_its_own_behaviour_more_than_scikit_learn_checks_it():
    """scikit-learn's generic estimator checks are kept, but they test the contract, not our numbers: the
    project's own tests must be at least as many."""
    root = Path(__file__).resolve().parent
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(root)],
                            capture_output=True, text=True, cwd=root.parent).stdout.splitlines()
    ids = [line for line in listed if "::" in line]
    generic = [line for line in ids if "test_estimator_checks.py" in line]
    assert len(generic) > 100 and len(ids) - len(generic) >= len(generic), (len(ids), len(generic))


def test_a_command_imports_only_its_own_kind_of_run():
    """Run kinds load lazily (runs.KINDS names them), and a rectangular box needs no freud: identify on an MD box
    imports neither scikit-learn nor freud (whose import pulls in matplotlib's pyplot)."""
    script = ("import sys\n"
              "from ase.build import bulk\n"
              "import atomatlas.api, atomatlas.runs.identify\n"
              "from atomatlas.descriptors.local_order import LocalOrder\n"
              "LocalOrder().per_atom(bulk('Cu', 'fcc', a=3.61, cubic=True).repeat(4))\n"
              "print(sorted(name for name in ('sklearn', 'freud', 'matplotlib.pyplot') if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
