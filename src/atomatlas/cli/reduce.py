"""Map the rows of a descriptor table to a few dimensions (PCA, kernel PCA, t-SNE, UMAP, MDS).

Writes labels.csv (ids + embedding_1, embedding_2, no cluster column), metrics.json
(explained variance for PCA), a map and, for PCA, a scree plot.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas reduce data.csv --method pca --labels polytype --out runs/pca
  atomatlas reduce data.csv --method tsne --param perplexity=40 --out runs/tsne
  atomatlas reduce data.csv --method kernel_pca --param kernel=poly --param degree=3 --out runs/kpca
  atomatlas reduce data.csv --method mds --param metric=false --param n_init=1 --out runs/nmds
"""


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = common.add_method_arguments(parser, "reduction", "pca", "pca, kernel_pca, tsne, umap or mds")
    group.add_argument("--n-components", type=int, default=2, help="number of components (default 2)")
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.reduce(common.table_path(args.table), args.out, method=args.method, n_components=args.n_components,
                        params=common.parse_params(args.param), scale=args.scale, seed=args.seed,
                        overwrite=args.overwrite, report=not args.no_report, progress=True, **common.columns(args))
    print(report(result, what="reduce"))
    return 0
