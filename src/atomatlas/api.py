"""The Python entry points: one function per kind of run, the same ones the command line calls.

Every function writes a run folder ``out`` (atomically: all of it or nothing) and returns
a :class:`~atomatlas.runs.folder.RunResult` (``path``, ``labels``, ``metrics``,
``skipped``). Tables are ``.csv``/``.tsv``/``.parquet`` paths or ``dataset:NAME``;
structures are any file ASE reads (or globs). Problems the caller can fix raise
:class:`~atomatlas.errors.AtlasError` with a one-line message. docs/api.md shows each
with an example.

>>> from atomatlas import api                                                     # doctest: +SKIP
>>> result = api.cluster("dataset:Fe2_descriptor.csv", "runs/fe", id_columns=["key", "id"],
...                      label_column="polytype")                                 # doctest: +SKIP
>>> result.metrics["evaluation"]["polytype"]["adjusted_rand_index"]              # doctest: +SKIP
1.0
"""

from __future__ import annotations

from pathlib import Path

from atomatlas import runs
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunResult

__all__ = ["RunResult", "classify_structures", "cluster", "environments", "find_anomalies", "fit_classifier",
           "label_few", "predict", "reduce", "run_config", "run_recipe", "segment", "train_crystal_cnn",
           "train_crystal_ensemble", "identify", "train_identify", "report", "examples"]


def _data(table, id_columns=None, features=None, features_regex=None, exclude=None, label_column=None,
          delimiter=None, drop_constant=False) -> dict:
    return {"path": str(table), "id_columns": id_columns, "features": features, "features_regex": features_regex,
            "exclude": list(exclude or []), "label_column": label_column, "delimiter": delimiter,
            "drop_constant": drop_constant}


def _clean(section: dict) -> dict:
    """A section without the keys left at None (a config leaves out what it does not set)."""
    return {k: v for k, v in section.items() if v is not None}


def _dask(scheduler: str | None, workers: int | None, **more) -> dict | None:
    """The ``[dask]`` section of the scheduler options, or None for an in-memory run; options that would
    be ignored are refused instead."""
    if scheduler is None:
        if workers is not None:
            raise AtlasError("--workers sets the worker processes of --scheduler local; add --scheduler local, or "
                             "drop --workers (in-memory runs use --n-jobs where they have it).")
        return None
    if not str(scheduler).strip():
        raise AtlasError("--scheduler is empty; give local (a cluster on this machine) or a scheduler address "
                         "such as tcp://host:8786.")
    return _clean({"scheduler": scheduler, "workers": workers, **more})


def run_config(config, out, *, overwrite: bool = False, report: bool = True, base: Path | None = None,
               progress: bool = False, ask=None, resume: bool = False) -> RunResult:
    """Any run config: a dict laid out as a recipe (docs/recipes.md) or a parsed one (``atomatlas.runs.parse``).

    ``resume``: continue from the finished chunks of an interrupted run on the same ``out`` (engine/parts.py)
    instead of starting over, where the kind of run keeps them (``runs.RESUMES``).
    """
    return runs.run(config, out, overwrite=overwrite, report=report, base=base, progress=progress, ask=ask,
                    resume=resume)


def run_recipe(recipe, out, *, seed: int | None = None, overwrite: bool = False, report: bool = True,
               progress: bool = False, ask=None, resume: bool = False) -> RunResult:
    """A shipped recipe by name (``atomatlas list recipes``), a TOML file, or a run folder's config.toml."""
    from atomatlas import recipes

    config, base = recipes.load(str(recipe))
    if seed is not None:
        config["seed"] = seed
    return run_config(config, out, overwrite=overwrite, report=report, base=base, progress=progress, ask=ask,
                      resume=resume)


