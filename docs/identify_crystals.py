"""docs/identify-crystals.md: `atomatlas identify` on perfect (0 K) and slightly displaced crystals.

    .venv/bin/python docs/identify_crystals.py        # the shipped model: writes the page (about 20 s)
    .venv/bin/python docs/identify_crystals.py DIR    # a train-identify folder under trial: development set only

Development set: every element whose ASE reference state is fcc, bcc, hcp, diamond or sc, built by
``ase.build.bulk`` (its real lattice constant and c/a) and repeated 4 x 4 x 4. Test set, frozen before
the second design was scored (see the page): the crystal-class prototypes of another seed
(``held_out_crystals.prototype_crystals``) written as every periodic input kind of the stress set
(conventional, primitive repeated, skewed and large supercells), rotated. Each pristine, with
Gaussian displacements of 2% and 5% of the bond per component, and with 5% and 10% of its atoms
removed (and 2% displacements).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

DOCS = Path(__file__).parent
IDENTIFY_CLASSES = ("fcc", "bcc", "hcp", "diamond", "sc")
DEFECTS = ((0.0, 0.0), (0.02, 0.0), (0.05, 0.0), (0.02, 0.05), (0.02, 0.10))  # (displacement / bond, vacancies)
PERIODIC_KINDS = ("conventional supercell (~250 atoms)", "primitive repeated n x n x n (n = 4-10)",
                  "skewed supercell matrix (50-5000 atoms)", "large supercell (~2000 atoms)")


def development_set() -> list[tuple[str, str, object]]:
    """(name, class, atoms) of every element's ASE reference state in identify's classes."""
    from ase.build import bulk
    from ase.data import chemical_symbols, reference_states

    out = []
    for number, state in enumerate(reference_states):
        if state and state["symmetry"] in IDENTIFY_CLASSES:
            try:
                out.append((chemical_symbols[number], state["symmetry"], bulk(chemical_symbols[number]).repeat(4)))
            except (ValueError, KeyError, RuntimeError):  # Se, Te: ASE holds no basis for them
                continue
    return out


def test_set() -> list[tuple[str, str, object]]:
    """(name, class, atoms): the prototypes of another seed in identify's classes, in every periodic input kind."""
    from atomatlas.datasets.held_out_crystals import INPUT_KINDS, _rotated, prototype_crystals

    rng = np.random.default_rng(2026)
    out = []
    for crystal in prototype_crystals(per_prototype=3, seed=777):
        if crystal.name in IDENTIFY_CLASSES or crystal.name == "hcp":
            for kind in PERIODIC_KINDS:
                atoms = _rotated(INPUT_KINDS[kind](crystal, rng), rng)
                out.append((f"{crystal.name} ({kind.split(' (')[0]})", crystal.name, atoms))
    return out


def scores(crystals, model, classes) -> pd.DataFrame:
    from atomatlas.descriptors.local_order import LocalOrder
    from atomatlas.datasets.prototypes import nearest_neighbour

    rng = np.random.default_rng(0)
    records = []
    for name, truth, atoms in crystals:
        bond = nearest_neighbour(atoms)
        for displacement, vacancies in DEFECTS:
            moved = atoms[rng.uniform(size=len(atoms)) >= vacancies]
            moved.positions += rng.normal(0.0, displacement * bond, moved.positions.shape)
            proba, uncertainty, _ = model.predict(LocalOrder().per_atom(moved))
            labels = np.asarray(classes)[proba.argmax(1)]
            records.append({"name": name, "class": truth, "defect": _defect(displacement, vacancies),
                            "right": float((labels == truth).mean()), "uncertainty": float(uncertainty.mean()),
                            "wrong_as": ", ".join(sorted(set(labels[labels != truth])))})
    return pd.DataFrame(records)


def _defect(displacement: float, vacancies: float) -> str:
    if not displacement and not vacancies:
        return "perfect"
    return f"displaced {displacement:.0%}" + (f", {vacancies:.0%} vacancies" if vacancies else "")


