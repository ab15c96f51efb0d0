"""Label a large table from a few expert labels: cluster, ask for each cluster's representative, propagate.

With k = --budget clusters, the row closest to each centroid is the one to label.
Labels come from --label-file (the table's id columns and a `label` column), from
--interactive questions, or, to benchmark, from an --oracle column. With none, the run
writes to_label.csv (the rows to label) and stops. Then the labels spread to whole
clusters (or to the --fraction closest to each centroid, or by --propagate spread),
a classifier is trained on them, and to_label_next.csv lists the rows it is least sure
about (one per cluster): label those next and rerun.
"""

from __future__ import annotations

import sys

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas label-few data.csv --budget 20 --out runs/ask          # writes runs/ask/to_label.csv: fill its label column
  atomatlas label-few data.csv --budget 20 --label-file runs/ask/to_label.csv --out runs/labelled
  atomatlas label-few data.csv --budget 20 --interactive --out runs/asked-here
  atomatlas label-few dataset:digits.csv --labels digit --oracle digit --budget 50 --scale none \\
      --drop-constant --test-size 0.25 --seed 42 --out runs/digits     # seed 004's benchmark
  atomatlas predict runs/labelled new.csv --out runs/new                # label new rows
"""


def add_arguments(parser) -> None:
    common.add_table_arguments(parser)
    common.add_scale_argument(parser)
    group = parser.add_argument_group("labelling")
    group.add_argument("--budget", type=int, required=True, help="how many rows the expert will label (required)")
    group.add_argument("--k", type=int, help="clusters = rows asked about (default: the budget)")
    group.add_argument("--propagate", choices=("cluster", "spread"), default="cluster",
                       help="cluster: each cluster takes its representative's label (default); "
                            "spread: label spreading over a 10-nearest-neighbour graph")
    group.add_argument("--fraction", type=float, default=1.0,
                       help="propagate only to this fraction of each cluster closest to its centroid "
                            "(default 1.0; the seed uses 0.2)")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--label-file", metavar="CSV", help="labels given so far: id columns + a label column")
    source.add_argument("--interactive", action="store_true", help="ask for each representative's label here")
    group.add_argument("--oracle", metavar="COL", help="benchmark: read the asked rows' labels from this column")
    group.add_argument("--test-size", type=float, default=0.0,
                       help="hold out this fraction of rows (split by --seed) to score the classifier on")
    group.add_argument("--split-seed", type=int, help="seed of the train/test split (default: --seed)")
    group.add_argument("--next", type=int, default=10, help="rows to suggest labelling next (default 10)")
    common.add_output_arguments(parser)


def ask_on_terminal(ids, cluster: int, size: int) -> str | None:
    """One question per representative; empty answer skips it, end of input stops asking."""
    described = ", ".join(f"{name}={value}" for name, value in ids.items())
    print(f"cluster {cluster} ({size} rows), representative {described}", file=sys.stderr)
    try:
        return input("  label (empty to skip): ").strip()
    except EOFError:
        return None


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import label_few

    result = api.label_few(common.table_path(args.table), args.out, budget=args.budget, k=args.k,
                           propagate=args.propagate, fraction=args.fraction, oracle=args.oracle,
                           label_file=None if args.label_file is None else common.table_path(args.label_file),
                           test_size=args.test_size, split_seed=args.split_seed, next=args.next, scale=args.scale,
                           seed=args.seed, ask=ask_on_terminal if args.interactive else None,
                           overwrite=args.overwrite, report=not args.no_report, **common.columns(args))
    print(label_few(result))
    return 0
