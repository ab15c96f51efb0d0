"""Runs: one module per kind of run, each owning its config sections, its run and what it writes.

======================  ====================================  ===========================
kind                    module (config class)                 command
======================  ====================================  ===========================
table                   tables (TableRun); on Dask on_sample  cluster, reduce, anomalies
structures              structures (StructureRun); on Dask    environments
                        described_parts
table classifier        classifier (ClassifierRun)            fit-classifier
label few               label_few (LabelFewRun)               label-few
segmentation            segmentation (SegmentationRun)        segment
predict                 predict (PredictRun); on Dask         predict,
                        predict_parts                         predict --scheduler
crystal classes         crystal_classes (ClassifyRun)         classify
crystal cnn             crystal_cnn (TrainRun)                train-crystal-cnn
crystal ensemble        crystal_ensemble (TrainEnsembleRun)   train-crystal-ensemble
identify (per atom)     identify (IdentifyRun,                identify, train-identify
                        TrainIdentifyRun)
======================  ====================================  ===========================

``--scheduler`` picks the executor, not the kind: a ``[dask]`` section runs the same config
class (:data:`EXECUTORS`, :data:`RESUMES` and :data:`ON_DASK` say where each kind runs).
``folder`` holds the run-folder contract (atomic writes, lock, marker, file formats),
``sections`` the config sections several kinds share. :func:`parse` tells the kind of a
config by its sections and checks it; :func:`run` writes its run folder.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunResult, reports

# kind -> (the section that marks it, "module:ConfigClass", "module:run function"); checked in this order. Each
# kind's module is imported when a config of its kind is parsed or run, so a command imports only its own
# (`atomatlas identify` needs neither scikit-learn nor matplotlib's table figures: it starts a second sooner).
KINDS = {
    "predict": ("predict", "predict:PredictRun", "predict:run"),
    "crystal classes": ("crystal_classes", "crystal_classes:ClassifyRun", "crystal_classes:classify"),
    "crystal cnn": ("crystal_cnn", "crystal_cnn:TrainRun", "crystal_cnn:train"),
    "crystal ensemble": ("crystal_ensemble", "crystal_ensemble:TrainEnsembleRun", "crystal_ensemble:train"),
    "identify": ("identify", "identify:IdentifyRun", "identify:run"),  # in this process or on Dask workers
    "identify model": ("identify_model", "identify_model:TrainIdentifyRun", "identify_model:train"),
    "segmentation": ("image", "segmentation:SegmentationRun", "segmentation:run"),
    "label few": ("label_few", "label_few:LabelFewRun", "label_few:run"),
    "table classifier": (("table_classifier", "classify"), "classifier:ClassifierRun", "classifier:run"),
    "structures": ("structures", "structures:StructureRun", "structures:run"),
    "table": ("data", "tables:TableRun", "tables:run"),
}
# where each kind runs: the executors it takes ("dask": a [dask] section, --scheduler) and those on which it
# keeps its finished chunks for --resume (engine/parts.py); the one place both options are accepted or refused
EXECUTORS = {"predict": ("local", "dask"), "crystal classes": ("local", "dask"), "identify": ("local", "dask"),
             "table": ("local", "dask"), "structures": ("local", "dask")}
RESUMES = {"identify": ("local", "dask"), "predict": ("dask",), "structures": ("dask",)}
# kinds whose [dask] run is a plan of its own (tables and structures fitted on a sample of the rows:
# runs/on_sample.py; new rows labelled partition by partition or chunk by chunk: runs/predict_parts.py)
ON_DASK = {"table": "on_sample:run_table", "structures": "described_parts:run", "predict": "predict_parts:run"}
TASKS = ("cluster", "table_classifier", "classify", "label_few")  # a table run does one of these


def resolve(name: str):
    """The object ``"module:attribute"`` of atomatlas.runs names (importing the module)."""
    module, attribute = name.split(":")
    return getattr(importlib.import_module(f"atomatlas.runs.{module}"), attribute)


def kind_of_config(config) -> str:
    """The kind of a typed config, by its class (imports only the module it comes from)."""
    where = f"{type(config).__module__.removeprefix('atomatlas.runs.')}:{type(config).__name__}"
    for kind, (_, config_type, _) in KINDS.items():
        if config_type == where:
            return kind
    raise TypeError(f"not a run config: {type(config).__name__}")


def check_executor(kind: str, dask, resume: bool) -> None:
    """Refuse, in one line, a [dask] section (--scheduler) or --resume that this kind of run does not take."""
    where = "dask" if dask is not None else "local"
    if dask is not None and "dask" not in EXECUTORS.get(kind, ("local",)):
        raise AtlasError(f"config: a {kind} run does not run on Dask; remove the [dask] section (--scheduler).")
    if resume and where not in RESUMES.get(kind, ()):
        if RESUMES.get(kind):
            raise AtlasError(f"--resume continues an interrupted --scheduler run (Dask); add --scheduler, or drop "
                             f"--resume: a {kind} run in memory starts over.")
        raise AtlasError(f"--resume: a {kind} run keeps no finished chunks to continue from; drop --resume.")


def kind_of(raw: dict) -> str:
    """Which kind of run a raw config describes, by the sections it has."""
    if not isinstance(raw, dict):
        raise AtlasError(f"config: must be a table of sections, got {raw!r}.")
    if isinstance(raw.get("predict"), dict) and "run" in raw["predict"]:
        return "predict"
    present = [kind for kind, (marks, _, _) in KINDS.items() if kind != "predict"
               and any(mark in raw for mark in ((marks,) if isinstance(marks, str) else marks))]
    tasks = [name for name in TASKS if name in raw]
    if len(tasks) > 1:
        raise AtlasError(f"config: give one of [cluster], [table_classifier] or [label_few], not "
                         f"{' and '.join(tasks)}.")
    inputs = [name for name in ("image", "structures", "data") if name in raw]
    if len(inputs) > 1:
        raise AtlasError(f"config: give [image], [data] or [structures], only one (got {', '.join(inputs)}).")
    if not present:
        raise AtlasError("config: a [data] section with a path (or a [structures] section) is required.")
    return present[0]


def parse(raw: dict, base: Path | None = None):
    """The checked, typed config of a raw one (a recipe, a config.toml, or what a command builds)."""
    kind = kind_of(raw)
    check_executor(kind, raw.get("dask"), resume=False)
    return resolve(KINDS[kind][1]).parse(raw, base)


def run(config, out, *, overwrite: bool = False, report: bool = True, base: Path | None = None,
        progress: bool = False, ask=None, resume: bool = False) -> RunResult:
    """Run a config (raw or typed) into the run folder ``out``: all of it, or nothing.
    ``report``: write report.html into every run folder the run makes; ``resume``: continue from the finished
    chunks an interrupted run on the same ``out`` kept (engine/parts.py), where the kind keeps them."""
    from atomatlas.engine.parts import resuming

    if isinstance(config, dict):
        config = parse(config, base)
    kind = kind_of_config(config)
    check_executor(kind, getattr(config, "dask", None), resume)
    on_dask = getattr(config, "dask", None) is not None and kind in ON_DASK
    run_function = resolve(ON_DASK[kind] if on_dask else KINDS[kind][2])
    with reports(report), resuming(resume):
        if kind == "label few":
            return run_function(config, out, overwrite=overwrite, progress=progress, ask=ask)
        return run_function(config, out, overwrite=overwrite, progress=progress)
