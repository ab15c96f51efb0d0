"""A structure run (``atomatlas environments``, recipes with ``[structures]``): structures -> environments -> flow.

``[structures]`` says which structures (files, globs, built ones), ``[centers]`` where
they are described (every atom, atoms of some species, a probe grid above a surface)
and ``[descriptor]`` how (SOAP, ACSF, RDF). The environment table then goes through the
table flow (runs/flow.py); per-atom labels land in structures.extxyz and an ASE
database. The saved model records the descriptor and species, so ``predict`` describes
new structures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from atomatlas.runs.describe import Centers, Descriptor, Structures, describe, describe_frames, saved_description
from atomatlas.runs.folder import RunFolder, RunResult, write_record
from atomatlas.runs.labels import collect_labels
from atomatlas.runs.sections import check_keys, header
from atomatlas.runs.structure_outputs import write_structure_outputs
from atomatlas.runs.flow import check_components, fit_flow
from atomatlas.runs.tables import FLOW_KEYS, TableRun, predict_new_rows

@dataclass(kw_only=True)
class StructureRun(TableRun):
    """A table run whose table is made from structures."""

    name: str = "environments"
    structures: Structures
    centers: Centers = field(default_factory=Centers)
    descriptor: Descriptor = field(default_factory=Descriptor)

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> StructureRun:
        check_keys(raw, FLOW_KEYS | {"structures", "centers", "descriptor"}, "top level")
        structures = Structures.parse(raw.get("structures"), base)
        run = cls(**header(raw), structures=structures, centers=Centers.parse(raw.get("centers"), structures.label),
                  descriptor=Descriptor.parse(raw.get("descriptor")))
        run.parse_flow(raw, base, structures=True)
        if run.dask is not None:
            from atomatlas.runs.described_parts import refuse_on_dask

            refuse_on_dask(structures)
        return run

    def to_toml(self) -> dict:
        return {**super().to_toml(), "structures": self.structures.to_toml(), "centers": self.centers.to_toml(),
                "descriptor": self.descriptor.to_toml()}

    def saved(self, species: list[str]) -> dict:
        return saved_description(self.descriptor, self.centers, species)


def environment_defaults(descriptor: str | None, scale: str | None, method: str | None,
                         centers: str) -> tuple[str, str, str]:
    """``environments``' descriptor, scaling and clusterer where the user chose none: for atoms identify's
    local order, standard scaling and gmm_merged (chosen on the discovery suite's development set,
    docs/discovery.md); for a probe grid SOAP, raw, k-means; the same on Dask (fitted on a sample there)."""
    if descriptor is None:
        descriptor = "soap" if centers == "surface_grid" else "local_order"
    if scale is None:
        scale = "standard" if descriptor == "local_order" else "none"
    if method is None:
        method = "gmm_merged" if descriptor == "local_order" else "kmeans"
    return descriptor, scale, method


def run(config: StructureRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Describe the structures (skipping unusable ones), run the table flow, write per-atom outputs. With
    ``[dask]`` a run is runs/described_parts.py's instead (runs.run picks it)."""
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    skipped = []
    described, n_read = _fitted_frames(config, progress, skipped)
    table = described.table
    label_sets = collect_labels(config.evaluate, table)
    check_components(config.reduce, len(table), len(table.feature_names))
    with folder as tmp:
        labels, metrics = fit_flow(config, table, label_sets, tmp, progress,
                                   model_extra={"structures": config.saved(described.descriptor.species)},
                                   annotate=_namer(config, described))
        sampled = n_read > len(described.frames)  # then every frame is labelled and written, chunk by chunk
        metrics["structures"] = write_structure_outputs(tmp, described, labels, config, per_atom=not sampled)
        if sampled:
            _label_every_frame(config, tmp, described, metrics, skipped, progress)
        if "fractions_figure" in metrics["structures"]:
            metrics["figures"].append(metrics["structures"]["fractions_figure"])
        metrics["structures"]["skipped"] = [vars(item) for item in skipped]
        write_record(tmp, "structures", metrics, config.to_toml())
        if config.predict is not None and config.cluster is not None:
            predict_new_rows(config.predict, tmp, labels)
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)


def _fitted_frames(config: StructureRun, progress: bool, skipped: list):
    """(the described frames the flow fits on, how many usable frames the files hold): every frame, or with
    ``fit_frames`` a sample drawn by the seed (runs/trajectory.py)."""
    if config.structures.fit_frames is None:
        described = describe(config, config.seed, progress=progress, skipped=skipped)
        return described, len(described.frames)
    from atomatlas.io.structures import nothing_usable
    from atomatlas.runs.trajectory import sample_frames

    frames, n_read = sample_frames(config.structures, config.seed, skipped)
    if not frames:
        raise nothing_usable(skipped)
    return describe_frames(config, frames, progress=progress, skipped=skipped), n_read


def _label_every_frame(config: StructureRun, folder: Path, described, metrics: dict, skipped: list,
                       progress: bool) -> None:
    """Every frame labelled by the model fitted on the sample; metrics.json says what was fitted, what labelled."""
    from atomatlas.runs.trajectory import label_every_frame

    fitted = {"requested": config.structures.fit_frames, "n_frames": len(described.frames),
              "n_centres": len(described.table),
              "frames": [[str(f.source), int(f.index)] for f in described.frames]}
    labelled = label_every_frame(config, folder, described.table.X, metrics.get("cluster", {}).get("names"),
                                 skipped, progress)
    metrics["structures"].update(labelled, fit_frames=fitted)


def _namer(config: StructureRun, described):
    """``fit_flow``'s annotate step for per-atom runs: each atom's identify label, each cluster's name (none for
    probe points: they have no local order of their own)."""
    if config.centers.kind == "surface_grid":
        return None

    def annotate(frame, metrics) -> None:
        from atomatlas.runs.cluster_names import name_clusters

        local_order = described.table.X if config.descriptor.method == "local_order" else None
        labels, records = name_clusters(described, frame["cluster"].to_numpy(), local_order)
        frame["identify"] = labels
        frame["cluster_name"] = frame["cluster"].astype(str).map({k: r["name"] for k, r in records.items()})
        frame["cluster_name"] = frame["cluster_name"].fillna("noise")
        metrics["cluster"]["names"] = records

    return annotate
