"""Train the per-atom model that `atomatlas identify` uses, on synthetic atoms only.

Per lattice (fcc, bcc, hcp, diamond, hex_diamond, sc): --per-lattice rotated supercells,
strained up to 3% and displaced like atoms at temperature (Gaussian, up to 10% of the bond
per component, stratified; the cooler half with up to 10% vacancies), ten times as many
small perfect crystals (as 0 K structures are), and one cluster whose surface atoms are
`other`; hcp over every element's c/a (1.55-1.90); as `other` too: random
packings, lattices displaced far beyond melting and EMT liquids and glasses from short
ASE molecular dynamics. Each atom's local order (identify's descriptor) trains --members
networks; a second synthetic set sets the novelty
threshold. Writes atom_ensemble.npz, atom_ensemble.json and metrics.json. The shipped
model is made by `make model`, which runs this command with its defaults.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas train-identify --per-lattice 1 --liquid-snapshots 0 --members 1 --out runs/identify-model
  atomatlas identify interface.extxyz --model runs/identify-model --out runs/identify-own
"""


def add_arguments(parser) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--per-lattice", type=int, default=10, help="thermal supercells per lattice (default 10)")
    group.add_argument("--calibration-per-lattice", type=int, default=1,
                       help="supercells per lattice that set the novelty threshold (default 1)")
    group.add_argument("--liquid-snapshots", type=int, default=3,
                       help="liquid frames per EMT metal from molecular dynamics in ASE (default 3; 0: none, quick)")
    group.add_argument("--members", type=int, default=5, help="networks in the ensemble (default 5)")
    group.add_argument("--n-jobs", type=int, default=2,
                        help="threads describing the synthetic frames (default 2)")
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=True, metavar="DIR", help="model folder to write (atomically)")
    group.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import identify_training

    result = api.train_identify(args.out, per_lattice=args.per_lattice,
                                calibration_per_lattice=args.calibration_per_lattice,
                                liquid_snapshots=args.liquid_snapshots, members=args.members,
                                n_jobs=args.n_jobs, seed=args.seed, overwrite=args.overwrite,
                                report=not args.no_report, progress=True)
    print(identify_training(result))
    return 0
