"""``atomatlas``: the command-line entry point.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args)``
(ASE's pattern). Heavy libraries are imported inside ``run``, so ``atomatlas --help``
stays fast and imports no torch, dask, umap or openTSNE.

Exit status: 0 done; 2 a problem the user can fix (one line says what and how); 3 done,
but some inputs of a batch were skipped (each named on its own line); 1 a bug in
atomatlas (one line; ``--debug`` shows the traceback); 130/143 interrupted or terminated
(nothing written).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import signal
import sys
import warnings

from atomatlas import __version__
from atomatlas import errors
from atomatlas.errors import AtlasError, SomeInputsSkipped

# name -> (module, one-line help)
COMMANDS = {
    "cluster": ("atomatlas.cli.cluster", "cluster the rows of a descriptor table (automatic k)"),
    "environments": ("atomatlas.cli.environments", "cluster the atomic environments of structure files"),
    "reduce": ("atomatlas.cli.reduce", "map a descriptor table to 2-D (PCA, kernel PCA, t-SNE, UMAP, MDS)"),
    "fit-classifier": ("atomatlas.cli.fit_classifier", "train a classifier on a labelled table"),
    "label-few": ("atomatlas.cli.label_few", "label many rows from a few expert labels (seed 004)"),
    "anomalies": ("atomatlas.cli.anomalies", "score every row and flag the odd ones (GMM, PCA error, ...)"),
    "segment": ("atomatlas.cli.segment", "segment a micrograph into phases and their area fractions"),
    "classify": ("atomatlas.cli.classify", "classify crystal structures (the shipped ensemble; --model cnn: seed 001's "
                                           "diffraction CNN)"),
    "train-crystal-cnn": ("atomatlas.cli.train_crystal_cnn", "train the crystal-structure CNN on generated data"),
    "identify": ("atomatlas.cli.identify", "label every atom fcc, bcc, hcp, diamond, hex_diamond, sc or other"),
    "train-identify": ("atomatlas.cli.train_identify", "train the per-atom model identify uses, on synthetic atoms"),
    "train-crystal-ensemble": ("atomatlas.cli.train_crystal_ensemble",
                               "train the crystal-class ensemble (the classify default) on generated data"),
    "make-crystals": ("atomatlas.cli.make_crystals", "generate labelled crystal structures as an extxyz file"),
    "predict": ("atomatlas.cli.predict", "label new rows with a saved run"),
    "run": ("atomatlas.cli.run", "run a recipe (shipped name or TOML file)"),
    "demo": ("atomatlas.cli.demo", "run the built-in example end to end"),
    "examples": ("atomatlas.cli.examples", "write the small files the --help examples and README tour name"),
    "report": ("atomatlas.cli.report", "rebuild report.html of a run folder"),
    "list": ("atomatlas.cli.list_methods", "list methods, parameters and recipes"),
    "cache": ("atomatlas.cli.cache", "show or clear the descriptor and dataset cache"),
}

# old names that still work
ALIASES = {"train-crystal-cnn": ["train-classifier"]}

EPILOG = """examples (`atomatlas examples try && cd try` writes the files they name):
  atomatlas demo
  atomatlas cluster data.csv --method kmeans --k auto --labels polytype --out runs/fe
  atomatlas predict runs/fe new.csv --out runs/fe-new
  atomatlas run carbon-label-few --out runs/carbon
  atomatlas environments structures.extxyz --descriptor soap --out runs/atoms
  atomatlas classify Cu.cif POSCAR frames.extxyz --out preds.csv
  atomatlas label-few data.csv --budget 20 --out runs/ask
  atomatlas segment micrograph.png --k 3 --out runs/seg
  atomatlas list

