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


def add_threshold_arguments(group) -> None:
    group.add_argument("--threshold", choices=("percentile", "mad"), default="percentile",
                       help="percentile: flag the --percentile %% highest scores (default, the seed's rule); "
                            "mad: flag scores above median + --n-mad robust deviations")
    group.add_argument("--percentile", type=float, default=4.0, help="share of rows flagged, in %% (default 4)")
    group.add_argument("--n-mad", type=float, default=5.0, help="robust deviations for --threshold mad (default 5)")


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = common.add_method_arguments(parser, "detector", "gmm", "gmm, pca_error, isolation_forest or lof")
    add_threshold_arguments(group)
    common.add_output_arguments(parser)


def anomaly_section(args, method: str, params: list[str] | None) -> dict:
    return {"method": method, "threshold": args.threshold, "percentile": args.percentile, "n_mad": args.n_mad,
            **common.parse_params(params)}


def run(args) -> int:
    from atomatlas.pipeline import run_config

    config = {"name": "anomalies", "seed": args.seed, "data": common.data_section(args),
              "scale": {"method": args.scale}, "anomaly": anomaly_section(args, args.method, args.param)}
    result = run_config(config, args.out, overwrite=args.overwrite, progress=True)
    common.report(result, what="anomalies")
    return 0
