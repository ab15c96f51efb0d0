"""A table clustered through Dask (``[dask]``; ``atomatlas cluster --scheduler local|ADDRESS``).

For tables beyond one process's memory: a parquet file, a folder of parquet files or a
CSV, read lazily. One pass over the rows checks the values and gives the scaling
statistics; PCA (``--reduce pca``) is dask-ml's; k is chosen on a uniform sample (the
same selection as in-memory runs, on :data:`K_SEARCH_ROWS` of them) and the clustering is
:class:`~atomatlas.learn.distributed_kmeans.DistributedKMeans` over all rows. Labels are
computed where the rows are, partition by partition: ``labels.csv`` up to
:data:`LABELS_CSV_MAX_ROWS` rows, ``labels.parquet/`` (one file per partition) beyond.
Scores against a label column come from counts summed over partitions. The client holds
centres, statistics and counts, never the rows.

``scheduler = "local"`` starts a ``LocalCluster`` of one single-threaded worker process per
core; any other value is the address of a running scheduler (``tcp://host:8786``), whose
workers must see the input and the run folder at the same paths (a shared file system).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.engine.dask_cluster import connected, dask_record, quiet_dask
from atomatlas.engine.parts import file_stamps, partial_work
from atomatlas.runs.sections import Cluster, DaskSection, Data, RunHeader, Step, header, reduce_step, scale_step

KEYS = {"name", "description", "seed", "data", "scale", "reduce", "cluster", "dask"}
LABELS_CSV_MAX_ROWS = 1_000_000  # beyond, labels.parquet/ written by the workers
K_SEARCH_ROWS = 20_000  # k is chosen on at most this many sampled rows (silhouette and friends are quadratic)


@dataclass(kw_only=True)
class DaskFlow(RunHeader):
    """The sections every Dask run has after its input: scaling, an optional PCA, KMeans, where to run."""

    scale: Step = field(default_factory=lambda: Step("standard"))
    reduce: Step | None = None
    cluster: Cluster = field(default_factory=Cluster)
    dask: DaskSection = field(default_factory=DaskSection)

    def parse_flow(self, raw: dict) -> None:
        if "cluster" not in raw:
            raise AtlasError("config: a [dask] run needs a [cluster] section.")
        self.scale, self.reduce = scale_step(raw.get("scale")), reduce_step(raw.get("reduce"))
        self.cluster, self.dask = Cluster.parse(raw["cluster"], "cluster"), DaskSection.parse(raw.get("dask") or {})
        if self.scale.method not in ("standard", "none"):
            raise AtlasError(f"--scheduler scales with standard or none; got {self.scale.method!r}: choose one of "
                             "those, or drop --scheduler to run in memory.")
        if self.reduce is not None and self.reduce.method != "pca":
            raise AtlasError(f"--scheduler reduces with pca only; got {self.reduce.method!r}: use --reduce pca, or "
                             "drop --scheduler to run in memory.")
        if self.cluster.method != "kmeans" or self.cluster.params:
            raise AtlasError(f"--scheduler clusters with kmeans (no --param); got {self.cluster.label()!r}: use "
                             "--method kmeans, or drop --scheduler to run in memory.")
        if self.reduce is not None and self.cluster.on == "scaled":
            raise AtlasError("--reduce-for view is not available with --scheduler (it clusters the reduction).")

    def flow_toml(self) -> dict:
        out = {"scale": self.scale.to_toml()}
        if self.reduce is not None:
            out["reduce"] = self.reduce.to_toml()
        return {**out, "cluster": self.cluster.to_toml(), "dask": self.dask.to_toml()}


def refuse_other_sections(raw: dict, keys: set, takes: str) -> None:
    extra = sorted(set(raw) - keys)
    if extra:
        raise AtlasError(f"config: a [dask] run takes {takes}; remove {', '.join(f'[{k}]' for k in extra)} or the "
                         "[dask] section (to run in memory).")


@dataclass(kw_only=True)
class ScaleOutRun(DaskFlow):
    """A table clustered through Dask."""

    data: Data

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> ScaleOutRun:
        refuse_other_sections(raw, KEYS, "[data], [scale], [reduce] and [cluster]")
        if raw.get("data") is None:
            raise AtlasError("config: a [dask] run needs a [data] table (or [structures]) and a [cluster] section.")
        run = cls(**header(raw), data=Data.parse(raw["data"], base))
        run.parse_flow(raw)
        if run.data.drop_constant:
            raise AtlasError("--drop-constant is not available with --scheduler: leave constant columns out with "
                             "--exclude.")
        return run

    def to_toml(self) -> dict:
        return {**self.header_toml(), "data": self.data.to_toml(), **self.flow_toml()}


def run(config: ScaleOutRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Read, scale, reduce and cluster the table through Dask into the run folder ``out``."""
    with quiet_dask():
        return _run(config, out, overwrite=overwrite, progress=progress)


