"""Score every row of a descriptor table for how odd it is, and flag the odd ones.

Writes labels.csv with `anomaly_score` (higher = odder) and `anomaly` (1 = flagged),
the score distribution with its threshold (anomaly_scores.png), a map of where the
flagged rows sit, and a model: `atomatlas predict RUN new.csv` flags new rows by the
same threshold (novelty detection). For atoms in structure files use
`atomatlas environments FILES --anomaly METHOD`.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas anomalies data.csv --method gmm --param n_components=3 --percentile 4 --out runs/odd
  atomatlas anomalies data.csv --method isolation_forest --threshold mad --out runs/odd-forest
  atomatlas anomalies dataset:seed004-blobs.csv --exclude blob --method gmm --out runs/blobs
  atomatlas predict runs/odd new.csv --out runs/odd-new          # novelty detection
"""


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = common.add_method_arguments(parser, "detector", "gmm", "gmm, pca_error, isolation_forest or lof")
    common.add_threshold_arguments(group)
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.find_anomalies(common.table_path(args.table), args.out, method=args.method,
                                params=common.parse_params(args.param), threshold=args.threshold,
                                percentile=args.percentile, n_mad=args.n_mad, scale=args.scale, seed=args.seed,
                                overwrite=args.overwrite,
                                report=not args.no_report, progress=True, **common.columns(args))
    print(report(result, what="anomalies"))
    return 0
