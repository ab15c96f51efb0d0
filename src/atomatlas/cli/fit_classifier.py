"""Train a classifier on a labelled descriptor table (logistic regression or a small MLP).

Reports stratified cross-validated accuracy, a classification report and a confusion
matrix, and saves the model refit on all rows for `atomatlas predict`.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas fit-classifier dataset:Fe2_descriptor.csv --labels polytype --out runs/fe-logreg
  atomatlas fit-classifier data.csv --labels phase --method mlp --folds 3 --out runs/mlp
  atomatlas fit-classifier data.csv --labels phase --reduce pca --method torch_mlp --folds 3 --out runs/pca-mlp
  atomatlas fit-classifier dataset:digits.csv --labels digit --scale none --drop-constant \\
      --method kmeans_logistic --param "k=[30,50]" --test-size 0.25 --seed 42 --out runs/digits-kmeans
  atomatlas predict runs/fe-logreg dataset:Fe2_descriptor_newdata.csv --out runs/fe-logreg-new
"""


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = common.add_method_arguments(parser, "classifier", "logistic", "logistic (LogisticRegressionCV), logistic_ovr, kmeans_logistic, mlp or torch_mlp")
    group.add_argument("--folds", type=int, default=5, help="stratified cross-validation folds (default 5)")
    group.add_argument("--test-size", type=float, default=0.0,
                       help="instead of cross-validation, hold out this fraction of rows (split by --seed) and "
                            "score on them, as seed 004 does")
    group.add_argument("--reduce", metavar="METHOD", help="classify in a reduced space (pca, kernel_pca, ...); "
                       "with 2 components the decision boundary is drawn")
    group.add_argument("--n-components", type=int, default=2, help="components of --reduce (default 2)")
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report
    from atomatlas.errors import AtlasError

    if not args.label_column:
        raise AtlasError("fit-classifier needs the label column: pass --labels COLUMN.")
    columns = common.columns(args)
    result = api.fit_classifier(common.table_path(args.table), args.out, label_column=columns.pop("label_column"),
                                method=args.method, params=common.parse_params(args.param), folds=args.folds,
                                test_size=args.test_size, reduce=args.reduce, n_components=args.n_components,
                                scale=args.scale, seed=args.seed, overwrite=args.overwrite,
                                report=not args.no_report, **columns)
    print(report(result, what="fit-classifier"))
    return 0