def cluster(table, out, *, method: str = "kmeans", k="auto", select: str = "silhouette", k_min: int = 2,
            k_max: int = 10, params: dict | None = None, scale: str = "standard", reduce: str | None = None,
            n_components: int | float = 2, reduce_params: dict | None = None, reduce_for: str = "cluster",
            seed: int = 0, scheduler: str | None = None, sample_size: int = 100_000, workers: int | None = None,
            overwrite: bool = False, report: bool = True, progress: bool = False, **columns) -> RunResult:
    """Cluster the rows of a table (k chosen by ``select`` when ``k="auto"``), scored against ``label_column``.

    ``columns``: ``id_columns``, ``features``, ``features_regex``, ``exclude``,
    ``label_column``, ``delimiter``, ``drop_constant``. ``reduce`` (pca, kernel_pca, tsne,
    umap, mds) first, clustering on it (``reduce_for="cluster"``) or only drawing with it.
    ``scheduler``: ``"local"`` or a Dask scheduler address runs it through Dask (a table
    beyond memory: parquet file or folder, CSV, read lazily; the flow fitted on a seeded
    sample of ``sample_size`` rows, every row labelled on the workers; docs/scale.md);
    ``workers``: processes of the local cluster.
    """
    config = {"name": "cluster", "seed": seed, "data": _data(table, **columns), "scale": {"method": scale},
              "cluster": {"method": method, "k": k, "select": select, "k_min": k_min, "k_max": k_max,
                          **(params or {})}}
    if reduce:
        config["reduce"] = {"method": reduce, "n_components": n_components, **(reduce_params or {})}
        config["cluster"]["on"] = "reduced" if reduce_for == "cluster" else "scaled"
    if (dask := _dask(scheduler, workers, sample_size=sample_size)) is not None:
        config["dask"] = dask
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def reduce(table, out, *, method: str = "pca", n_components: int | float = 2, params: dict | None = None,
           scale: str = "standard", seed: int = 0, overwrite: bool = False, report: bool = True, progress: bool = False,
           **columns) -> RunResult:
    """Map the rows to a few dimensions (PCA, kernel PCA, t-SNE, UMAP, MDS): labels.csv gets embedding_*."""
    config = {"name": "reduce", "seed": seed, "data": _data(table, **columns), "scale": {"method": scale},
              "reduce": {"method": method, "n_components": n_components, **(params or {})}}
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def find_anomalies(table, out, *, method: str = "gmm", params: dict | None = None, threshold: str = "percentile",
                   percentile: float = 4.0, n_mad: float = 5.0, scale: str = "standard", seed: int = 0,
                   overwrite: bool = False, report: bool = True, progress: bool = False, **columns) -> RunResult:
    """Score every row for how odd it is (higher = odder) and flag those beyond the threshold."""
    config = {"name": "anomalies", "seed": seed, "data": _data(table, **columns), "scale": {"method": scale},
              "anomaly": {"method": method, "threshold": threshold, "percentile": percentile, "n_mad": n_mad,
                          **(params or {})}}
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def fit_classifier(table, out, *, label_column: str, method: str = "logistic", params: dict | None = None,
                   folds: int = 5, test_size: float = 0.0, reduce: str | None = None, n_components: int = 2,
                   scale: str = "standard", seed: int = 0, overwrite: bool = False, report: bool = True,
                   progress: bool = False, **columns) -> RunResult:
    """Train a classifier on a labelled table: cross-validated (or held-out) scores, saved for ``predict``."""
    config = {"name": "fit-classifier", "seed": seed, "data": _data(table, label_column=label_column, **columns),
              "scale": {"method": scale}, "table_classifier": {"method": method, "folds": folds,
                                                               "test_size": test_size, **(params or {})}}
    if reduce:
        config["reduce"] = {"method": reduce, "n_components": n_components}
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def environments(files, out, *, descriptor: str | None = None, descriptor_params: dict | None = None,
                 centers: str = "atoms", species=None, grid: int = 100, height: float = 1.0,
                 labels: str | None = None, n_jobs: int = 1, cache: bool = True, index: str = ":",
                 format: str | None = None, fit_frames: int | None = None, scale: str | None = None,
                 method: str | None = None, k="auto",
                 select: str = "silhouette", k_max: int = 10, params: dict | None = None,
                 anomaly: str | None = None, anomaly_params: dict | None = None, threshold: str = "percentile",
                 percentile: float = 4.0, n_mad: float = 5.0, seed: int = 0, scheduler: str | None = None,
                 sample_size: int = 100_000, workers: int | None = None, resume: bool = False, overwrite: bool = False,
                 report: bool = True, progress: bool = False) -> RunResult:
    """Describe every atom (or a probe grid above a surface) of structure files and cluster the environments.

    ``descriptor``, ``scale``, ``method`` left as None: for atoms identify's local order,
    standard scaling and ``gmm_merged`` (k found by BIC and merging; each cluster named by
    its atoms' identify labels), for a probe grid SOAP, raw and k-means (docs/discovery.md).
    Unusable files or frames are skipped and listed in ``result.skipped``; per-atom labels
    land in structures.extxyz and structures.db. ``fit_frames``: fit on this many frames
    drawn by ``seed``, then label every frame chunk by chunk (a long trajectory is never
    held whole; ``result.labels`` is then the fitted frames', labels.csv every frame's). ``scheduler`` (``"local"`` or an address):
    the files are streamed to Dask workers that write ``features.parquet/``; the flow is fitted
    on a seeded sample of ``sample_size`` of their rows and every row labelled there
    (docs/scale.md).
    """
    from atomatlas.runs.structures import environment_defaults

    paths = [files] if isinstance(files, (str, Path)) else list(files)
    descriptor, scale, method = environment_defaults(descriptor, scale, method, centers)
    config = {"name": "environments", "seed": seed,
              "structures": _clean({"paths": [str(p) for p in paths], "index": index, "format": format,
                                    "label": labels, "fit_frames": fit_frames}),
              "centers": {"kind": centers, "species": list(species or []), "n": grid, "height": height},
              "descriptor": {"method": descriptor, "n_jobs": n_jobs, "cache": cache, **(descriptor_params or {})},
              "scale": {"method": scale},
              "cluster": {"method": method, "k": k, "select": select, "k_max": k_max, **(params or {})}}
    if anomaly:
        config["anomaly"] = {"method": anomaly, "threshold": threshold, "percentile": percentile, "n_mad": n_mad,
                             **(anomaly_params or {})}
    if (dask := _dask(scheduler, workers, sample_size=sample_size)) is not None:
        config["dask"] = dask
    return run_config(config, out, overwrite=overwrite, resume=resume, report=report, progress=progress)


