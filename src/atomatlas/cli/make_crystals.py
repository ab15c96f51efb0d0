"""Generate labelled crystal structures of the seven classes as one extxyz dataset file.

Each frame is a randomly oriented supercell of about 250 atoms with info fields
crystal_class, subclass (hcp, graphite, rhombohedral, ...), vacancies and displacement.
Classes are balanced; the same seed gives the same file; every pristine cell was
checked with spglib.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas make-crystals --per-class 10 --out crystals.extxyz
  atomatlas make-crystals --per-class 10 --vacancies 0.25,0.25 --out vacancies25.extxyz
  atomatlas classify crystals.extxyz --out preds.csv
"""


def add_arguments(parser) -> None:
    parser.add_argument("--per-class", type=int, default=100, help="structures per class (default 100)")
    common.add_defect_arguments(parser, vacancies=(0.0, 0.0), displacement=(0.0, 0.0))
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, metavar="FILE", help=".extxyz file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def run(args) -> int:
    import os
    from pathlib import Path

    import ase.io

    from atomatlas.datasets.prototypes import generate
    from atomatlas.errors import AtlasError

    out = Path(args.out)
    if out.suffix != ".extxyz":
        raise AtlasError(f"--out {out}: give a .extxyz file name.")
    if out.exists() and not args.overwrite:
        raise AtlasError(f"{out} exists; pass --overwrite to replace it or choose another --out.")
    if args.per_class < 1:
        raise AtlasError(f"--per-class must be at least 1; got {args.per_class}.")
    structures = generate(args.per_class, seed=args.seed, vacancies=args.vacancies, displacement=args.displacement)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    ase.io.write(tmp, structures, format="extxyz")
    tmp.replace(out)
    print(f"wrote {len(structures)} structures to {out}")
    return 0
