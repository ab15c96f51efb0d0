"""The crystal-class stress test: crystals written the way users hand them in (a development set, mostly an
invariance check: see the page).

Used by docs/crystals.py (``make docs``) for the tables in docs/crystal-classes.md; run alone
(``.venv/bin/python docs/crystal_stress.py``) it prints them. Sources, input kinds and
defects: :mod:`atomatlas.datasets.held_out_crystals`. Models: the shipped ensemble, the
shipped diffraction CNN, and spglib at two tolerances (spglib needs a periodic cell, so a
cluster counts as not recognised).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.datasets.held_out_crystals import (INPUT_KINDS, element_crystals, prototype_crystals,
                                                  space_group_class, stress_set)
from atomatlas.datasets.prototypes import CLASSES
from atomatlas.io.structures import Frame
from atomatlas.runs.crystal_classes import _prepared
from atomatlas.runs.crystal_cnn import fingerprint_structures
from atomatlas.runs.shipped import shipped_model_dir

SPGLIB = {"spglib 0.1 A": 0.1, "spglib 1e-4 A": 1e-4}
MAX_FINGERPRINT_ATOMS = 5000


def ensemble_answers(structures):
    from atomatlas.descriptors.structure_order import StructureOrder
    from atomatlas.learn import crystal_ensemble

    model, _ = crystal_ensemble.load(shipped_model_dir())
    proba, uncertainty, _ = model.predict(StructureOrder().create(structures, n_jobs=2))
    return proba[:, model.in_class()], uncertainty  # the crystal classes; `outside` shows in the uncertainty


def cnn_answers(structures):
    from atomatlas.learn.nn import crystal_cnn

    model, _ = crystal_cnn.load(shipped_model_dir())
    usable = np.array([len(atoms) <= MAX_FINGERPRINT_ATOMS for atoms in structures])  # the CNN refuses more
    X = fingerprint_structures([_prepared(Frame(a, "stress", 0)) for a, ok in zip(structures, usable) if ok], n_jobs=2)
    proba, uncertainty = np.zeros((len(structures), len(CLASSES))), np.ones(len(structures))
    if usable.any():
        found, spread = crystal_cnn.predict(model, X, mc_samples=20, n_jobs=2)
        best = found.argmax(1)
        proba[usable], uncertainty[usable] = found, spread[np.arange(len(best)), best]
    return proba, uncertainty


SPGLIB_SECONDS = 3  # spglib can run for an hour on some large supercells at a loose tolerance
SPGLIB_TIMEOUTS = []


def _spglib_in_child(atoms, tolerance: float, answer) -> None:
    answer.put(space_group_class(atoms, tolerance))


def _spglib_pair(pair, tolerance: float) -> list:
    """spglib's class for up to two structures, each in a child process stopped after SPGLIB_SECONDS."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    running = []
    for atoms in pair:
        answer = context.Queue()
        child = context.Process(target=_spglib_in_child, args=(atoms, tolerance, answer))
        child.start()
        running.append((atoms, child, answer))
    names = []
    for atoms, child, answer in running:
        child.join(SPGLIB_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()
            SPGLIB_TIMEOUTS.append((atoms.info.get("name"), atoms.info.get("kind"), len(atoms), tolerance))
            names.append(None)
        else:
            names.append(answer.get() if not answer.empty() else None)
    return names


def spglib_answers(structures, tolerance: float) -> np.ndarray:
    periodic = [i for i, a in enumerate(structures) if a.pbc.all()]
    names = [None] * len(structures)
    for start in range(0, len(periodic), 2):
        chosen = periodic[start:start + 2]
        for i, name in zip(chosen, _spglib_pair([structures[i] for i in chosen], tolerance)):
            names[i] = name
    return np.array([CLASSES.index(n) if n else -1 for n in names])


def outside_structures(seed: int = 0) -> list:
    """Structures in none of the seven classes: A15, sigma phase, random gas, liquid and quenched Cu."""
    from ase.spacegroup import crystal

    from atomatlas.datasets.held_out_crystals import _rotated, random_gas
    from atomatlas.datasets.prototypes import as_cluster, supercell

    rng = np.random.default_rng(seed)
    a15 = crystal(["W", "W"], [(0, 0, 0), (0.25, 0, 0.5)], spacegroup=223, cellpar=[5.04, 5.04, 5.04, 90, 90, 90])
    sigma = crystal(["Fe"] * 5, [(0, 0, 0), (0.3986, 0.3986, 0), (0.4635, 0.1312, 0), (0.7399, 0.0661, 0),
                                 (0.1827, 0.1827, 0.2520)], spacegroup=136, cellpar=[8.80, 8.80, 4.56, 90, 90, 90])
    out = []
    for name, cell in (("A15", a15), ("sigma phase", sigma)):
        out += [(name, _rotated(supercell(cell, 250), rng)), (name, _rotated(supercell(cell, 2000), rng)),
                (name, _rotated(as_cluster(supercell(cell, 3000), rng, 400), rng))]
    out += [("random gas", random_gas(250, rng)) for _ in range(4)]
    for name, atoms in _molten_copper(rng):
        out.append((name, atoms))
    return out


def _molten_copper(rng):
    """Cu melted at 3000 K and quenched to 300 K with ASE's EMT (short Langevin runs)."""
    from ase import units
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin
    try:  # ASE 3.29 renamed it
        from ase.md.velocitydistribution import thermalize_momenta as thermalise
    except ImportError:
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalise

    atoms = bulk("Cu", "fcc", a=3.70, cubic=True).repeat(4)
    atoms.calc = EMT()
    thermalise(atoms, temperature_K=3000, rng=rng)
    hot = Langevin(atoms, 2 * units.fs, temperature_K=3000, friction=0.02, rng=rng, fixcm=False)
    snapshots = []
    for _ in range(4):
        hot.run(300)
        snapshots.append(("liquid Cu (3000 K)", atoms.copy()))
    cold = Langevin(atoms, 2 * units.fs, temperature_K=300, friction=0.2, rng=rng, fixcm=False)
    for _ in range(2):
        cold.run(300)
        snapshots.append(("quenched Cu (amorphous)", atoms.copy()))
    return snapshots


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(total)


def run():
    """(accuracy table, uncertainty table, outside table) as DataFrames."""
    from sklearn.metrics import roc_auc_score

    crystals = element_crystals() + prototype_crystals()
    sets = stress_set(crystals, seed=0)
    outside = outside_structures()
    records, pooled = [], {"ensemble": [], "CNN": []}
    for (kind, defect), structures in sets.items():
        truth = np.array([CLASSES.index(a.info["crystal_class"]) for a in structures])
        answers = {"ensemble": ensemble_answers(structures), "CNN": cnn_answers(structures)}
        for name, (proba, uncertainty) in answers.items():
            best = np.where(proba.sum(axis=1) > 0, proba.argmax(1), -1)  # -1: the model refused the input
            records.append({"kind": kind, "defect": defect, "model": name, "accuracy": float((best == truth).mean()),
                            "n": len(truth)})
            pooled[name].append((proba.max(1), uncertainty, best == truth))
        for name, tolerance in SPGLIB.items():
            records.append({"kind": kind, "defect": defect, "model": name, "n": len(truth),
                            "accuracy": float((spglib_answers(structures, tolerance) == truth).mean())})
        print(f"  {kind}, {defect}", flush=True)
    outside_answers = {"ensemble": ensemble_answers([a for _, a in outside]),
                       "CNN": cnn_answers([a for _, a in outside])}
    quality, flagged = [], []
    for name, parts in pooled.items():
        confidence, uncertainty, right = (np.concatenate(p) for p in zip(*parts))
        outside_u = outside_answers[name][1]
        scores = np.concatenate([uncertainty, outside_u])
        bad = np.concatenate([~right, np.ones(len(outside_u), bool)])
        threshold = 0.5
        quality.append({"model": name, "ece": expected_calibration_error(confidence, right),
                        "auroc": float(roc_auc_score(bad, scores)),
                        "flagged_wrong": float((uncertainty[~right] > threshold).mean()) if (~right).any() else None,
                        "flagged_right": float((uncertainty[right] > threshold).mean()),
                        "flagged_outside": float((outside_u > threshold).mean())})
        for (label, _), u, p in zip(outside, outside_u, outside_answers[name][0]):
            flagged.append({"model": name, "structure": label, "flagged": bool(u > threshold),
                            "said": CLASSES[int(p.argmax())]})
    return pd.DataFrame(records), pd.DataFrame(quality), pd.DataFrame(flagged)


def table_lines(accuracy: pd.DataFrame) -> list[str]:
    models = list(accuracy["model"].unique())
    lines = ["| input kind | defects | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]
    for (kind, defect), part in accuracy.groupby(["kind", "defect"], sort=False):
        values = part.set_index("model")["accuracy"]
        lines.append(f"| {kind} | {defect} | " + " | ".join(f"{100 * values[m]:.1f}%" for m in models) + " |")
    return lines


TARGETS = {"pristine": 0.99, "vacancies 25%": 0.95, "displacement 5%": 0.95}


def targets_lines(accuracy: pd.DataFrame) -> list[str]:
    """Which of the issue's targets the ensemble meets, computed from the table."""
    ours = accuracy[accuracy["model"] == "ensemble"].set_index(["kind", "defect"])["accuracy"]
    spglib_best = accuracy[accuracy["model"].str.startswith("spglib")].groupby(["kind", "defect"])["accuracy"].max()
    lines = []
    for defect, floor in TARGETS.items():
        part = ours.xs(defect, level="defect")
        misses = [f"{kind} ({100 * value:.1f}%)" for kind, value in part.items() if value < floor]
        lines.append(f"- {defect}: target >= {100 * floor:g}% on every input kind: "
                     + ("met" if not misses else "not met for " + ", ".join(misses)) + ".")
    pristine = [(kind, ours[(kind, "pristine")], spglib_best[(kind, "pristine")]) for kind in INPUT_KINDS]
    below = [f"{kind} ({100 * a:.1f}% against {100 * b:.1f}%)" for kind, a, b in pristine if a < b]
    lines.append("- pristine, never below spglib: " + ("met." if not below else "not met for " + ", ".join(below) + "."))
    return lines


AUROC_TARGET = 0.9


def uncertainty_target_line(quality: pd.DataFrame) -> str:
    auroc = float(quality.set_index("model").loc["ensemble", "auroc"])
    return (f"Target: AUROC >= {AUROC_TARGET:g} for the ensemble: " + ("met" if auroc >= AUROC_TARGET else "not met")
            + f" ({auroc:.3f}).")


def page_lines(accuracy: pd.DataFrame, quality: pd.DataFrame, flagged: pd.DataFrame) -> list[str]:
    n = int(accuracy["n"].iloc[0])
    timeouts = (f" spglib gave no answer within {SPGLIB_SECONDS} s for {len(SPGLIB_TIMEOUTS)} structures ("
                + ", ".join(sorted({f"{name} as {kind.split(' (')[0]}, {size} atoms, tolerance {tol:g}"
                                    for name, kind, size, tol in SPGLIB_TIMEOUTS})[:6])
                + "); they count as not recognised." if SPGLIB_TIMEOUTS else "")
    lines = ["## Crystals written as users hand them in (the stress test: development data)", "",
             "**What this table is.** Mostly an invariance check of how a crystal is written, not held-out data: "
             "26 of its crystals come from the training generator itself (`prototype_crystals`: the same builder "
             "and parameter ranges, another seed); most element crystals are cubic, and the scale- and cell-free "
             "descriptor puts a cubic element within about 1e-4 of a training draw; As, Sb, Bi, Sm, Hg, Sn and In "
             "are built with the training prototypes' own parameters; the vacancies and displacements are made by "
             "a copy of the training code at levels inside the training ranges; clusters use the same builder at "
             "the same sizes. It was also used to choose: the ensemble changed its descriptor (per-structure local "
             "order replacing averaged SOAP) and gained the `outside` class after missing its cluster and AUROC "
             "targets here, and the earlier page then said every target was met. Read it as development scores "
             "(upper bounds); a test set built outside the generator (real structures' files, MD snapshots, "
             "elements and prototypes absent from training) is frozen before the next change.", "",
             f"{n} crystals: every element whose ASE reference state is in one of the seven classes "
             "(built by `ase.build.bulk`, class from spglib) and the generator's prototypes drawn from another seed. "
             "Each is written as every input kind below, turned to a random orientation, then left pristine, given "
             "25% vacancies, or displaced by 5% of its bond length (`atomatlas.datasets.held_out_crystals`). "
             "ensemble: the shipped default of `atomatlas classify`; CNN: seed 001's diffraction CNN "
             "(`--model cnn`); spglib at two tolerances (a cluster has no cell, so spglib cannot name it). "
             "Regenerated by `make docs` (docs/crystal_stress.py)." + timeouts, "", *table_lines(accuracy), "",
             *targets_lines(accuracy), "", "### Uncertainty", "",
             "`uncertainty` is max(1 - probability, novelty / 2) for the ensemble (probability: of the best crystal "
             "class, after an eighth training class, `outside`, of melted lattices and random packings has taken its "
             "share; novelty: distance to the nearest training crystals over the distance 99% of the calibration "
             "structures stay under) and the Monte Carlo dropout spread "
             "for the CNN; `classify` writes `unknown` when the ensemble's uncertainty is above 0.5. Pooled over the "
             "table above and the structures outside the classes below: expected calibration error of the "
             "probability (10 bins), AUROC of the uncertainty for telling right answers from wrong or outside ones, "
             "and how often it is above 0.5.", "",
             "| model | ECE | AUROC (right vs wrong-or-outside) | flagged: wrong | flagged: right | flagged: outside |",
             "|---|---|---|---|---|---|"]
    for row in quality.itertuples(index=False):
        wrong = "no wrong answers" if row.flagged_wrong is None or pd.isna(row.flagged_wrong) \
            else f"{100 * row.flagged_wrong:.0f}%"
        lines.append(f"| {row.model} | {row.ece:.3f} | {row.auroc:.3f} | {wrong} | {100 * row.flagged_right:.1f}% "
                     f"| {100 * row.flagged_outside:.0f}% |")
    lines += ["", uncertainty_target_line(quality)]
    lines += ["", "Outside the classes (A15 and sigma phase as periodic cells and clusters, random gas, liquid and "
              "quenched Cu from a short EMT molecular dynamics run): the share flagged. The random gas comes from "
              "the routine that also makes the ensemble's `outside` random packings (with other parameters), so its "
              "row is not held out; the others are.", "",
              "| structure | " + " | ".join(flagged["model"].unique()) + " |", "|---|" + "---|" * flagged["model"].nunique()]
    table = flagged.groupby(["structure", "model"], sort=False)["flagged"].agg(["sum", "count"])
    for structure in flagged["structure"].unique():
        lines.append(f"| {structure} | " + " | ".join(f"{int(table.loc[(structure, m), 'sum'])} of "
                                                       f"{int(table.loc[(structure, m), 'count'])}"
                                                       for m in flagged["model"].unique()) + " |")
    return lines


SAVED = Path(__file__).parent / "data" / "crystal_stress.json"
SAVED_TEST = Path(__file__).parent / "data" / "crystal_test_set.json"


def test_set_rows() -> list[dict]:
    """Every structure of the frozen test set (atomatlas.datasets.frozen_crystals) with each model's answer."""
    from atomatlas.datasets.frozen_crystals import test_set

    rows = []
    for source, entries in test_set().items():
        structures = [atoms for _, atoms, _ in entries]
        blind = []
        for atoms in structures:  # spglib answers for the geometry, as the classes are defined
            copy = atoms.copy()
            copy.numbers[:] = 29
            blind.append(copy)
        answers = {"ensemble": ensemble_answers(structures), "CNN": cnn_answers(structures)}
        spglib = {name: spglib_answers(blind, tolerance) for name, tolerance in SPGLIB.items()}
        for i, (name, atoms, crystal_class) in enumerate(entries):
            row = {"source": source, "name": name, "class": crystal_class, "atoms": len(atoms),
                   "cubic": crystal_class in ("sc", "bcc", "fcc", "diamond")}
            for model, (proba, uncertainty) in answers.items():
                row[model] = CLASSES[int(proba[i].argmax())] if proba[i].sum() > 0 else None
                row[f"{model} unknown"] = bool(uncertainty[i] > 0.5) if model == "ensemble" else None
            for model, found in spglib.items():
                row[model] = CLASSES[found[i]] if found[i] >= 0 else None
            rows.append(row)
        print(f"  test set: {source}", flush=True)
    return rows


def test_set_lines(rows: list[dict]) -> list[str]:
    """The test set's accuracy per source (and cubic apart from the rest), then the structures missed."""
    frame = pd.DataFrame(rows)
    models = ["ensemble", "CNN", *SPGLIB]
    lines = ["## The test set: structures from outside the generator", "",
             "Frozen on 2026-12-02 before any model was scored on it (`atomatlas.datasets.frozen_crystals`): the "
             "Delta benchmark's elemental crystal files (DFT structures shipped inside ASE), binary compounds whose "
             "atoms, species aside, sit on one of the classes' lattices (prototypes the one-species generator never "
             "builds), and molecular-dynamics snapshots of fcc Ag, Au, Pd and Pt at half their melting point (ASE's "
             "EMT; no model was trained on these elements' dynamics). Each structure is given as it comes (a "
             "primitive cell for most files), without defects or rotation. spglib is given the geometry (every atom "
             "one species), as the classes are defined. `ensemble, not unknown` counts an answer right only when "
             "`classify` would print it (uncertainty at most 0.5). The files' classes are spglib's at 1e-3 A, so "
             "spglib's rows on files and compounds restate the definition; on the MD snapshots it finds no class. "
             "These are the only numbers on this page that count as held-out results.", "",
             "| source | structures | ensemble | ensemble, not unknown | CNN | " + " | ".join(SPGLIB) + " |",
             "|---|---|---|---|---|" + "---|" * len(SPGLIB)]
    groups = [(source, part) for source, part in frame.groupby("source", sort=False)]
    delta = frame[frame["source"] == "delta files"]
    groups[1:1] = [("delta files: cubic", delta[delta["cubic"]]), ("delta files: not cubic", delta[~delta["cubic"]])]
    groups.append(("all", frame))
    for source, part in groups:
        right = {m: (part[m] == part["class"]).mean() for m in models}
        kept = ((part["ensemble"] == part["class"]) & ~part["ensemble unknown"].astype(bool)).mean()
        lines.append(f"| {source} | {len(part)} | {100 * right['ensemble']:.1f}% | {100 * kept:.1f}% | "
                     f"{100 * right['CNN']:.1f}% | " + " | ".join(f"{100 * right[m]:.1f}%" for m in SPGLIB) + " |")
    missed = [row for row in rows if row["ensemble"] != row["class"] or row["ensemble unknown"]]
    said = [f"{row['name']} ({row['class']}, answered {row['ensemble']}{', unknown' if row['ensemble unknown'] else ''})"
            for row in missed]
    lines += ["", "What the ensemble missed or called unknown: " + ("; ".join(said) or "nothing") + "."]
    return lines


def saved_results():
    """The tables of the last full run and spglib's timeouts, from SAVED (written by every full run)."""
    record = json.loads(SAVED.read_text())
    SPGLIB_TIMEOUTS[:] = [tuple(item) for item in record["spglib_timeouts"]]
    return tuple(pd.DataFrame(record[name]) for name in ("accuracy", "quality", "flagged"))


def page_text(tables, test_rows: list[dict] | None = None) -> str:
    """docs/crystal-stress.md from the three tables and the test set's rows (tests rebuild it from SAVED and
    SAVED_TEST and compare)."""
    header = ["# Crystal classes: the stress test", "",
              "Regenerated by `make docs` (docs/crystal_stress.py --write; `--reuse` rewrites the page from the "
              "numbers of the last run, docs/data/crystal_stress.json and crystal_test_set.json; `--test-set` "
              "scores the frozen test set alone); do not edit by hand.", ""]
    test = test_set_lines(test_rows) + [""] if test_rows else []
    return "\n".join(header + test + page_lines(*tables)) + "\n"


if __name__ == "__main__":
    import sys

    if "--test-set" in sys.argv or not SAVED_TEST.exists():
        SAVED_TEST.write_text(json.dumps(test_set_rows(), indent=1) + "\n")
    test_rows = json.loads(SAVED_TEST.read_text())
    if ("--reuse" in sys.argv or "--test-set" in sys.argv) and SAVED.exists():  # the stress set's last numbers
        tables = saved_results()
    else:
        tables = run()
        SAVED.write_text(json.dumps({**{name: table.to_dict(orient="records") for name, table in
                                        zip(("accuracy", "quality", "flagged"), tables)},
                                     "spglib_timeouts": SPGLIB_TIMEOUTS}, indent=1) + "\n")
    if "--write" in sys.argv or "--reuse" in sys.argv or "--test-set" in sys.argv:
        (Path(__file__).parent / "crystal-stress.md").write_text(page_text(tables, test_rows))
        print("wrote docs/crystal-stress.md", file=sys.stderr)
    else:
        print("\n".join(page_lines(*tables)))
