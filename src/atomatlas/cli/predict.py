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
    from atomatlas.predict import predict_run

    result = predict_run(args.run_dir, args.table, args.out, overwrite=args.overwrite, delimiter=args.delimiter)
    print(summary(result))
    return 0


def summary(result) -> str:
    """What a predict run labelled, for the terminal."""
    metrics = result.metrics
    counts = metrics.get("cluster_sizes") or metrics.get("counts")
    lines = [f"predict: labelled {len(result.labels)} rows from {metrics['input']['path']}: {counts}"]
    for name, scores in metrics.get("evaluation", {}).items():
        lines.append(f"  vs {name}: ARI {scores['adjusted_rand_index']:.3f}, accuracy {scores['cluster_accuracy']:.3f}")
    if "accuracy" in metrics:
        lines.append(f"  accuracy against {metrics['input']['path']} labels: {metrics['accuracy']:.3f}")
    lines.append(f"  wrote {result.path}/labels.csv")
    return "\n".join(lines)
