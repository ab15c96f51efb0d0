"""What report.html (and chemiscope.json.gz) add to a run: the demo with and without them, in one run.

    .venv/bin/python bench/bench_report.py [--repeat 3]

Runs the demo's recipe (fe-phases, with its predict folder: two reports) with
``report=False`` and with ``report=True``, alternating, keeps the median time of each and
prints the ratio (target: at most 1.10). Then writes the report of a 10^5-point map and
prints its time and size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from atomatlas import api
from atomatlas.datasets.synthetic import map_labels
from atomatlas.report import write_report

from verdict import verdict

def seconds(out: Path, report: bool) -> float:
    start = time.perf_counter()
    api.run_recipe("fe-phases", out, overwrite=True, report=report)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seconds(tmp / "warm", True)  # imports and first-use costs paid by neither side
        times = {False: [], True: []}
        for _ in range(args.repeat):
            for report in (False, True):
                times[report].append(seconds(tmp / f"demo-{report}", report))
        without, with_report = statistics.median(times[False]), statistics.median(times[True])
        print(f"demo without report : {without:6.2f} s (median of {args.repeat})")
        print(f"demo with report    : {with_report:6.2f} s")
        print(f"ratio               : {with_report / without:6.3f} {verdict(with_report / without, 1.10, False)}")
        n = 100_000
        large = tmp / "large"
        large.mkdir()
        map_labels(n).to_csv(large / "labels.csv", index=False)
        start = time.perf_counter()
        page = write_report(large)
        print(f"report of {n:,} points: {time.perf_counter() - start:.2f} s, {page.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
