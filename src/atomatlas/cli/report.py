"""Rebuild report.html of a run folder (e.g. after upgrading atomatlas, or for a run made with --no-report).

The page opens from disk in any browser, with no network: the map coloured by cluster or
any label, hover ids, a cluster table (click a row to highlight its members in the map
and the 3-D structure view), k selection, per-frame fractions, the run's figures, its
config, the versions that made it and how to rerun it.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas demo --out runs/demo --no-report
  atomatlas report runs/demo
"""


def add_arguments(parser) -> None:
    parser.add_argument("run_dir", help="run folder of an earlier atomatlas run")


def run(args) -> int:
    from atomatlas import api

    print(f"wrote {api.report(args.run_dir)} (open it in a browser)")
    return 0
