"""Label every atom by its local structure: fcc, bcc, hcp, diamond, hex_diamond, sc or other.

Reads any file ASE reads (extxyz and LAMMPS dump trajectories, CIF, POSCAR, ...); --index
picks frames as ASE does (":" all, "-1" the last, "::10" every tenth). Each atom's local
order (distances and Steinhardt q_l of its 18 nearest neighbours on its own scale, averaged
with its neighbours', blind to species) goes through the shipped atom ensemble (trained only on synthetic thermal lattices, cluster surfaces and disorder:
`atomatlas train-identify` rebuilds it). `other` covers liquid, amorphous, surface, defect
cores and grain boundaries. Among fcc and hcp atoms, each atom's own 12 neighbours tell
whether its close-packed layer stacks as hcp; the layers around such atoms name the fcc
planar fault they make (fault: intrinsic, extrinsic, twin, multilayer or none). Writes a
run folder: labels.csv (structure, frame, atom, x, y, z, class, probability, uncertainty,
fault), structures.extxyz with class, probability, uncertainty and fault as per-atom arrays
(open it in OVITO and colour by them), fractions.csv (each class's share per frame) and,
for trajectories, fractions.png.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas identify dump.lammpstrj --out runs/identify
  atomatlas identify interface.extxyz 'frames/*.extxyz' --out runs/identify-files
  atomatlas identify dump.lammpstrj --index -1 --out runs/identify-last
  atomatlas identify polycrystal.extxyz --grains --out runs/identify-grains
  atomatlas identify dump.lammpstrj --scheduler local --workers 2 --out runs/identify-dask
"""


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="structure files, trajectories or globs (any format ASE reads)")
    parser.add_argument("--format", help="ASE format name when the file name does not tell (e.g. lammps-dump-text)")
    parser.add_argument("--index", default=":", help="frames to read, as in ASE (default ':' = all)")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it is a run folder")
    parser.add_argument("--model", metavar="DIR", help="model folder from train-identify (default: the shipped one)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="threads sharing the frames of a trajectory (default 2)")
    parser.add_argument("--grains", action="store_true",
                        help="also each crystalline atom's lattice orientation (qw, qx, qy, qz) and grain id, "
                             "grains.csv and grain_boundaries.csv (misorientations)")
    from atomatlas.cli.common import add_scheduler_arguments

    add_scheduler_arguments(parser, "frames are streamed to the workers, labels written there", clustering=False,
                            resume="both")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.common import report_skipped, scheduler, table_path
    from atomatlas.cli.summaries import identification

    result = api.identify([table_path(f) for f in args.files], args.out, index=args.index,
                          model=None if args.model is None else table_path(args.model), n_jobs=args.n_jobs,
                          grains=args.grains,
                          format=args.format, **scheduler(args), overwrite=args.overwrite,
                          report=not args.no_report, progress=True)
    print(identification(result))
    report_skipped(result.skipped, used=result.metrics["n_frames"], what="frames")
    return 0
