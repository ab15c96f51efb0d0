"""Cluster the rows of a descriptor table, choosing k automatically unless told.

Writes a run folder: labels.csv (ids + cluster), metrics.json, config.toml, figures and
a saved model that `atomatlas predict` uses to label new rows.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas cluster data.csv --method kmeans --k auto --labels polytype --out runs/fe
  atomatlas cluster dataset:Fe2_descriptor.csv --id key,id --labels polytype --out runs/fe-bundled
  atomatlas cluster data.csv --method gmm --k auto --select bic --param covariance_type=diag --out runs/gmm
  atomatlas cluster data.csv --method dbscan --param eps=0.8 --param min_samples=4 --out runs/db
  atomatlas cluster data.csv --reduce tsne --method hdbscan --out runs/tsne-hdbscan
  atomatlas list cluster          # every method and its parameters
"""


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = common.add_method_arguments(parser, "clustering", "kmeans", "clustering method")
    group.add_argument("--k", type=common.parse_k, default="auto", help="number of clusters or 'auto' (default)")
    group.add_argument("--select", default="silhouette", help="criterion for --k auto: silhouette (default), "
                       "bic, aic (gmm) or elbow")
    group.add_argument("--k-min", type=int, default=2, help="smallest k tried by --k auto (default 2)")
    group.add_argument("--k-max", type=int, default=10, help="largest k tried by --k auto (default 10)")
    group = parser.add_argument_group("reduction (optional)")
    group.add_argument("--reduce", metavar="METHOD", help="pca, kernel_pca, tsne, umap or mds before clustering")
    group.add_argument("--n-components", type=int, default=2, help="components of --reduce (default 2)")
    group.add_argument("--reduce-param", action="append", metavar="NAME=VALUE", help="reduction parameter")
    group.add_argument("--reduce-for", choices=("cluster", "view"), default="cluster",
                       help="cluster on the reduction (default) or use it only for the map")
    common.add_output_arguments(parser)


def build_config(args) -> dict:
    config = {"name": "cluster", "seed": args.seed, "data": common.data_section(args), "scale": {"method": args.scale},
              "cluster": {"method": args.method, "k": args.k, "select": args.select, "k_min": args.k_min,
                          "k_max": args.k_max, **common.parse_params(args.param)}}
    if args.reduce:
        config["reduce"] = {"method": args.reduce, "n_components": args.n_components,
                            **common.parse_params(args.reduce_param)}
        config["cluster"]["on"] = "reduced" if args.reduce_for == "cluster" else "scaled"
    return config


def run(args) -> int:
    from atomatlas.pipeline import run_config

    result = run_config(build_config(args), args.out, overwrite=args.overwrite, progress=True)
    common.report(result, what="cluster")
    return 0
