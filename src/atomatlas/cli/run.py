"""Run a recipe: a shipped name (see `atomatlas list recipes`) or a TOML config file.

A run folder's config.toml is itself a recipe: `atomatlas run OUT/config.toml` repeats it.
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas run fe-phases --out runs/fe
  atomatlas run carbon-label-few --out runs/carbon --seed 1
  atomatlas run my-recipe.toml --out runs/mine --overwrite
  atomatlas run runs/fe/config.toml --out runs/fe-again      # a run folder's config repeats the run
"""


def add_arguments(parser) -> None:
    parser.add_argument("recipe", help="recipe name or path to a .toml file")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--seed", type=int, help="override the recipe's seed")


def run(args) -> int:
    from atomatlas import recipes
    from atomatlas.cli.common import report
    from atomatlas.pipeline import run_config
    from atomatlas.recipes.schema import is_predict_only

    config, base = recipes.load(args.recipe)
    if args.seed is not None:
        config["seed"] = args.seed
    result = run_config(config, args.out, overwrite=args.overwrite, base=base, progress=True)
    if is_predict_only(config):
        from atomatlas.cli.predict import summary

        print(summary(result))
        return 0
    report(result, what=f"run {config['name']}")
    if (result.path / "predict").exists():
        print(f"  new rows labelled by the saved model: {result.path}/predict/labels.csv")
    return 0
