"""Write the small files that the --help examples and the README tour name into a folder.

data.csv and new.csv (a descriptor table), Cu.cif, POSCAR, Fe.cif, Si.vasp, frames/ and
frames.extxyz, dump.lammpstrj (a LAMMPS dump), slab.vasp, micrograph.png and a few more:
every documented command then runs as written from inside that folder. Existing files
are never replaced.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas examples try
  cd try && atomatlas environments dump.lammpstrj --k auto --out runs/dump
"""


def add_arguments(parser) -> None:
    parser.add_argument("folder", help="folder to write the example files into (created; must not hold them yet)")


def run(args) -> int:
    from atomatlas import api

    written = api.examples(args.folder)
    print(f"wrote {len(written)} example files to {args.folder}/: " + ", ".join(written))
    print(f"  try: cd {args.folder} && atomatlas --help   (every example there runs from this folder)")
    return 0
