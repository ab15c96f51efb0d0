"""docs/grains.md: identify's grains and fcc planar faults against structures built with known truth, and
OVITO's grain segmentation on the same polycrystals.

    .venv/bin/python docs/grains.py     # about a minute; needs the validate extra (ovito): `make validate` runs it

Polycrystals: periodic Voronoi polycrystals (atomatlas.datasets.polycrystal) of fcc, bcc and hcp grains in
random orientations, perfect and warm (Gaussian displacements); truth is each atom's Voronoi cell and each
grain's rotation. Faults: close-packed crystals stacked layer by layer (atomatlas.datasets.stacking) with
one intrinsic or extrinsic stacking fault or a twin lamella, rotated at random; truth is each layer's fault.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

DOCS = Path(__file__).parent
POLYCRYSTALS = [  # (seed, grains): chosen before any was scored
    (0, ("fcc", "fcc", "bcc", "fcc", "bcc", "hcp")),
    (1, ("fcc", "fcc", "bcc", "fcc", "bcc", "hcp")),
    (2, ("fcc", "fcc", "fcc", "fcc", "bcc", "bcc", "bcc", "hcp")),
]
CONSTANTS = {"fcc": 3.61, "bcc": 2.87, "hcp": 3.2}
DISPLACEMENTS = (0.0, 0.06)  # A per component
# the test set, built differently after the design was settled and scored once: other seeds, lattice constants
# (Al, W, Ti), a larger box, hotter; stackings of Al, other sizes, other seeds
TEST_POLYCRYSTALS = [(20, ("fcc", "bcc", "fcc", "hcp", "bcc", "fcc", "fcc")), (21, ("bcc", "bcc", "fcc", "hcp", "fcc"))]
TEST_CONSTANTS = {"fcc": 4.05, "bcc": 3.16, "hcp": 2.95}
TEST_BOX, TEST_DISPLACEMENT = 52.0, 0.08
TEST_FAULTS = {"a": 4.05, "repeat": (7, 5), "layers": 30, "displacements": (0.0, 0.045), "seeds": (10, 11)}
INTERIOR = 4.0  # A from the grain's boundary: a first shell (bonds up to 3.2 A) clear of it


def _atomatlas(atoms, folder: Path, grains: bool = True):
    from ase.io import write

    from atomatlas import api

    write(folder / "in.extxyz", atoms)
    return api.identify([str(folder / "in.extxyz")], folder / "run", grains=grains, report=False, overwrite=True)


def _ovito(atoms) -> tuple[np.ndarray, pd.DataFrame]:
    """(grain per atom, -1 none; grains table with orientation as (x, y, z, w)) from OVITO: PTM with orientations,
    then its grain segmentation with default settings."""
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import GrainSegmentationModifier, PolyhedralTemplateMatchingModifier
    from ovito.pipeline import Pipeline, StaticSource

    pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))
    pipeline.modifiers.append(PolyhedralTemplateMatchingModifier(output_orientation=True))
    pipeline.modifiers.append(GrainSegmentationModifier())
    data = pipeline.compute()
    grain = np.asarray(data.particles["Grain"]).astype(int)  # with orphan adoption (default) every atom has one
    table = data.tables["grains"]
    return grain, pd.DataFrame({"grain": np.asarray(table["Grain Identifier"]).astype(int),
                                "size": np.asarray(table["Grain Size"]).astype(int),
                                **{k: np.asarray(table["Orientation"])[:, i] for i, k in enumerate("xyzw")}})


AGREEMENT: list[float] = []  # |atomatlas's misorientation - OVITO's| for every (grain mean, built rotation) pair


def _ovito_misorientation(a: np.ndarray, b: np.ndarray, lattice: str) -> float:
    """OVITO's own disorientation (degrees) of two (w, x, y, z) quaternions of ours: rotations from the sample's frame
    to the crystal's, so conjugated into OVITO's crystal-to-sample (x, y, z, w)."""
    from ovito.modifiers import PolyhedralTemplateMatchingModifier

    def theirs(q):
        return np.array([-q[1], -q[2], -q[3], q[0]])

    symmetry = "cubic" if lattice in ("fcc", "bcc", "sc", "diamond") else "hexagonal"
    return float(np.degrees(PolyhedralTemplateMatchingModifier.calculate_misorientation(theirs(a), theirs(b),
                                                                                      symmetry=symmetry)))


def _matched(truth: np.ndarray, found: np.ndarray, interior: np.ndarray) -> dict[int, int]:
    """Each built grain's found grain: the one most of its interior atoms are in, unless a larger built grain
    claims the same found grain (then none: two grains found as one)."""
    claims = []
    for g in np.unique(truth):
        hits = found[interior & (truth == g) & (found >= 0)]
        if len(hits):
            claims.append((len(hits), int(g), int(np.bincount(hits).argmax())))
    out, taken = {}, set()
    for _, g, f in sorted(claims, reverse=True):
        if f not in taken:
            out[g] = f
            taken.add(f)
    return out


def polycrystal_scores(sets=None, constants=None, box: float = 44.0, displacements=DISPLACEMENTS) -> pd.DataFrame:
    from atomatlas.datasets.polycrystal import voronoi_grains
    from atomatlas.descriptors import orientation

    records = []
    for seed, names in sets or POLYCRYSTALS:
        built = voronoi_grains(box, [(n, (constants or CONSTANTS)[n]) for n in names], seed=seed, too_close=2.0)
        for displacement in displacements:
            atoms = built.atoms.copy()
            atoms.positions += np.random.default_rng(seed).normal(0.0, displacement, atoms.positions.shape)
            interior = built.depth > INTERIOR
            with tempfile.TemporaryDirectory() as tmp:
                result = _atomatlas(atoms, Path(tmp))
                ours = result.labels["grain"].to_numpy()
                table = pd.read_csv(Path(tmp) / "run" / "grains.csv")
            theirs, their_table = _ovito(atoms)
            for method, grain in (("atomatlas identify --grains", ours), ("OVITO PTM + grain segmentation", theirs)):
                matched = _matched(built.grain, grain, interior)
                errors = []
                for g, found in matched.items():
                    truth = orientation.as_quaternions(built.rotations[g].T[None])
                    lattice = names[g]
                    if method.startswith("atomatlas"):
                        mean = table.loc[table["grain"] == found, ["qw", "qx", "qy", "qz"]].to_numpy(float)
                    else:  # OVITO's (x, y, z, w) is the rotation from the crystal's frame to the sample's
                        row = their_table.loc[their_table["grain"] == found, ["w", "x", "y", "z"]].to_numpy(float)
                        mean = row * np.array([1.0, -1.0, -1.0, -1.0])
                    if len(mean):
                        errors.append(orientation.misorientation(mean, truth, lattice)[0])
                        AGREEMENT.append(abs(errors[-1] - _ovito_misorientation(mean[0], truth[0], lattice)))
                own = np.array([matched.get(int(g), -2) for g in built.grain])  # -2: its grain was not found
                records.append({"seed": seed, "grains": len(names), "displacement": displacement, "method": method,
                                "right": float((grain[interior] == own[interior]).mean()),
                                "assigned": float((grain[interior] >= 0).mean()),
                                "found": len(matched),
                                "orientation_error": float(np.median(errors)) if errors else np.nan})
    return pd.DataFrame(records)


def fault_scores(a: float = 3.615, repeat=(6, 4), layers: int = 24, displacements=(0.0, 0.03, 0.06),
                 seeds=range(3)) -> pd.DataFrame:
    from atomatlas.datasets.stacking import fault_steps, layer_faults, stacked

    records = []
    for fault in ("intrinsic", "extrinsic", "twin"):
        for displacement in displacements:  # x bond per component
            for seed in seeds:
                steps = fault_steps(fault, layers)
                atoms = stacked(steps, a=a, repeat=repeat)
                truth = np.array(layer_faults(steps, fault))[atoms.arrays["layer"]]
                del atoms.arrays["layer"]
                rotation = Rotation.random(random_state=seed).as_matrix()
                atoms.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=False)
                atoms.positions = atoms.positions @ rotation.T
                atoms.positions += np.random.default_rng(seed).normal(0.0, displacement * a / np.sqrt(2),
                                                                      atoms.positions.shape)
                with tempfile.TemporaryDirectory() as tmp:
                    found = _atomatlas(atoms, Path(tmp), grains=False).labels["fault"].to_numpy()
                faulted = truth != "none"
                records.append({"fault": fault, "displacement": displacement, "seed": seed,
                                "found": float((found[faulted] == fault).mean()),
                                "false": float((found[~faulted] != "none").mean())})
    return pd.DataFrame(records)


def _closest_pair(seed: int) -> float:
    """The smallest misorientation between two like grains of polycrystal ``seed`` (degrees)."""
    from atomatlas.datasets.polycrystal import voronoi_grains
    from atomatlas.descriptors import orientation

    names = dict(POLYCRYSTALS)[seed]
    built = voronoi_grains(44.0, [(n, CONSTANTS[n]) for n in names], seed=seed, too_close=2.0)
    q = orientation.as_quaternions(np.transpose(built.rotations, (0, 2, 1)))
    return min(orientation.misorientation(q[a][None], q[b][None], names[a])[0]
               for a in range(len(names)) for b in range(a + 1, len(names)) if names[a] == names[b])


def _grain_table(polycrystals: pd.DataFrame) -> list[str]:
    grouped = polycrystals.groupby(["method", "displacement"], sort=False).agg(
        right=("right", "mean"), assigned=("assigned", "mean"), found=("found", "sum"), grains=("grains", "sum"),
        error=("orientation_error", "median")).reset_index()
    lines = ["| method | displacement (A) | interior atoms in their own grain | interior atoms in a grain | "
             "grains found / built | orientation error (median, degrees) |", "|---|---|---|---|---|---|"]
    return lines + [f"| {row.method} | {row.displacement:g} | {row.right:.1%} | {row.assigned:.1%} | "
                    f"{row.found} / {row.grains} | {row.error:.2f} |" for row in grouped.itertuples()]


def _fault_table(faults: pd.DataFrame) -> list[str]:
    lines = ["| fault | displacement / bond | found | false |", "|---|---|---|---|"]
    return lines + [f"| {fault} | {displacement:g} | {group['found'].mean():.1%} | {group['false'].mean():.2%} |"
                    for (fault, displacement), group in faults.groupby(["fault", "displacement"], sort=False)]


def page(polycrystals: pd.DataFrame, faults: pd.DataFrame, test_polycrystals: pd.DataFrame,
         test_faults: pd.DataFrame) -> str:
    lines = ["# Grains and fcc planar faults from identify, against built truth", "",
             "Regenerated by `.venv/bin/python docs/grains.py` (with the `validate` extra; `make validate` runs it); "
             "do not edit by hand.", "",
             "**Development data, then a test set.** The first two sections are the structures the design was "
             "changed on, with their scores in view: grains first linked neighbours within 5 degrees, which "
             "chained across seed 1's low-angle boundary (now orientations are smoothed, fragments linked within "
             "2 degrees and joined by their means); grain means first took in boundary atoms (now only closely "
             "fitting ones); hcp orientations first came from the layer normal (now the template fit); faults "
             "first judged each atom alone, which at 0.06 bond of displacement found about half the fault atoms "
             "(now its layer's mean); and the score itself changed from an ARI that rewarded leaving a grain "
             "unassigned to the share of atoms in their own grain. Read those sections as upper bounds. The "
             "last section is a test set built differently after that (other seeds, lattice constants, box, "
             "temperature and stacking sizes) and scored once.", "",
             "## Grains of Voronoi polycrystals (development)", "",
             f"{len(POLYCRYSTALS)} periodic Voronoi polycrystals (44 A box; "
             f"{sum(len(n) for _, n in POLYCRYSTALS)} grains of fcc, bcc and hcp in random orientations; atoms "
             "closer than 2 A across a boundary removed), each perfect and with Gaussian displacements of "
             f"{DISPLACEMENTS[1]} A per component. Each built grain is matched to the found grain most of its "
             f"interior atoms (more than {INTERIOR:g} A from its boundary) are in, unless a larger built grain took "
             "that one (two grains found as one). Scored on interior atoms: the share in their own grain's match, "
             "the share given any grain, the built grains that found a match, and the median misorientation "
             "between a matched grain's mean orientation and its built rotation. OVITO: polyhedral template "
             "matching (default cut-off, orientations on) and its grain segmentation with default settings "
             "(orphan atoms adopted, so every atom has a grain).", "", *_grain_table(polycrystals)]
    by_seed = polycrystals.pivot_table(index="seed", columns="method", values="right", aggfunc="min")
    lines += ["", "Worst case of each polycrystal (interior atoms in their own grain, the lower of the two "
              "displacements):", "", "| seed | " + " | ".join(by_seed.columns) + " |",
              "|---|" + "---|" * len(by_seed.columns)]
    lines += [f"| {seed} | " + " | ".join(f"{v:.1%}" for v in row) + " |" for seed, row in by_seed.iterrows()]
    closest = ", ".join(f"seed {seed} {_closest_pair(seed):.1f}" for seed, _ in POLYCRYSTALS)
    lines += ["", f"The closest two like grains of each polycrystal are (degrees apart) {closest}: a boundary of a "
              "few degrees is a low-angle one, which a segmentation that links neighbours by their own "
              "misorientation alone chains across; atomatlas links atoms only within 2 degrees (after averaging "
              "each atom's orientation with its like neighbours' within 5) and then joins fragments while their "
              "size-weighted mean orientations stay within 5 degrees.", "",
              "## fcc planar faults of stackings built layer by layer (development)", "",
              "24 close-packed layers of Cu (48 atoms each) holding one intrinsic stacking fault (a layer removed), "
              "one extrinsic (a layer inserted) or a twin lamella (two coherent twin boundaries), rotated at random, "
              "with Gaussian displacements per component as a share of the bond; three of each. `found`: share "
              "of the fault's hcp-stacked atoms given that fault; `false`: share of every other atom given any "
              "fault. OVITO's planar-fault identification is in OVITO Pro only, so there is no comparison here.",
              "", *_fault_table(faults), "",
              "## Test set", "",
              f"Polycrystals of seeds {', '.join(str(s) for s, _ in TEST_POLYCRYSTALS)} "
              f"({sum(len(n) for _, n in TEST_POLYCRYSTALS)} grains; fcc {TEST_CONSTANTS['fcc']} A, bcc "
              f"{TEST_CONSTANTS['bcc']} A, hcp a = {TEST_CONSTANTS['hcp']} A; {TEST_BOX:g} A box), perfect and "
              f"with {TEST_DISPLACEMENT} A displacements, scored as above:", "", *_grain_table(test_polycrystals),
              "", f"Al stackings ({TEST_FAULTS['layers']} layers of {2 * np.prod(TEST_FAULTS['repeat'])} atoms, "
              f"seeds {', '.join(map(str, TEST_FAULTS['seeds']))}):", "", *_fault_table(test_faults), "",
              f"Every misorientation on this page is atomatlas's (`descriptors.orientation.misorientation`); OVITO's "
              f"`PolyhedralTemplateMatchingModifier.calculate_misorientation` on the same {len(AGREEMENT)} pairs "
              f"differs from it by {max(AGREEMENT):.1e} degrees at most."]
    return "\n".join(lines) + "\n"


def main() -> int:
    development = polycrystal_scores(), fault_scores()
    test = (polycrystal_scores(TEST_POLYCRYSTALS, TEST_CONSTANTS, TEST_BOX, (0.0, TEST_DISPLACEMENT)),
            fault_scores(**TEST_FAULTS))
    text = page(*development, *test)
    (DOCS / "grains.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
