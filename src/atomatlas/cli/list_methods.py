"""List the methods of every step with their parameters and defaults, and the shipped recipes."""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas list            # everything
  atomatlas list cluster    # clustering methods only
  atomatlas list anomaly    # anomaly detectors
  atomatlas list recipes
"""

STEPS = ("descriptor", "scale", "reduce", "cluster", "classifier", "anomaly", "recipes")


def add_arguments(parser) -> None:
    parser.add_argument("what", nargs="?", choices=STEPS, help="one step (default: all)")


def run(args) -> int:
    from atomatlas import recipes
    from atomatlas.learn.outliers import DETECTORS
    from atomatlas.learn.cluster import CLUSTERERS
    from atomatlas.learn.reduce import REDUCERS
    from atomatlas.learn.scale import SCALERS
    from atomatlas.learn.supervised import CLASSIFIERS

    from atomatlas.descriptors.methods import DESCRIPTORS
    registries = {"descriptor": DESCRIPTORS, "scale": SCALERS, "reduce": REDUCERS, "cluster": CLUSTERERS,
                  "classifier": CLASSIFIERS, "anomaly": DETECTORS}
    for step in [args.what] if args.what else STEPS:
        if step == "recipes":
            print("recipes (atomatlas run NAME --out DIR):")
            for name in recipes.names():
                config, _ = recipes.load(name)
                print(f"  {name:24s} {config.get('description', '')}")
            continue
        print(f"{step} methods:")
        for method in registries[step]:
            needs = f" (needs {method.requires})" if method.requires else ""
            print(f"  {method.name:18s} {method.summary}{needs}")
            for key, default in method.defaults.items():
                choices = f"  one of {list(method.choices[key])}" if key in method.choices else ""
                print(f"      {key} = {default!r}{choices}")
            if method.auto_k:
                print(f"      k = 'auto' chooses by: {', '.join(method.auto_k)}")
        print()
    return 0
