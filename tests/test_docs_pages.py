"""The pages whose numbers come from saved data are exactly what their generators make of that data.

A number typed into docs/identify.md, crystal-stress.md, performance.md or results.md by
hand, or a saved record edited without its page, fails here: each page is rebuilt from
docs/data/ (or bench/results.json) by the code that wrote it, and compared line by line.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module(path: Path):
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(f"page_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def _rebuilt_identify() -> str:
    identify = _module(ROOT / "docs" / "identify.py")
    return identify.page_text(pd.read_csv(identify.SAVED), json.loads(identify.SAVED_POLYCRYSTAL.read_text()))


def _rebuilt_stress() -> str:
    stress = _module(ROOT / "docs" / "crystal_stress.py")
    return stress.page_text(stress.saved_results(), json.loads(stress.SAVED_TEST.read_text()))


def _rebuilt_performance() -> str:
    bench = _module(ROOT / "bench" / "run_all.py")
    results = json.loads(bench.RESULTS.read_text())
    for entry in results["scripts"].values():
        entry["stated"] = bench.stated(entry["output"])
    return bench.page(results)


def _rebuilt_discovery() -> str:
    discovery = _module(ROOT / "docs" / "discovery.py")
    read = lambda path: pd.read_csv(path, keep_default_na=False)  # noqa: E731
    return discovery.page_text(read(discovery.SAVED["test"]), read(discovery.SAVED["development"]),
                               read(discovery.SAVED_FIRST))


def _rebuilt_results() -> str:
    docs = _module(ROOT / "docs" / "make_docs.py")
    return docs.results_table(json.loads(docs.SAVED_RESULTS.read_text()))


@pytest.mark.parametrize("page, rebuild", [("identify.md", _rebuilt_identify), ("crystal-stress.md", _rebuilt_stress),
                                           ("performance.md", _rebuilt_performance), ("results.md", _rebuilt_results),
                                           ("discovery.md", _rebuilt_discovery)])
def test_a_page_is_what_its_saved_data_make(page, rebuild):
    written = (ROOT / "docs" / page).read_text().splitlines()
    rebuilt = rebuild().splitlines()
    changed = [(i + 1, a, b) for i, (a, b) in enumerate(zip(written, rebuilt)) if a != b]
    assert len(written) == len(rebuilt) and not changed, f"docs/{page} differs from its data: {changed[:3]}"


def test_an_edited_number_is_caught(tmp_path):
    """The check above can fail: one digit changed in the saved record changes the rebuilt page."""
    identify = _module(ROOT / "docs" / "identify.py")
    results = pd.read_csv(identify.SAVED)
    scores = json.loads(identify.SAVED_POLYCRYSTAL.read_text())
    before = identify.page_text(results, scores)
    results.loc[0, "accuracy"] = results.loc[0, "accuracy"] - 0.001
    assert identify.page_text(results, scores) != before
