"""Run the built-in example (recipe fe-phases) end to end and say where to look.

Clusters 42 iron structures into bcc, fcc and hcp with automatic k, compares KMeans,
GMM and four agglomerative linkages against the known phases, and labels six new
structures with the saved model.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas demo
  atomatlas demo --out runs/demo --overwrite
"""


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="out/demo", metavar="DIR", help="run folder (default out/demo)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.run_recipe("fe-phases", args.out, overwrite=args.overwrite, report=not args.no_report, progress=True)
    print(report(result, what="demo (recipe fe-phases)"))
    return 0
