"""The README tells the truth: its commands run as written, its console output is what they print,
and every number in its results table is a number of the regenerated page it cites."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
import readme  # noqa: E402  (docs/readme.py)


@pytest.fixture(scope="module")
def fresh_runs(tmp_path_factory):
    text = readme.README.read_text()
    return text, readme.run_all(text, tmp_path_factory.mktemp("readme"))


def test_every_readme_command_runs_cleanly(fresh_runs):
    _, results = fresh_runs
    commands = [run for block in results for run in block]
    assert len(commands) >= 10
    for command, status, _, err in commands:
        assert status == 0, f"{command.text}\n{err}"
        assert "Warning" not in err and "Traceback" not in err, f"{command.text}\n{err}"


def test_readme_console_output_is_what_the_commands_print(fresh_runs):
    text, results = fresh_runs
    fresh = readme.render(text, results)
    shown = [line for match in readme.BLOCK.finditer(text) for line in match.group(1).splitlines()]
    printed = [line for match in readme.BLOCK.finditer(fresh) for line in match.group(1).splitlines()]
    assert shown == printed, "README.md console output is stale: run `make docs`"


# where each results row's numbers stand: a regenerated page, and on it the lines that name the recipe (no
# sections given) or the sections of a page about it (headings, by how they begin)
SOURCES = {"fe-phases": ("results.md", []), "carbon-coordination": ("results.md", []),
           "carbon-environments": ("carbon-environments.md", ["The result, by a rule fixed before scoring",
                                                              "What the labels could buy"]),
           "cu111-sites": ("results.md", []),
           "cu111-sites-auto": ("site-maps.md", ["Ten seeds on Cu(111)", "Held-out slabs"]),
           "fe-structures": ("results.md", []), "digits-label-few": ("seed-004.md", ["1. Label few"]),
           "carbon-label-few": ("seed-004.md", ["On materials data"]),
           "digits-kmeans-features": ("seed-004.md", ["2. Clustering as preprocessing"]),
           "fe-vacancy": ("seed-004.md", ["Odd atoms around point defects"]),
           "micrograph-segment": ("seed-004.md", ["6. Micrograph segmentation"]),
           "atomatlas classify": ("crystal-stress.md", ["The test set"])}
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.]*\w)")  # decimals, percentages and integers alike


def _results_rows():
    text = readme.README.read_text()
    table = text[text.index("## Results on the seminar data"):text.index("## Documentation")]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            yield cells[0].split("`")[1], cells[2]


def _source_lines(name: str, page: str, sections: list[str]) -> list[str]:
    """The lines of ``page`` a results row may take its numbers from."""
    lines = page.splitlines()
    if not sections:
        return [line for line in lines if f"| {name} |" in line or f"({name})" in line]
    chosen, level = [], None
    for line in lines:
        if line.startswith("#"):
            depth = len(line) - len(line.lstrip("#"))
            if any(line.lstrip("# ").startswith(s) for s in sections):
                level = depth
            elif level is not None and depth <= level:
                level = None
        if level is not None:
            chosen.append(line)
    return chosen


def test_results_table_numbers_come_from_the_regenerated_docs():
    """Row by row: every number of a results row (integers too) stands in that recipe's own rows or sections."""
    rows = list(_results_rows())
    assert {name for name, _ in rows} == set(SOURCES)
    for name, result in rows:
        page, sections = SOURCES[name]
        lines = _source_lines(name, (ROOT / "docs" / page).read_text(), sections)
        assert lines, f"README results row {name!r}: docs/{page} has no lines for it"
        for number in NUMBER.findall(result):
            found = any(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", line) for line in lines)
            assert found, f"README results row {name!r}: {number} is not in its rows or sections of docs/{page}"


def test_a_number_elsewhere_on_the_page_does_not_count():
    page = "| fe-phases | 42 | 1.000 |\n| carbon-coordination | 3560 | 0.991 |\n"
    assert not any("0.991" in line for line in _source_lines("fe-phases", page, []))