exit status: 0 done; 2 bad input or options (one line says what to do); 3 done, some
inputs skipped (each named); 1 a bug in atomatlas (rerun with --debug and report it).
"""


class Parser(argparse.ArgumentParser):
    """argparse with short errors: a one-line usage and the error, not the whole option list."""

    def error(self, message: str):
        self.exit(2, f"usage: {short_usage(self)}\n{self.prog}: error: {message}\n")


def short_usage(parser: argparse.ArgumentParser) -> str:
    """``prog POSITIONAL --required VALUE [options]``, and where the rest is."""
    parts = [parser.prog]
    for action in parser._actions:
        if not action.option_strings and action.nargs != 0:
            name = action.metavar or action.dest.upper()
            parts.append(f"{name} [{name} ...]" if action.nargs in ("+", "*") else name)
        elif action.required:
            parts.append(f"{action.option_strings[-1]} {action.metavar or action.dest.upper()}")
    return " ".join(parts) + f" [options]  (all options: {parser.prog} --help)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="atomatlas", description="Find structure in materials data: maps, clusters and labels.",
                    epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"atomatlas {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and library warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=module.__doc__.strip(), aliases=ALIASES.get(name, []),
                                 epilog=getattr(module, "EXAMPLES", None),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show tracebacks and library warnings")
        module.add_arguments(command)
        if any("--overwrite" in action.option_strings for action in command._actions):  # writes a run folder
            command.add_argument("--no-report", action="store_true",
                                 help="no report.html (rebuild it later with `atomatlas report RUN_DIR`)")
        command.set_defaults(run=module.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler, `timeout`): unwound like Ctrl-C, so temporary output is removed."""


def _on_sigterm(signum, frame):
    raise Terminated()


# errors of the machine, not of atomatlas: the user can act on them
USER_OS_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
                  errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                  errno.EPERM: "operation not permitted"}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argument error already printed: a status, not an exit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    errors.show_all_warnings = debug
    name = f"atomatlas {args.command}"
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        with _library_notes(name, debug):
            return int(args.run(args) or 0)
    except AtlasError as exc:
        if debug:
            raise
        print(f"{name}: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except SomeInputsSkipped as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        return 0
    except Terminated:
        print(f"{name}: terminated (SIGTERM); nothing was written.", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{name}: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except OSError as exc:
        if debug or exc.errno not in USER_OS_ERRORS:
            return _bug(name, exc, debug)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"{name}: error: {USER_OS_ERRORS[exc.errno]}{where}; nothing was written: free space, fix the "
              "permissions or choose another --out.", file=sys.stderr)
        return 2
    except MemoryError:
        if debug:
            raise
        print(f"{name}: error: out of memory; nothing was written: use a smaller input or a machine with more "
              "memory.", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - anything else is a bug: say so in one line
        return _bug(name, exc, debug)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _bug(name: str, exc: BaseException, debug: bool) -> int:
    if debug:
        raise exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(f"{name}: internal error ({type(exc).__name__}{': ' + first[:200] if first else ''}); this is a bug in "
          "atomatlas: rerun with --debug to see the traceback, and please report it.", file=sys.stderr)
    return 1


class _library_notes:
    """Collect library warnings left after the narrow filters; print each kind once as a short note.

    With --debug nothing is collected: warnings appear as the libraries raise them.
    """

    def __init__(self, name: str, debug: bool):
        self.name, self.debug = name, debug

    def __enter__(self):
        if not self.debug:
            self._catcher = warnings.catch_warnings(record=True)
            self.records = self._catcher.__enter__()
        return self

    def __exit__(self, *exc_info):
        if self.debug:
            return False
        self._catcher.__exit__(*exc_info)
        seen: dict[tuple, int] = {}
        for record in self.records:
            key = (record.category.__name__, _library(record.filename), str(record.message).strip().splitlines()[0])
            seen[key] = seen.get(key, 0) + 1
        for (category, library, message), count in seen.items():
            times = f" ({count} times)" if count > 1 else ""
            advice = "; raise max_iter with --param" if "iteration" in message.lower() else ""
            print(f"{self.name}: note: {library} says: {message[:200]}{times}{advice}", file=sys.stderr)
        return False


def _library(filename: str) -> str:
    """The package a warning came from, from its file path."""
    parts = filename.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    return "atomatlas" if "atomatlas" in parts else "python"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
