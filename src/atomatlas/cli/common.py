"""Options shared by the table commands, and turning them into a run config."""

from __future__ import annotations

import argparse
import sys

from atomatlas.errors import AtlasError


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help="descriptor table: .csv, .tsv or .parquet, or dataset:NAME for a bundled one")
    group = parser.add_argument_group("columns")
    group.add_argument("--id", dest="id_columns", metavar="COLS",
                       help="comma-separated id columns (default: columns named id/key/atom/... and text columns)")
    group.add_argument("--features", metavar="COLS", help="comma-separated feature columns (default: all numeric)")
    group.add_argument("--features-regex", metavar="REGEX", help="feature columns whose names match REGEX")
    group.add_argument("--exclude", metavar="COLS", help="comma-separated columns to leave out")
    group.add_argument("--labels", dest="label_column", metavar="COL",
                       help="label column: scored against (ARI, NMI, accuracy), never used to fit")
    group.add_argument("--delimiter", metavar="CHAR", help="field separator (default ',' or tab for .tsv)")
    group.add_argument("--drop-constant", action="store_true", help="drop constant columns instead of refusing")


def add_scale_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="standard", metavar="METHOD",
                        help="standard (default), minmax, robust or none")


def add_method_arguments(parser: argparse.ArgumentParser, title: str, default: str, choices_help: str):
    """The --method / --param pair every fitting command has; returns the group for more options."""
    group = parser.add_argument_group(title)
    group.add_argument("--method", default=default, help=f"{choices_help} (default {default}; see `atomatlas list`)")
    group.add_argument("--param", action="append", metavar="NAME=VALUE", help="method parameter (repeatable)")
    return group


def add_output_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=required, metavar="DIR", help="run folder to write (atomically)")
    group.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same labels")


def split_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None


def parse_value(text: str):
    """A --param value as TOML would read it: int, float, true/false, a list, or a string."""
    from atomatlas.recipes import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        if "=" not in item:
            raise AtlasError(f"--param {item!r} must look like NAME=VALUE, e.g. --param n_init=20.")
        name, value = item.split("=", 1)
        params[name.strip()] = parse_value(value.strip())
    return params


def data_section(args) -> dict:
    return {"path": args.table, "id_columns": split_list(args.id_columns), "features": split_list(args.features),
            "features_regex": args.features_regex, "exclude": split_list(args.exclude) or [],
            "label_column": args.label_column, "delimiter": args.delimiter, "drop_constant": args.drop_constant}


def parse_range(text: str) -> tuple[float, float]:
    """LOW,HIGH as two floats (e.g. a defect range for generated crystals)."""
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"give LOW,HIGH, e.g. 0,0.5; got {text!r}") from None
    return low, high


def add_defect_arguments(group, vacancies: tuple, displacement: tuple) -> None:
    """--vacancies and --displacement ranges of generated crystal structures."""
    group.add_argument("--vacancies", type=parse_range, default=vacancies, metavar="LOW,HIGH",
                       help=f"fraction of atoms removed, drawn from this range (default {vacancies[0]:g},"
                            f"{vacancies[1]:g})")
    group.add_argument("--displacement", type=parse_range, default=displacement, metavar="LOW,HIGH",
                       help=f"Gaussian displacements, x nearest-neighbour distance (default {displacement[0]:g},"
                            f"{displacement[1]:g})")


def parse_k(text: str):
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be an integer or 'auto', not {text!r}") from None


def report_skipped(skipped: list, *, used: int, what: str) -> None:
    """Name every skipped input on its own line; end with exit status 3 when there were any."""
    if not skipped:
        return
    from atomatlas.errors import SomeInputsSkipped

    for item in skipped:
        print(f"  {item}", file=sys.stderr)
    raise SomeInputsSkipped(f"done with {used} {what}; {len(skipped)} input(s) skipped (listed above), their "
                            "results are missing: fix them and rerun (exit status 3).")


def report(result, *, what: str) -> None:
    """A short human summary of a finished run on stdout."""
    metrics = result.metrics
    if "phases" in metrics or "label_few" in metrics:  # runs with their own summaries
        from atomatlas.cli import label_few, segment

        print((segment if "phases" in metrics else label_few).summary(result), file=sys.stdout)
        return
    lines = [f"{what}: {metrics['input']['n_rows']} rows x {metrics['input']['n_features']} features "
             f"from {metrics['input']['path']}"]
    if "reduce" in metrics:
        reduce = metrics["reduce"]
        text = f"  reduce: {reduce['method']} to {reduce['n_components']} components"
        if "explained_variance_ratio" in reduce:
            text += f" (explained variance {sum(reduce['explained_variance_ratio']):.3f})"
        lines.append(text)
    if "cluster" in metrics:
        cluster = metrics["cluster"]
        chosen = f" (chosen by {cluster['selected_by']})" if cluster["selected_by"] else ""
        lines.append(f"  cluster: {cluster['method']}, k = {cluster['k']}{chosen}, "
                     f"silhouette {cluster['scores']['silhouette']:.3f}, noise rows {cluster['n_noise']}")
        selection = cluster.get("k_selection", {})
        if selection.get("at_edge"):
            lines.append(f"  note: {selection['criterion']} is best at the largest k tried ({selection['range'][1]}); "
                         "the data may want more clusters: raise --k-max")
    for name, scores in metrics.get("evaluation", {}).items():
        lines.append(f"  vs {name} ({scores['n_labelled']} labelled rows): ARI {scores['adjusted_rand_index']:.3f}, "
                     f"NMI {scores['normalized_mutual_info']:.3f}, accuracy {scores['cluster_accuracy']:.3f}")
    for row in metrics.get("comparison", []):
        scores = ", ".join(f"{label} ARI {value['adjusted_rand_index']:.3f}" for label, value in row["evaluation"].items())
        lines.append(f"  compare {row['name']}: k = {row['k']}" + (f", {scores}" if scores else ""))
    if "anomaly" in metrics:
        anomaly = metrics["anomaly"]
        lines.append(f"  anomalies: {anomaly['method']}, {anomaly['n_flagged']} rows flagged ({anomaly['rule']}, "
                     f"score > {anomaly['threshold']:.4g})")
    purity = metrics.get("structures", {}).get("site_purity")
    if purity:
        owners = ", ".join(f"{site} {clusters}" for site, clusters in purity["clusters_owned_by_site"].items())
        near = purity.get("near_sites")
        within = f" ({near['overall_purity']:.3f} within {near['within']:g} A of a site)" if near else ""
        lines.append(f"  site purity {purity['overall_purity']:.3f}{within}; clusters owned by each site type: {owners}")
    for key, what in (("cross_validation", "cross-validated"), ("holdout", "held-out")):
        if key in metrics:
            cv = metrics[key]
            lines.append(f"  {metrics['classify']['method']}: {what} accuracy {cv['accuracy']:.4f}, "
                         f"weighted F1 {cv['f1_weighted']:.4f}")
    if "grid_search" in metrics.get("classify", {}):
        lines.append(f"  grid search chose {metrics['classify']['grid_search']['best']}")
    lines.append(f"  wrote {result.path}/ (labels.csv, metrics.json, config.toml, "
                 f"{len(metrics.get('figures', []))} figures)")
    print("\n".join(lines), file=sys.stdout)
