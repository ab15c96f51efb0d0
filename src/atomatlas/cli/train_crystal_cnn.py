"""Train the crystal-structure CNN (seed 001) on generated diffraction fingerprints.

Generates --per-class structures of each of the seven classes (sc, bcc, fcc, diamond,
hex_rh, bct139, bct141) with random orientations, vacancies and displacements,
computes their diffraction fingerprints, trains the CNN and scores it on fresh test
sets (pristine, 25% vacancies, 5% displacements). Writes crystal_cnn.npz (weights),
crystal_cnn.json (classes, settings, training record), metrics.json and training.png;
`atomatlas classify --model DIR` then uses it. The model shipped in the package is made
by `make model`, which runs this command with its defaults. (Called train-classifier
before 0.2; that name still works. `fit-classifier` trains a classifier on a table.)
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas train-crystal-cnn --per-class 10 --epochs 2 --test-per-class 5 --out runs/cnn-small
  atomatlas classify my.cif --model runs/cnn-small --out preds.csv
  make model        # the shipped model: --per-class 500 --epochs 5 (about 6 minutes on 2 cores)
"""


def add_arguments(parser) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--per-class", type=int, default=500, help="training structures per class (default 500)")
    group.add_argument("--epochs", type=int, default=5, help="passes over the training set (default 5)")
    group.add_argument("--test-per-class", type=int, default=50, help="test structures per class and set (50)")
    common.add_defect_arguments(group, vacancies=(0.0, 0.5), displacement=(0.0, 0.08))
    group.add_argument("--n-jobs", type=int, default=2, help="processes and threads (default 2)")
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=True, metavar="DIR", help="model folder to write (atomically)")
    group.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import training

    result = api.train_crystal_cnn(args.out, per_class=args.per_class, epochs=args.epochs,
                                   test_per_class=args.test_per_class, vacancies=args.vacancies,
                                   displacement=args.displacement, n_jobs=args.n_jobs, seed=args.seed,
                                   overwrite=args.overwrite, report=not args.no_report, progress=True)
    print(training(result))
    return 0
