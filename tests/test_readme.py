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


# which regenerated page holds the numbers of each results row
SOURCES = {"fe-phases": "results.md", "carbon-coordination": "results.md",
           "carbon-environments": "carbon-environments.md", "cu111-sites": "results.md",
           "cu111-sites-auto": "site-maps.md", "fe-structures": "results.md", "digits-label-few": "seed-004.md",
           "carbon-label-few": "seed-004.md", "digits-kmeans-features": "seed-004.md", "fe-vacancy": "seed-004.md",
           "micrograph-segment": "seed-004.md", "atomatlas classify": "crystal-classes.md"}
NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+|\d+(?=%))")


def _results_rows():
    text = readme.README.read_text()
    table = text[text.index("## Results on the seminar data"):text.index("## Documentation")]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            yield cells[0].split("`")[1], cells[2]


def test_results_table_numbers_come_from_the_regenerated_docs():
    rows = list(_results_rows())
    assert {name for name, _ in rows} == set(SOURCES)
    for name, result in rows:
        page = (ROOT / "docs" / SOURCES[name]).read_text()
        for number in NUMBER.findall(result):
            found = re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", page)
            assert found, f"README results row {name!r}: {number} is not in docs/{SOURCES[name]}"