def label_few(table, out, *, budget: int, k: int | None = None, propagate: str = "cluster", fraction: float = 1.0,
              label_file=None, oracle: str | None = None, test_size: float = 0.0, split_seed: int | None = None,
              next: int = 10, scale: str = "standard", seed: int = 0, ask=None, overwrite: bool = False,
              report: bool = True, progress: bool = False, **columns) -> RunResult:
    """Label many rows from a few expert labels: one question per cluster, propagation, a classifier.

    Labels come from ``label_file``, from ``ask(ids, cluster, size)`` (returns the label,
    "" to skip, None to stop), or for benchmarks from an ``oracle`` column.
    """
    section = _clean({"budget": budget, "k": k, "propagate": propagate, "fraction": fraction, "oracle": oracle,
                      "label_file": None if label_file is None else str(label_file), "test_size": test_size,
                      "split_seed": split_seed, "next": next})
    config = {"name": "label-few", "seed": seed, "data": _data(table, **columns), "scale": {"method": scale},
              "label_few": section}
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress, ask=ask)


def segment(image, out, *, k, method: str = "kmeans", params: dict | None = None, k_max: int = 8,
            texture: int = 0, position_weight: float = 0.0, smooth: int = 3, sample: int = 20000, seed: int = 0,
            overwrite: bool = False, report: bool = True, progress: bool = False) -> RunResult:
    """Segment a micrograph into phases by clustering pixel colours (and texture); area fractions per phase."""
    config = {"name": "segment", "seed": seed,
              "image": {"path": str(image), "texture": texture, "position_weight": position_weight,
                        "sample": sample, "smooth": smooth},
              "cluster": {"method": method, "k": k, "k_max": k_max, **(params or {})}}
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def classify_structures(files, out, *, model=None, mc_samples: int = 20, maps=None, n_jobs: int = 2,
                        format: str | None = None, scheduler: str | None = None, workers: int | None = None,
                        overwrite: bool = False, report: bool = True, progress: bool = False) -> RunResult:
    """The crystal class of every structure (sc, bcc, fcc, diamond, hex_rh, bct139, bct141, or unknown).

    ``out`` is the run folder (or ``NAME.csv``: the folder ``NAME.run/`` plus a copy of its
    labels.csv). ``model``: ``"ensemble"`` (the default: the atoms' local order averaged, and an ensemble of
    networks, any cell or orientation, clusters too), ``"cnn"`` (seed 001's diffraction CNN)
    or a folder from :func:`train_crystal_ensemble` or :func:`train_crystal_cnn`. With the
    CNN, ``maps=""`` draws class-activation maps into the run folder, a path draws them there.
    ``scheduler`` (``"local"`` or an address): the ensemble's work on Dask workers, the files
    streamed to them in chunks (docs/scale.md).
    """
    paths = [files] if isinstance(files, (str, Path)) else list(files)
    section = _clean({"paths": [str(p) for p in paths], "format": format,
                      "model": None if model is None else str(model), "mc_samples": mc_samples,
                      "maps": None if maps is None else str(maps), "n_jobs": n_jobs})
    config = {"name": "classify", "crystal_classes": section}
    if (dask := _dask(scheduler, workers)) is not None:
        config["dask"] = dask
    return run_config(config, out, overwrite=overwrite, report=report, progress=progress)


