"""Screenshots of report.html for the README and docs/report.md, taken in headless chromium.

    .venv/bin/python docs/report_screenshots.py      (run by `make docs`; needs Debian's chromium)

Runs the demo (recipe fe-phases) and an environments run on two rattled crystals into
out/report-screenshots/, opens each report.html in chromium through playwright, highlights
one cluster by clicking its row, and saves the top of each page as
docs/figures/report_demo.png and docs/figures/report_structures.png.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ase.build import bulk

from atomatlas import api

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "report-screenshots"
FIGURES = ROOT / "docs" / "figures"


def runs() -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    demo = api.run_recipe("fe-phases", OUT / "demo", overwrite=True).path
    paths = []
    for name, lattice, a in (("Cu", "fcc", 3.61), ("Fe", "bcc", 2.87)):
        atoms = bulk(name, lattice, a=a, cubic=True).repeat(4)
        atoms.rattle(0.08, seed=1)
        path = OUT / f"{name}-{lattice}.extxyz"
        atoms.write(path)
        paths.append(str(path))
    structures = api.environments(paths, OUT / "structures", descriptor="soap", k=2, overwrite=True).path
    return {"report_demo.png": demo / "report.html", "report_structures.png": structures / "report.html"}


def main() -> int:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("docs/report_screenshots.py needs chromium: apt-get install chromium", file=sys.stderr)
        return 2
    pages = runs()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        for name, report in pages.items():
            page = browser.new_page(viewport={"width": 1300, "height": 1700})
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
            page.click("#clusters tbody tr:nth-child(1)")  # one cluster highlighted, as a user would
            page.evaluate("window.scrollTo(0, 0)")  # the click scrolled the table into view
            page.wait_for_timeout(500)
            page.screenshot(path=FIGURES / name, clip={"x": 0, "y": 0, "width": 1300, "height": 1700})
            print(f"wrote docs/figures/{name}", file=sys.stderr)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
