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
    shown = f"default {default}; " if default is not None else ""
    group.add_argument("--method", default=default, help=f"{choices_help} ({shown}see `atomatlas list`)")
    group.add_argument("--param", action="append", metavar="NAME=VALUE", help="method parameter (repeatable)")
    return group


def add_output_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=required, metavar="DIR", help="run folder to write (atomically)")
    group.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same labels")


def add_scheduler_arguments(parser, what: str, clustering: bool = True, resume: bool | str = True) -> None:
    """--scheduler, --workers (and --sample-size for clustering, --resume where finished work is kept: ``resume``
    "both" where it is kept in memory too): the same run through Dask (docs/scale.md)."""
    group = parser.add_argument_group("scale out (Dask; docs/scale.md)")
    group.add_argument("--scheduler", metavar="local|ADDRESS",
                       help=f"run through Dask: 'local' (a cluster on this machine) or a scheduler address "
                            f"(tcp://host:8786); {what}")
    group.add_argument("--workers", type=int, help="worker processes of --scheduler local (default: one per core)")
    if clustering:
        group.add_argument("--sample-size", type=int, default=100_000,
                           help="rows the flow is fitted on with --scheduler, drawn by --seed; every row is then "
                                "labelled by the fit (default 100000)")
    if resume:
        where = "run" if resume == "both" else "--scheduler run"
        group.add_argument("--resume", action="store_true",
                           help=f"continue an interrupted {where} on the same --out from the chunks it finished "
                                "(run the same command again with --resume)")


def scheduler(args) -> dict:
    """The --scheduler options as keyword arguments of the api functions."""
    out = {"scheduler": args.scheduler, "workers": args.workers}
    if hasattr(args, "resume"):
        out["resume"] = args.resume
    return {**out, "sample_size": args.sample_size} if hasattr(args, "sample_size") else out


def add_threshold_arguments(group) -> None:
    group.add_argument("--threshold", choices=("percentile", "mad"), default="percentile",
                       help="percentile: flag the --percentile %% highest scores (default, the seed's rule); "
                            "mad: flag scores above median + --n-mad robust deviations")
    group.add_argument("--percentile", type=float, default=4.0, help="share of rows flagged, in %% (default 4)")
    group.add_argument("--n-mad", type=float, default=5.0, help="robust deviations for --threshold mad (default 5)")


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
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def parse_params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        if "=" not in item:
            raise AtlasError(f"--param {item!r} must look like NAME=VALUE, e.g. --param n_init=20.")
        name, value = item.split("=", 1)
        params[name.strip()] = parse_value(value.strip())
    return params


def table_path(text: str) -> str:
    """A table argument: dataset:NAME as given, a file made absolute (the run's config.toml then works anywhere)."""
    from pathlib import Path

    return text if text.startswith("dataset:") else str(Path(text).absolute())


def columns(args) -> dict:
    """The column options of a table command, as keyword arguments of the api functions."""
    return {"id_columns": split_list(args.id_columns), "features": split_list(args.features),
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
