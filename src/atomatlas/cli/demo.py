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
    parser.add_argument("--out", default="out/demo", metavar="DIR",
                        help="run folder (default out/demo); an earlier demo's run folder there is replaced, any other "
                             "folder never is")
    parser.add_argument("--overwrite", action="store_true", help="(kept for old scripts: the demo always replaces its "
                                                                 "own earlier run folder)")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    # a second demo replaces the first: --overwrite still replaces only atomatlas run folders, never a user's
    result = api.run_recipe("fe-phases", args.out, overwrite=True, report=not args.no_report, progress=True)
    print(report(result, what="demo (recipe fe-phases)"))
    return 0
