"""Train the crystal-class ensemble that `atomatlas classify` uses by default.

Generates --per-class structures of each of the seven classes (sc, bcc, fcc, diamond,
hex_rh, bct139, bct141): rotated periodic supercells and clusters without a cell, a
quarter pristine, the rest with vacancies and displacements drawn from the ranges.
Describes each by the mean and spread of its atoms' local order (scale-free, blind to
species: any cell, orientation or size gives the same vector), trains --members networks and
sets the novelty threshold on --calibration-per-class more. --outside lattices displaced far
beyond melting and random packings form an eighth class, `outside`, whose probability counts against every
crystal class (so disorder comes out `unknown`). Writes crystal_ensemble.npz,
crystal_ensemble.json and metrics.json; `atomatlas classify --model DIR` then uses it.
The shipped model is made by `make model`, which runs this command with its defaults.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas train-crystal-ensemble --per-class 8 --calibration-per-class 4 --members 2 --out runs/ensemble-small
  atomatlas classify my.cif --model runs/ensemble-small --out preds.csv
  make model        # the shipped model: --per-class 300 (about 3 minutes on 2 cores)
"""


def add_arguments(parser) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--per-class", type=int, default=300, help="training structures per class (default 300)")
    group.add_argument("--calibration-per-class", type=int, default=40,
                       help="structures per class that set the novelty threshold (default 40)")
    group.add_argument("--members", type=int, default=5, help="networks in the ensemble (default 5)")
    common.add_defect_arguments(group, vacancies=(0.0, 0.5), displacement=(0.0, 0.08))
    group.add_argument("--outside", type=int, default=300,
                       help="melted lattices and random packings in the class `outside`, so disorder is not "
                            "taken for a crystal (default 300; 0: none)")
    group.add_argument("--n-jobs", type=int, default=2, help="processes (default 2)")
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=True, metavar="DIR", help="model folder to write (atomically)")
    group.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import ensemble_training

    result = api.train_crystal_ensemble(args.out, per_class=args.per_class,
                                        calibration_per_class=args.calibration_per_class, members=args.members,
                                        vacancies=args.vacancies, displacement=args.displacement,
                                        outside=args.outside, n_jobs=args.n_jobs, seed=args.seed,
                                        overwrite=args.overwrite, report=not args.no_report, progress=True)
    print(ensemble_training(result))
    return 0