def train_crystal_cnn(out, *, per_class: int = 500, epochs: int = 5, test_per_class: int = 50,
                      vacancies=(0.0, 0.5), displacement=(0.0, 0.08), n_jobs: int = 2, seed: int = 0,
                      overwrite: bool = False, report: bool = True, progress: bool = False) -> RunResult:
    """Train the crystal-structure CNN (seed 001) on generated fingerprints; ``result.metrics`` holds its tests."""
    section = {"per_class": per_class, "epochs": epochs, "test_per_class": test_per_class,
               "vacancies": list(vacancies), "displacement": list(displacement), "n_jobs": n_jobs}
    return run_config({"name": "train-crystal-cnn", "seed": seed, "crystal_cnn": section}, out,
                      overwrite=overwrite, report=report, progress=progress)


def train_crystal_ensemble(out, *, per_class: int = 300, calibration_per_class: int = 40, members: int = 5,
                           vacancies=(0.0, 0.5), displacement=(0.0, 0.08), outside: int = 300, n_jobs: int = 2,
                           seed: int = 0, overwrite: bool = False, report: bool = True,
                           progress: bool = False) -> RunResult:
    """Train the crystal-class ensemble on the averaged local order of generated crystals and clusters (the
    shipped default); ``outside`` melted lattices and random packings teach it what belongs to no class."""
    section = {"per_class": per_class, "calibration_per_class": calibration_per_class, "members": members,
               "vacancies": list(vacancies), "displacement": list(displacement), "outside": outside,
               "n_jobs": n_jobs}
    return run_config({"name": "train-crystal-ensemble", "seed": seed, "crystal_ensemble": section}, out,
                      overwrite=overwrite, report=report, progress=progress)


