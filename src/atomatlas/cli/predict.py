"""Label new rows with the model saved by an earlier cluster, run or fit-classifier command.

The new table needs the same feature columns. Cluster runs give each row a cluster
(and its position on the run's map); classifier runs give a class and its probability.
"""

from __future__ import annotations


EXAMPLES = """examples:
  atomatlas run fe-phases --out runs/fe
  atomatlas predict runs/fe dataset:Fe2_descriptor_newdata.csv --out runs/fe-new
"""


def add_arguments(parser) -> None:
    parser.add_argument("run_dir", help="run folder of an earlier cluster, run or fit-classifier command")
    parser.add_argument("table", help="table of new rows with the same feature columns, or structure file(s) "
                        "(a glob) for a run made from structures")
    parser.add_argument("--delimiter", metavar="CHAR", help="field separator of the new table")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import prediction

    result = api.predict(args.run_dir, args.table, args.out, overwrite=args.overwrite, report=not args.no_report,
                         delimiter=args.delimiter)
    print(prediction(result))
    return 0
