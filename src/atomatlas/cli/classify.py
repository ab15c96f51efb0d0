"""Classify crystal structures (sc, bcc, fcc, diamond, hex_rh, bct139, bct141, or unknown).

Reads any file ASE reads (CIF, POSCAR, extxyz with several frames, LAMMPS dumps, ...).
The default model (--model ensemble) describes each structure by the mean and spread of
its atoms' local order (18 neighbours on each atom's own scale, blind to species), so a
primitive cell, a conventional cell, any supercell, any orientation and a cluster
without a cell give the same answer; five networks vote
and a novelty distance says how far the structure is from every crystal it was trained
on. Writes one row per structure: structure (its file), frame, class (``unknown`` when the uncertainty is
above 0.5), probability, uncertainty, novelty, best_class and every class's probability.
--model cnn uses seed 001's diffraction CNN instead (uncertainty from Monte Carlo
dropout); with it, --maps saves each fingerprint beside its class-activation map.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas classify Fe.cif Si.vasp frames.extxyz --out preds.csv
  atomatlas classify 'cells/*.cif' --model cnn --out cells.csv --maps runs/maps
  atomatlas train-crystal-cnn --per-class 10 --epochs 2 --test-per-class 5 --out runs/cnn
  atomatlas classify defective.extxyz --model runs/cnn --mc 50 --out defective.csv
  atomatlas classify 'cells/*.cif' --scheduler local --workers 2 --out cells-dask.csv
"""


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="structure files or globs (any format ASE reads)")
    parser.add_argument("--format", help="ASE format name when the file name does not tell")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="run folder to write (labels.csv, metrics.json, config.toml); NAME.csv writes the "
                             "folder NAME.run/ and a copy of its labels.csv as NAME.csv")
    parser.add_argument("--overwrite", action="store_true", help="replace --out (and --maps) if they exist")
    parser.add_argument("--model", metavar="MODEL", help="ensemble (default), cnn (seed 001's diffraction CNN), or "
                                                          "a folder from train-crystal-ensemble or train-crystal-cnn")
    parser.add_argument("--mc", type=int, default=20, help="CNN only: Monte Carlo dropout samples (default 20; 0 = off)")
    parser.add_argument("--maps", metavar="DIR", nargs="?", const="",
                        help="CNN only (so without --model it means --model cnn): fingerprint + class-activation map images, in the "
                             "run folder's maps/ or in DIR")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="worker processes for the ensemble, torch threads for the CNN (default 2)")
    from atomatlas.cli.common import add_scheduler_arguments

    add_scheduler_arguments(parser, "files are streamed to the workers (the ensemble only)", clustering=False,
                            resume=False)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.common import report_skipped, scheduler, table_path
    from atomatlas.cli.summaries import classification
    from atomatlas.errors import AtlasError

    if args.mc < 0:
        raise AtlasError(f"--mc must be 0 or more; got {args.mc}.")
    result = api.classify_structures([table_path(f) for f in args.files], args.out,
                                     model=args.model if args.model in (None, "cnn", "ensemble")
                                     else table_path(args.model),
                                     mc_samples=args.mc, maps=args.maps, n_jobs=args.n_jobs, format=args.format,
                                     **scheduler(args), overwrite=args.overwrite, report=not args.no_report,
                                     progress=True)
    csv = args.out if str(args.out).lower().endswith(".csv") else None
    maps = args.maps or (f"{result.path}/maps" if args.maps == "" else None)
    print(classification(result, csv=csv, maps=maps))
    report_skipped(result.skipped, used=len(result.labels), what="structures")
    return 0
