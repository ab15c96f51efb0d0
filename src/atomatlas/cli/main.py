"""``atomatlas``: the command-line entry point.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args)``
(ASE's pattern). Heavy libraries are imported inside ``run``, so ``atomatlas --help``
stays fast and imports no torch, dask, umap or openTSNE.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from atomatlas import __version__
from atomatlas.errors import AtlasError

# name -> (module, one-line help)
COMMANDS = {
    "cluster": ("atomatlas.cli.cluster", "cluster the rows of a descriptor table (automatic k)"),
    "environments": ("atomatlas.cli.environments", "cluster the atomic environments of structure files"),
    "reduce": ("atomatlas.cli.reduce", "map a descriptor table to 2-D (PCA, kernel PCA, t-SNE, UMAP, MDS)"),
    "fit-classifier": ("atomatlas.cli.fit_classifier", "train a classifier on a labelled table"),
    "label-few": ("atomatlas.cli.label_few", "label many rows from a few expert labels (seed 004)"),
    "anomalies": ("atomatlas.cli.anomalies", "score every row and flag the odd ones (GMM, PCA error, ...)"),
    "segment": ("atomatlas.cli.segment", "segment a micrograph into phases and their area fractions"),
    "classify": ("atomatlas.cli.classify", "classify crystal structures with the diffraction CNN (seed 001)"),
    "train-classifier": ("atomatlas.cli.train_classifier", "train the crystal-structure CNN on generated data"),
    "make-crystals": ("atomatlas.cli.make_crystals", "generate labelled crystal structures as an extxyz file"),
    "predict": ("atomatlas.cli.predict", "label new rows with a saved run"),
    "run": ("atomatlas.cli.run", "run a recipe (shipped name or TOML file)"),
    "demo": ("atomatlas.cli.demo", "run the built-in example end to end"),
    "list": ("atomatlas.cli.list_methods", "list methods, parameters and recipes"),
}

EPILOG = """examples:
  atomatlas demo
  atomatlas cluster data.csv --method kmeans --k auto --labels polytype --out runs/fe
  atomatlas predict runs/fe new.csv --out runs/fe-new
  atomatlas run carbon-coordination --out runs/carbon
  atomatlas environments structures.extxyz --descriptor soap --out runs/atoms
  atomatlas classify Cu.cif POSCAR frames.extxyz --out preds.csv
  atomatlas label-few data.csv --budget 20 --out runs/ask
  atomatlas segment micrograph.png --k 3 --out runs/seg
  atomatlas list
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atomatlas", description="Find structure in materials data: maps, clusters and labels.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"atomatlas {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of any error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=module.__doc__.strip(),
                                 epilog=getattr(module, "EXAMPLES", None),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the full traceback of any error")
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input or usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        result = args.run(args)
        return int(result or 0)
    except AtlasError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"atomatlas {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("atomatlas: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
