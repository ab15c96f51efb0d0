"""Label new rows with the model saved by an earlier cluster, run or fit-classifier command.

The new table needs the same feature columns. Cluster runs give each row a cluster
(and its position on the run's map); classifier runs give a class and its probability.
"""

from __future__ import annotations


EXAMPLES = """examples:
  atomatlas run fe-phases --out runs/fe
  atomatlas predict runs/fe dataset:Fe2_descriptor_newdata.csv --out runs/fe-new
  atomatlas predict runs/fe dataset:Fe2_descriptor_newdata.csv --scheduler local --workers 2 --out runs/fe-new-dask
"""


def add_arguments(parser) -> None:
    parser.add_argument("run_dir", help="run folder of an earlier cluster, run or fit-classifier command")
    parser.add_argument("table", nargs="+", help="table of new rows with the same feature columns, or structure file(s) "
                        "(a glob) for a run made from structures")
    parser.add_argument("--delimiter", metavar="CHAR", help="field separator of the new table")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    from atomatlas.cli.common import add_scheduler_arguments

    add_scheduler_arguments(parser, "a table (also a parquet file or folder) or structure files labelled on the "
                            "workers", clustering=False)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import prediction

    from atomatlas.cli.common import report_skipped, scheduler

    new = args.table[0] if len(args.table) == 1 else args.table
    result = api.predict(args.run_dir, new, args.out, overwrite=args.overwrite, report=not args.no_report,
                         delimiter=args.delimiter, **scheduler(args))
    print(prediction(result))
    report_skipped(result.skipped, used=result.metrics["input"]["n_rows"], what="environments")
    return 0