def identify(files, out, *, index: str = ":", model=None, n_jobs: int = 2, grains: bool = False,
             format: str | None = None, scheduler: str | None = None, workers: int | None = None,
             resume: bool = False, overwrite: bool = False, report: bool = True, progress: bool = False) -> RunResult:
    """Label every atom fcc, bcc, hcp, diamond, hex_diamond, sc or other, with probability and uncertainty.

    ``files``: structure files or a trajectory (``index`` selects frames, as in ASE). The run
    folder holds labels.csv, structures.extxyz (per-atom arrays), fractions.csv and, for
    trajectories, fractions.png; every fcc or hcp atom's planar fault (``fault``). ``grains``: also each
    crystalline atom's lattice orientation (qw, qx, qy, qz) and grain, with grains.csv (size, lattice, mean
    orientation) and grain_boundaries.csv (misorientation of each pair of touching grains).
    ``model``: a folder from :func:`train_identify` (default: shipped).
    ``scheduler`` (``"local"`` or an address): frames streamed to Dask workers that label them
    (labels.parquet/ beyond 10^6 atoms; structures.extxyz as in memory; docs/scale.md).
    """
    paths = [files] if isinstance(files, (str, Path)) else list(files)
    section = _clean({"paths": [str(p) for p in paths], "format": format, "index": index,
                      "model": None if model is None else str(model), "n_jobs": n_jobs, "grains": grains})
    config = {"name": "identify", "identify": section}
    if (dask := _dask(scheduler, workers)) is not None:
        config["dask"] = dask
    return run_config(config, out, overwrite=overwrite, resume=resume, report=report, progress=progress)


def train_identify(out, *, per_lattice: int = 10, calibration_per_lattice: int = 1, liquid_snapshots: int = 3,
                   members: int = 5, n_jobs: int = 2, seed: int = 0, overwrite: bool = False, report: bool = True,
                   progress: bool = False) -> RunResult:
    """Train the per-atom model of :func:`identify` on synthetic thermal lattices, clusters and disorder."""
    section = {"per_lattice": per_lattice, "calibration_per_lattice": calibration_per_lattice,
               "liquid_snapshots": liquid_snapshots, "members": members, "n_jobs": n_jobs}
    return run_config({"name": "train-identify", "seed": seed, "identify_model": section}, out,
                      overwrite=overwrite, report=report, progress=progress)


def predict(run_dir, new, out, *, delimiter: str | None = None, scheduler: str | None = None,
            workers: int | None = None, resume: bool = False, overwrite: bool = False, report: bool = True,
            progress: bool = False) -> RunResult:
    """Label new rows (a table with the same feature columns) or new structures with a saved run's model.

    ``scheduler`` (``"local"`` or an address): labelled on Dask workers, the table read lazily (a parquet
    file or folder too) or the structure files streamed to them in chunks (docs/scale.md).
    """
    from atomatlas.runs.predict import PredictRun

    dask = _dask(scheduler, workers)
    return run_config(PredictRun.of(run_dir, new, delimiter, dask), out, overwrite=overwrite, resume=resume,
                      report=report, progress=progress)


def report(run_dir) -> Path:
    """Write (or rewrite) ``run_dir/report.html`` from the run folder's files; returns its path."""
    from atomatlas.runs.folder import rebuild_report

    return rebuild_report(Path(run_dir))


def examples(folder) -> list[str]:
    """Write the files the --help examples and the README tour name into ``folder``; returns their names.

    The files are made in a temporary folder beside it and moved in only when none of them is there yet,
    so nothing of the user's is replaced and a failure leaves nothing behind.
    """
    import os
    import shutil
    import tempfile

    from atomatlas.datasets.examples import write_example_files

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise AtlasError(f"{folder} is a file; give a folder for the example files.")
    parent = Path(os.path.abspath(folder)).parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=parent))
    try:
        write_example_files(staging)
        names = sorted(p.name for p in staging.iterdir())
        clashes = [name for name in names if (folder / name).exists() or (folder / name).is_symlink()]
        if clashes:
            raise AtlasError(f"{folder} already holds {clashes[0]}" + (f" and {len(clashes) - 1} more example file(s)"
                             if len(clashes) > 1 else "") + "; give a new folder (existing files are never replaced).")
        folder.mkdir(exist_ok=True)
        for name in names:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names
