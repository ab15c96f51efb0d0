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
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run on the same --out from "
                        "the chunks it finished, where its kind keeps them (docs/scale.md)")


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import report

    result = api.run_recipe(args.recipe, args.out, seed=args.seed, overwrite=args.overwrite, report=not args.no_report,
                            progress=True, resume=args.resume)
    print(report(result, what=f"run {result.metrics.get('name', args.recipe)}"))
    if (result.path / "predict").exists():
        print(f"  new rows labelled by the saved model: {result.path}/predict/labels.csv")
    return 0