def table(results: pd.DataFrame) -> list[str]:
    lines = ["| class | defects | crystals | atoms right (mean) | crystals >= 90% right | "
             "mean uncertainty | wrong ones |", "|---|---|---|---|---|---|---|"]
    for (truth, defect), group in results.groupby(["class", "defect"], sort=False):
        wrong = group[group["right"] < 0.9]
        named = ", ".join(f"{n} x{len(g)} ({g['right'].mean():.0%} right; as {', '.join(sorted(set(g['wrong_as'])))})"
                          for n, g in wrong.groupby("name", sort=False)) or "-"
        lines.append(f"| {truth} | {defect} | {len(group)} | {group['right'].mean():.1%} | "
                     f"{(group['right'] >= 0.9).sum()} of {len(group)} | {group['uncertainty'].mean():.2f} | "
                     f"{named} |")
    return lines


def page(development: pd.DataFrame, test: pd.DataFrame, meta: dict) -> str:
    training = meta["training"]
    return "\n".join([
        "# identify on perfect and slightly displaced crystals",
        "",
        "Regenerated by `.venv/bin/python docs/identify_crystals.py`; do not edit by hand.",
        "",
        "Structures from a database or a relaxation are perfect: every neighbour shell ties exactly. "
        "Each atom is labelled by the shipped model (argmax of the class probability); a crystal counts "
        "as right when at least 90% of its atoms get its class. The uncertainty is the model's "
        "(above 0.5: the answer should not be trusted).",
        "",
        "**How the model got here.** The model shipped before this page existed was trained on thermal "
        "crystals only (displacements drawn from 0 to 0.1 bond, six crystals per lattice) and hcp with c/a "
        "1.57-1.67; on the development set it called every 0 K diamond element `other` and 0 K Zn and Cd "
        "(c/a 1.86, 1.89) not hcp, and gave 0 K fcc and bcc uncertainties above 0.5. Designs tried, each "
        "judged on the development set below and on docs/identify.md's molecular dynamics (development data "
        "too), in order: (1) a quarter of the thermal crystals left perfect, hcp c/a 1.55-1.90: diamond "
        "right, Zn and Cd still not, 0 K fcc still uncertain; (2) instead ten small perfect crystals per "
        "thermal one: all right but perfect diamond, now called hex_diamond; (3) half of the perfect crystals "
        "unstrained: every perfect crystal right, but crystals with 5% vacancies and crystals at 0.9 Tm lost "
        "atoms to `other`; (4) vacancies in half the thermal crystals: vacancies right, hot hcp worse; (5) "
        "displacements stratified, so every model sees crystals up to melting; (6) vacancies only in the "
        "cooler half; (7) two hcp crystals in three with c/a 1.57-1.67, the rest up to 1.90, trained with six "
        "and, shipped, with ten thermal crystals per lattice: the only one of designs 4-7 that kept 0.9 Tm "
        "molecular dynamics near the old model's. The test set was written before design 2 was scored and "
        "was scored on it once (perfect diamond as hex_diamond there too); its vacancy rows were added before "
        "design 4; the shipped design was scored on it once, below. "
        f"Training: {training['per_lattice']} thermal crystals per lattice, "
        f"{training.get('perfect_per_thermal', '?')} perfect ones per thermal one.",
        "",
        "## Test set: prototypes of another seed, every periodic input kind, rotated",
        "",
        *table(test),
        "",
        "## Development set: every element's ASE reference state (bulk(symbol) repeated 4 x 4 x 4)",
        "",
        *table(development),
        "",
    ])


def main() -> int:
    from atomatlas.runs.identify import load_model

    model, meta = load_model(sys.argv[1] if len(sys.argv) > 1 else None)
    classes = meta["classes"]
    development = scores(development_set(), model, classes)
    if len(sys.argv) > 1:  # a model under trial: its development scores only, and the page left alone
        print("\n".join(table(development)))
        return 0
    (DOCS / "identify-crystals.md").write_text(page(development, scores(test_set(), model, classes), meta))
    print(f"wrote {DOCS / 'identify-crystals.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
