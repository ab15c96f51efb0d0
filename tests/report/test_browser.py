"""report.html in a real browser: Debian's chromium, driven headless by playwright.

Skipped when chromium or playwright is missing, unless ATOMATLAS_REQUIRE_BROWSER=1 (set by
.ci/run, which installs chromium): then their absence fails the run.
"""

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from atomatlas import api

HOSTILE = '<b>bold</b><img src=x onerror=window.__pwned=1><a href="javascript:window.__pwned=2">link</a>'


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def browser():
    required = os.environ.get("ATOMATLAS_REQUIRE_BROWSER") == "1"
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        reason = "chromium (apt-get install chromium)" if executable is None else "playwright (pip install playwright)"
        if required:
            pytest.fail(f"browser tests need {reason}")
        pytest.skip(f"browser tests need {reason}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


class Page:
    """A report opened in a fresh page, with every console error and page error kept."""

    def __init__(self, browser, path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else
                     self.errors.append(f"fetched {r.url}"))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready=yes]", timeout=60_000)

    def eval(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def drawn(self, div: str) -> int:
        """Points drawn in the plot ``div``, not counting the highlight or the density."""
        return self.eval("""div => document.getElementById(div).data
            .filter(t => !(t.meta && (t.meta.selected || t.meta.density))).reduce((n, t) => n + t.x.length, 0)""",
                         div)

    def highlighted(self, div: str) -> list[int]:
        """labels.csv rows of the highlighted points in ``div``."""
        return self.eval("""div => { const t = document.getElementById(div).data.find(t => t.meta && t.meta.selected);
            return t ? t.customdata.map(i => window.atlas.data.points.row[i]) : []; }""", div)

    def hover_text_at(self, point: int) -> str:
        """Move the mouse onto map point ``point`` and read plotly's hover label."""
        box = self.eval("""i => { const gd = document.getElementById('map'), P = window.atlas.data.points;
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(P.map[0][i]), r.top + ya._offset + ya.l2p(P.map[1][i])]; }""", point)
        self.page.mouse.move(box[0] + 40, box[1] + 40)
        self.page.mouse.move(*box)
        self.page.wait_for_selector("#map .hoverlayer .hovertext", timeout=10_000)
        return self.eval("""() => { const label = document.querySelector('#map .hoverlayer .hovertext');
            const lines = [...label.querySelectorAll('tspan.line')].map(t => t.textContent);
            return lines.length ? lines.join('\\n') : label.textContent; }""")


def test_a_table_run(browser, tmp_path, blobs_csv):
    frame = pd.read_csv(blobs_csv)
    frame["phase"] = np.where(frame["phase"] == "alpha", HOSTILE, frame["phase"])
    frame.to_csv(blobs_csv, index=False)
    result = api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], label_column="phase")
    labels = pd.read_csv(result.path / "labels.csv")
    page = Page(browser, result.path / "report.html")
    assert page.drawn("map") == len(labels) == 90
    assert page.eval("document.querySelectorAll('#clusters tbody tr').length") == 3
    assert page.eval("document.querySelectorAll('#figures img').length") >= 3  # silhouette, k selection, map
    assert page.eval("document.getElementById('k-plot').data.length") >= 1

    text = page.hover_text_at(5)
    assert f"name: {labels['name'][5]}" in text and f"id: {labels['id'][5]}" in text

    page.page.click("#clusters tbody tr:nth-child(2)")  # cluster 1
    members = labels.index[labels["cluster"] == 1].tolist()
    assert sorted(page.highlighted("map")) == members
    assert page.eval("document.querySelector('#clusters tbody tr:nth-child(2)').classList.contains('selected')")
    page.page.click("#clusters tbody tr:nth-child(2)")  # again: cleared
    assert page.highlighted("map") == []

    page.page.select_option("#colour-by", "label:phase")  # the hostile label, as a legend entry
    assert page.eval("document.getElementById('map').data.length") == 3
    legend = page.eval("document.querySelector('#map .legend').textContent")
    assert HOSTILE in legend
    assert page.eval("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.eval("window.__pwned === undefined")
    assert page.errors == []


def test_a_structure_run(browser, tmp_path):
    from ase.build import bulk

    paths = []
    for name, lattice, a in (("Cu", "fcc", 3.61), ("Fe", "bcc", 2.87)):
        atoms = bulk(name, lattice, a=a, cubic=True).repeat(3)
        atoms.rattle(0.05, seed=1)
        atoms.write(tmp_path / f"{name}.extxyz")
        paths.append(str(tmp_path / f"{name}.extxyz"))
    result = api.environments(paths, tmp_path / "run", descriptor="soap", k=2)
    labels = pd.read_csv(result.path / "labels.csv")
    page = Page(browser, result.path / "report.html")
    assert page.drawn("map") == len(labels)
    first = labels["structure"] == labels["structure"][0]
    assert page.drawn("view") == first.sum()  # the 3-D view shows the first structure
    text = page.hover_text_at(3)
    assert f"atom: {labels['atom'][3]}" in text and "species: Cu" in text

    # the clusters table names each cluster by its atoms' identify labels (rattled fcc Cu and bcc Fe)
    header = page.eval("[...document.querySelectorAll('#clusters thead th')].map(h => h.textContent)")
    assert header[:3] == ["cluster", "name (identify)", "note"]
    names = page.eval("[...document.querySelectorAll('#clusters tbody tr')].map(r => r.children[1].textContent)")
    assert sorted(names) == ["bcc 100%", "fcc 100%"]

    cluster = labels["cluster"][0]
    page.page.click(f"#clusters tbody tr[data-cluster='{cluster}']")
    assert sorted(page.highlighted("map")) == labels.index[labels["cluster"] == cluster].tolist()
    assert sorted(page.highlighted("view")) == labels.index[(labels["cluster"] == cluster) & first].tolist()
    page.page.select_option("#frame", "1")  # the second structure: the highlight follows
    second = labels["structure"] == labels["structure"].iloc[-1]
    assert page.drawn("view") == second.sum()
    assert sorted(page.highlighted("view")) == labels.index[(labels["cluster"] == cluster) & second].tolist()
    assert page.errors == []


def test_a_crystal_run(browser, tmp_path):
    from ase.build import bulk

    structures = [bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3), bulk("W", "bcc", a=3.16, cubic=True).repeat(4)]
    for i, atoms in enumerate(structures):
        atoms.write(tmp_path / f"s{i}.extxyz")
    result = api.classify_structures([str(tmp_path / "s0.extxyz"), str(tmp_path / "s1.extxyz")], tmp_path / "run")
    page = Page(browser, result.path / "report.html")
    rows = page.eval("[...document.querySelectorAll('#rows tbody tr')].map(r => r.children[2].textContent)")
    assert rows == ["fcc", "bcc"]
    assert page.errors == []


def test_a_hundred_thousand_points_are_all_drawn(browser, tmp_path):
    from atomatlas.datasets.synthetic import map_labels
    from atomatlas.report import write_report  # not a run folder: the page is built directly

    n = 100_000
    folder = tmp_path / "large"
    folder.mkdir()
    map_labels(n).to_csv(folder / "labels.csv", index=False)

    page = Page(browser, write_report(folder))
    assert page.drawn("map") == n
    assert page.errors == []