def _run(config: ScaleOutRun, out, *, overwrite: bool, progress: bool) -> RunResult:
    from atomatlas.io.lazy_tables import read_lazy_table

    from atomatlas.datasets import resolve

    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    data = config.data
    table = read_lazy_table(resolve(data.path), id_columns=data.id_columns, features=data.features,
                            features_regex=data.features_regex, exclude=data.exclude,
                            label_column=data.label_column, delimiter=data.delimiter)
    table.path = data.path
    identity = {"config": config.to_toml(), "inputs": file_stamps([resolve(data.path)])}
    with connected(config.dask, progress) as client, folder as tmp, partial_work(folder.target, identity) as work:
        fitted = fit(config, table, progress, work=work)
        labels, metrics = write_outputs(config, table, fitted, tmp)
        metrics["dask"] = dask_record(config.dask, client, work)
        write_record(tmp, metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


@dataclass
class Fitted:
    """What the distributed fit learned: plain arrays, applied to every partition."""

    mean: np.ndarray
    std: np.ndarray
    pca_mean: np.ndarray | None
    components: np.ndarray | None
    explained: list | None
    explained_variance: list | None
    model: object  # DistributedKMeans
    selection: object  # AtlasCluster fitted on the sample (k chosen there), or None
    rows: int
    sample: np.ndarray  # the uniform sample (scaled, reduced) that chose k and is scored

    def transform_args(self) -> tuple:
        return self.mean, self.std, self.pca_mean, self.components

    def small(self) -> Fitted:
        """Without the sample and the k search: what labelling a partition needs, to ship to the workers."""
        from dataclasses import replace

        return replace(self, selection=None, sample=np.zeros((0, 0)))


def _transform(block: np.ndarray, mean, std, pca_mean, components) -> np.ndarray:
    values = (np.asarray(block, dtype=float) - mean) / std
    return values if components is None else (values - pca_mean) @ components.T


def fit(config: DaskFlow, table, progress: bool, allow_constant: bool = False, work=None) -> Fitted:
    """Statistics, scaling, PCA, k on a sample and KMeans on all rows; nothing but arrays of size d or k here.
    ``work``: the run's partial folder (engine/parts.py), where every k-means pass is saved and continued."""
    from atomatlas.io.lazy_tables import feature_statistics
    from atomatlas.learn.distributed_kmeans import DistributedKMeans, uniform_sample

    X = table.X()
    first = table.head[table.feature_names].to_numpy(dtype=float)  # rows already read; any rough mean will do
    shift = np.where(np.isfinite(first), first, 0.0).mean(axis=0)
    stats = feature_statistics(table, X, shift=shift, allow_constant=allow_constant)
    mean, std = stats["mean"], stats["std"]
    if config.scale.method == "none":
        mean, std = np.zeros_like(mean), np.ones_like(std)
    Z = X.map_blocks(_transform, mean, std, None, None, dtype=float)
    pca_mean = components = explained = variance = None
    if config.reduce is not None:
        from dask_ml.decomposition import PCA

        n = int(config.reduce.params.get("n_components", 2))
        if not 1 <= n <= len(table.feature_names):
            raise AtlasError(f"--n-components {n}: give 1 to {len(table.feature_names)} (the features).")
        pca = PCA(n_components=n, svd_solver="tsqr", random_state=config.seed).fit(Z)
        pca_mean, components = np.asarray(pca.mean_), np.asarray(pca.components_)
        explained = [float(v) for v in np.asarray(pca.explained_variance_ratio_)]
        variance = [float(v) for v in np.asarray(pca.explained_variance_)]
        Z = X.map_blocks(_transform, mean, std, pca_mean, components, dtype=float,
                         chunks=(X.chunks[0], (n,)))
    k, selection = config.cluster.k, None
    sample = uniform_sample(Z, min(config.dask.sample_size, K_SEARCH_ROWS), config.seed)
    if k in ("auto", None):
        selection = config.cluster.build(config.seed).fit(sample)
        k = int(selection.k_)
    model = DistributedKMeans(k, sample_size=config.dask.sample_size, random_state=config.seed, progress=progress)
    model.fit(Z, start=work.kmeans_start(k, Z.shape[1]) if work is not None else None,
              on_pass=work.kmeans_pass if work is not None else None)
    return Fitted(mean, std, pca_mean, components, explained, variance, model, selection, stats["rows"], sample)


def partition_clusters(part: pd.DataFrame, features, fitted: Fitted) -> tuple[np.ndarray, np.ndarray]:
    """(each row's cluster, its distance margin) of one partition, on a worker."""
    from atomatlas.learn.distributed_kmeans import centre_margin, nearest_centre

    centres = fitted.model.cluster_centers_
    values = _transform(part[features].to_numpy(dtype=float), *fitted.transform_args())
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return nearest_centre(values, centres), centre_margin(values, centres)


def _label_partition(part: pd.DataFrame, features, keep, fitted: Fitted, names: dict | None) -> pd.DataFrame:
    out = part[keep].copy() if keep else pd.DataFrame(index=part.index)
    out["cluster"], out["cluster_uncertainty"] = partition_clusters(part, features, fitted)
    if names is not None:
        out["cluster_name"] = out["cluster"].astype(str).map(names).fillna("noise")
    return out


def _labels_and_counts(table, fitted: Fitted, folder: Path, names: dict | None):
    """(labels frame or None, cluster sizes, (label, cluster) counts or None) from one pass over the rows;
    ``names``: {cluster: name} for a cluster_name column."""
    keep = list(dict.fromkeys([*table.id_columns, *([table.label_column] if table.label_column else [])]))
    meta = {**{c: table.frame[c].dtype for c in keep}, "cluster": "int64", "cluster_uncertainty": "float64",
            **({"cluster_name": "object"} if names is not None else {})}
    labelled = table.frame.map_partitions(_label_partition, table.feature_names, keep, fitted.small(), names,
                                          meta=meta)
    return write_labelled(labelled, "cluster", table.label_column, table.id_columns, fitted.rows, folder)[:3]


def write_labelled(labelled, key: str, label_column: str | None, id_columns: list, rows: int | None, folder: Path,
                   flag_column: str | None = None):
    """Write the lazily labelled rows and count them, reading and labelling them once: labels.csv up to
    LABELS_CSV_MAX_ROWS rows, else labels.parquet/ written by the workers (the label column left out of both;
    ``rows`` None: not known beforehand, so the workers write the parts, joined when they are few rows).
    Returns (the labels frame or None, the counts of ``key``, the (label, key) counts or None, the sum of
    ``flag_column`` or None)."""
    import dask

    from atomatlas.runs.folder import join_parts

    wanted = {"sizes": labelled[key].value_counts()}
    if label_column:
        wanted["counts"] = labelled.groupby([label_column, key]).size()
    if flag_column:
        wanted["flagged"] = labelled[flag_column].sum()
    small = rows is not None and rows <= LABELS_CSV_MAX_ROWS
    wanted["labels"] = labelled if small else labelled.drop(
        columns=[label_column] if label_column else []).to_parquet(
        folder / "labels.parquet", write_index=False, compute=False, name_function=lambda i: f"part-{i:06d}.parquet")
    done = dict(zip(wanted, dask.compute(*wanted.values())))  # one graph: the rows are read and labelled once
    written = None
    if small:
        written = done["labels"].reset_index(drop=True)
        columns = [c for c in written.columns if c != label_column]
        write_csv(folder / "labels.csv", written[columns] if id_columns else
                  pd.concat([pd.DataFrame({"row": np.arange(len(written))}), written[columns]], axis=1))
    elif rows is None and int(done["sizes"].sum()) <= LABELS_CSV_MAX_ROWS:
        written = join_parts(folder / "labels.parquet", folder)
    return written, done["sizes"].sort_index(), done.get("counts"), done.get("flagged")


def evaluation_from_counts(counts, label_column: str, folder: Path) -> dict:
    """Scores against the label column from (label, cluster) counts; contingency_LABEL.csv."""
    from atomatlas.evaluate.clusters import evaluate_contingency

    contingency = counts.unstack(fill_value=0).sort_index(axis=0).sort_index(axis=1)
    contingency.index = contingency.index.astype(str)
    write_csv(folder / f"contingency_{label_column}.csv", contingency.rename_axis("class").reset_index())
    return {label_column: evaluate_contingency(contingency)}


def write_outputs(config: DaskFlow, table, fitted: Fitted, folder: Path, model_extra: dict | None = None,
                  names: dict | None = None) -> tuple[pd.DataFrame | None, dict]:
    """labels.csv or labels.parquet/, the scores against the label column, the k-selection figure, the
    model (model.skops + model.json, read by ``predict``), metrics; ``names``: {cluster: name} to write."""
    from atomatlas.learn.distributed_kmeans import nearest_centre
    from atomatlas.learn.select_k import score_labels
    from atomatlas.runs.scale_out_model import save_dask_model

    written, sizes, counts = _labels_and_counts(table, fitted, folder, names)
    save_dask_model(folder, config, table, fitted, model_extra)
    model = fitted.model
    sample_scores = score_labels(fitted.sample, nearest_centre(fitted.sample, model.cluster_centers_),
                                 random_state=config.seed)
    metrics = {"name": config.name, "atomatlas_version": __version__, "seed": config.seed,
               "input": {"path": table.path, "n_rows": fitted.rows, "n_features": len(table.feature_names),
                         "features": table.feature_names, "id_columns": table.id_columns,
                         "label_column": table.label_column, "partitions": table.frame.npartitions},
               "scale": {"method": config.scale.method, "params": {}},
               "cluster": {"method": "kmeans", "params": {}, "engine": "dask (k-means++ on a sample, then Lloyd "
                           "passes over all rows)", "k": int(model.n_clusters),
                           "selected_by": config.cluster.select if fitted.selection is not None else None,
                           "sample_size": int(model.sample_size_), "n_iter": int(model.n_iter_),
                           "inertia": model.inertia_, "cluster_sizes": {int(k): int(v) for k, v in sizes.items()},
                           "n_noise": 0, "scores": sample_scores,
                           "scores_on": f"a uniform sample of {len(fitted.sample)} rows"},
               "labels_file": "labels.csv" if written is not None else "labels.parquet"}
    if fitted.explained is not None:
        metrics["reduce"] = {"method": "pca", "params": config.reduce.params,
                             "n_components": len(fitted.explained), "explained_variance_ratio":
                             fitted.explained}
    if fitted.selection is not None and fitted.selection.scores_ is not None:
        from atomatlas.plots.cluster import k_selection
        from atomatlas.runs.tables import k_selection_record

        metrics["cluster"]["k_selection"] = record = k_selection_record(fitted.selection)
        record["on"] = f"a uniform sample of {len(fitted.sample)} rows"
        metrics["figures"] = [save_figure(folder, "k_selection.png", k_selection(
            pd.DataFrame(fitted.selection.scores_), record["chosen_k"], fitted.selection.selected_by_))]
    if table.label_column:
        metrics["evaluation"] = evaluation_from_counts(counts, table.label_column, folder)
    return written, metrics
