"""Classify crystal structures (sc, bcc, fcc, diamond, hex_rh, bct139, bct141) with the diffraction CNN.

Reads any file ASE reads (CIF, POSCAR, extxyz with several frames, ...). A small
periodic cell is made conventional (spglib) and repeated to about 250 atoms; a larger
periodic cell (a defective supercell, say) is used as it is, in its cell's standard
orientation; a structure without a cell is used as the cluster it is. Writes one row
per structure: file, frame, class, probability, uncertainty (the spread of the class
probability over Monte Carlo dropout samples) and the probability of every class.
--maps DIR saves each fingerprint beside its class-activation map.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas classify Fe.cif Si.vasp frames.extxyz --out preds.csv
  atomatlas classify 'cells/*.cif' --out cells.csv --maps runs/maps
  atomatlas train-classifier --per-class 10 --epochs 2 --test-per-class 5 --out runs/cnn
  atomatlas classify defective.extxyz --model runs/cnn --mc 50 --out defective.csv
"""


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="structure files or globs (any format ASE reads)")
    parser.add_argument("--format", help="ASE format name when the file name does not tell")
    parser.add_argument("--out", required=True, metavar="CSV", help="predictions to write (.csv)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out (and --maps) if they exist")
    parser.add_argument("--model", metavar="DIR", help="model folder from train-classifier (default: the shipped one)")
    parser.add_argument("--mc", type=int, default=20, help="Monte Carlo dropout samples (default 20; 0 = off)")
    parser.add_argument("--maps", metavar="DIR", help="write fingerprint + class-activation map images here")
    parser.add_argument("--n-jobs", type=int, default=1, help="torch threads (default 1)")


def run(args) -> int:
    from pathlib import Path

    from atomatlas.cli.common import report_skipped
    from atomatlas.crystals import classify
    from atomatlas.errors import AtlasError

    if args.mc < 0:
        raise AtlasError(f"--mc must be 0 or more; got {args.mc}.")
    files = [str(Path(f).absolute()) if not any(c in f for c in "*?[") else f for f in args.files]
    skipped = []
    frame = classify(files, args.out, model_dir=args.model, mc_samples=args.mc, maps=args.maps,
                     n_jobs=args.n_jobs, format=args.format, overwrite=args.overwrite, skipped=skipped)
    for row in frame.itertuples(index=False):
        print(f"{Path(row.file).name} #{row.frame}: {row[2]} (probability {row.probability:.3f}, "
              f"uncertainty {row.uncertainty:.3f})")
    print(f"wrote {args.out}" + (f" and maps in {args.maps}/" if args.maps else ""))
    report_skipped(skipped, used=len(frame), what="structures")
    return 0
