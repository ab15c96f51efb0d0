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
  atomatlas cluster data.csv --scheduler local --workers 2 --out runs/fe-dask
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
    common.add_scheduler_arguments(parser, "the table may then be a parquet file or folder, read lazily; the flow "
                                   "is fitted on --sample-size of its rows, every row labelled on the workers",
                                   resume=False)
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.cluster(common.table_path(args.table), args.out, method=args.method, k=args.k, select=args.select,
                         k_min=args.k_min, k_max=args.k_max, params=common.parse_params(args.param),
                         scale=args.scale, reduce=args.reduce, n_components=args.n_components,
                         reduce_params=common.parse_params(args.reduce_param), reduce_for=args.reduce_for,
                         seed=args.seed, **common.scheduler(args), overwrite=args.overwrite,
                         report=not args.no_report, progress=True, **common.columns(args))
    print(report(result, what="cluster"))
    return 0
