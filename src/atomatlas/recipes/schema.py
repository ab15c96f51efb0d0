"""The config schema: check a run config (recipe file or CLI options) and fill in defaults.

A config has the sections ``data``, ``scale``, ``reduce``, ``cluster`` or ``classify``,
``[[evaluate]]``, ``[[compare]]`` and ``predict`` (docs/recipes.md describes each key).
Method parameters sit beside ``method`` and are checked against that method's registry
entry, so a typo is caught before any data is read.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from atomatlas import datasets
from atomatlas.errors import AtlasError

TOP_KEYS = {"name", "description", "seed", "data", "scale", "reduce", "cluster", "classify", "evaluate",
            "compare", "predict", "structures", "centers", "descriptor", "label_few", "anomaly", "image"}
DATA_KEYS = {"path": None, "id_columns": None, "features": None, "features_regex": None, "exclude": [],
             "label_column": None, "delimiter": None, "drop_constant": False}
CLUSTER_KEYS = {"method": "kmeans", "k": "auto", "select": "silhouette", "k_min": 2, "k_max": 10, "on": None,
                "name": None}
CLASSIFY_KEYS = {"method": "logistic", "folds": 5, "test_size": 0.0}
EVALUATE_KEYS = {"name": None, "labels": None, "on": None, "column": None, "transform": "none"}
LABEL_FEW_KEYS = {"budget": None, "k": None, "propagate": "cluster", "fraction": 1.0, "oracle": None,
                  "label_file": None, "test_size": 0.0, "split_seed": None, "next": 10}
PREDICT_KEYS = {"path": None, "delimiter": None, "paths": [], "build": []}


def _check_keys(section: dict, allowed, where: str) -> None:
    if not isinstance(section, dict):
        raise AtlasError(f"config: [{where}] must be a table of keys, got {section!r}.")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise AtlasError(f"config: unknown key {unknown[0]!r} in [{where}]; allowed: {sorted(allowed)}.")


def _split_method(section: dict, fixed: dict, registry, where: str) -> dict:
    """Separate fixed keys from method parameters and check the parameters."""
    if not isinstance(section, dict):
        raise AtlasError(f"config: [{where}] must be a table of keys, got {section!r}.")
    out = {key: section.get(key, default) for key, default in fixed.items()}
    params = {key: value for key, value in section.items() if key not in fixed}
    spec = registry[out["method"]]
    spec.check_params(params)
    out["params"] = params
    return out


def _path(value, base: Path | None, where: str) -> str:
    """An input as the config stores it: dataset:NAME kept, other paths made absolute (see datasets.input_spec)."""
    if not isinstance(value, str) or not value:
        raise AtlasError(f"config: {where} must be a file path (or dataset:NAME); got {value!r}.")
    return datasets.input_spec(value, base)


def _cluster_section(section: dict, where: str) -> dict:
    from atomatlas.learn.cluster import CLUSTERERS

    out = _split_method(section, CLUSTER_KEYS, CLUSTERERS, where)
    k = out["k"]
    if not (k == "auto" or k is None or (isinstance(k, int) and not isinstance(k, bool))):
        raise AtlasError(f"config: [{where}] k must be an integer or \"auto\"; got {k!r}.")
    if out["on"] not in (None, "reduced", "scaled"):
        raise AtlasError(f"config: [{where}] on must be \"reduced\" or \"scaled\"; got {out['on']!r}.")
    return out


def _number(section: dict, key: str, where: str, low: float, high: float, integer: bool = False,
            closed_low: bool = True):
    value = section[key]
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool) and (value >= low if closed_low else value > low) \
        and value <= high
    if not ok:
        bound = "[" if closed_low else "("
        raise AtlasError(f"config: [{where}] {key} must be {'an integer' if integer else 'a number'} in "
                         f"{bound}{low}, {high}]; got {value!r}.")
    return value


def _label_few_section(section: dict, base: Path | None) -> dict:
    from atomatlas.learn.label_few import PROPAGATIONS

    _check_keys(section, LABEL_FEW_KEYS, "label_few")
    out = {**LABEL_FEW_KEYS, **section}
    if out["budget"] is None:
        raise AtlasError("config: [label_few] needs budget = N (how many rows an expert will label).")
    _number(out, "budget", "label_few", 1, float("inf"), integer=True)
    if out["k"] is not None:
        _number(out, "k", "label_few", 1, float("inf"), integer=True)
    _number(out, "fraction", "label_few", 0, 1, closed_low=False)
    _number(out, "test_size", "label_few", 0, 0.9)
    _number(out, "next", "label_few", 0, float("inf"), integer=True)
    if out["split_seed"] is not None:
        _number(out, "split_seed", "label_few", 0, float("inf"), integer=True)
    if out["propagate"] not in PROPAGATIONS:
        raise AtlasError(f"config: [label_few] propagate must be one of {list(PROPAGATIONS)}; "
                         f"got {out['propagate']!r}.")
    if out["label_file"] is not None:
        out["label_file"] = _path(out["label_file"], base, "[label_few] label_file")
    return out


def _anomaly_section(section: dict) -> dict:
    from atomatlas.learn.anomaly import DETECTORS, THRESHOLDS

    out = _split_method(section, {"method": "gmm", "threshold": "percentile", "percentile": 4.0, "n_mad": 5.0},
                        DETECTORS, "anomaly")
    if out["threshold"] not in THRESHOLDS:
        raise AtlasError(f"config: [anomaly] threshold must be one of {list(THRESHOLDS)}; got {out['threshold']!r}.")
    _number(out, "percentile", "anomaly", 0, 50, closed_low=False)
    _number(out, "n_mad", "anomaly", 0, float("inf"), closed_low=False)
    return out


PREDICT_ONLY_KEYS = {"run": None, "paths": [], "delimiter": None}


def is_predict_only(config: dict) -> bool:
    """A config that labels new inputs with a saved run (what `atomatlas predict` records)."""
    return isinstance(config.get("predict"), dict) and "run" in config["predict"]


def _predict_only(config: dict, out: dict, base: Path | None) -> dict:
    _check_keys(config, {"name", "description", "seed", "predict"}, "top level of a predict config")
    section = config["predict"]
    _check_keys(section, PREDICT_ONLY_KEYS, "predict")
    section = {**copy.deepcopy(PREDICT_ONLY_KEYS), **section}
    if not isinstance(section["paths"], list) or not section["paths"]:
        raise AtlasError("config: [predict] needs paths = [the new table or structure files].")
    run = section["run"]
    if not isinstance(run, str) or not run:
        raise AtlasError(f"config: [predict] run must be the folder of a saved run; got {run!r}.")
    out["predict"] = {"run": os.path.abspath(base / run if base is not None else run),
                      "paths": [_path(p, base, "[predict] paths") for p in section["paths"]],
                      "delimiter": section["delimiter"]}
    return out


def normalise(config: dict, base: Path | None = None) -> dict:
    """A complete, checked copy of ``config`` with every path resolved and every default explicit."""
    from atomatlas.learn.reduce import REDUCERS
    from atomatlas.learn.scale import SCALERS
    from atomatlas.learn.supervised import CLASSIFIERS

    config = copy.deepcopy(config)
    _check_keys(config, TOP_KEYS, "top level")
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AtlasError(f"config: seed must be a non-negative integer; got {seed!r}.")
    out = {"name": str(config.get("name", "run")), "description": str(config.get("description", "")), "seed": seed}
    if is_predict_only(config):
        return _predict_only(config, out, base)

    data = config.get("data")
    if "image" in config:
        if data is not None or "structures" in config:
            raise AtlasError("config: give [image], [data] or [structures], only one.")
        from atomatlas.segment import normalise_image

        out["data"] = None
        out["image"] = normalise_image(config["image"], base)
    elif "structures" in config:
        if data is not None:
            raise AtlasError("config: give [data] (a table) or [structures], not both.")
        from atomatlas.environments import normalise_structures

        out["data"] = None
        out.update(normalise_structures(config, base))
    elif data is None:
        raise AtlasError("config: a [data] section with a path (or a [structures] section) is required.")
    else:
        _check_keys(data, DATA_KEYS, "data")
        out["data"] = {**copy.deepcopy(DATA_KEYS), **data}
        out["data"]["path"] = _path(data.get("path"), base, "[data] path")

    out["scale"] = _split_method(config.get("scale", {"method": "standard"}), {"method": "standard"}, SCALERS,
                                 "scale")
    out["reduce"] = (_split_method(config["reduce"], {"method": "pca"}, REDUCERS, "reduce")
                     if "reduce" in config else None)
    tasks = [name for name in ("cluster", "classify", "label_few") if name in config]
    if len(tasks) > 1:
        raise AtlasError(f"config: give one of [cluster], [classify] or [label_few], not {' and '.join(tasks)}.")
    out["label_few"] = _label_few_section(config["label_few"], base) if "label_few" in config else None
    if out["label_few"] is not None and out["data"] is None:
        raise AtlasError("config: [label_few] works on a [data] table.")
    out["anomaly"] = _anomaly_section(config["anomaly"]) if "anomaly" in config else None
    out["cluster"] = _cluster_section(config["cluster"], "cluster") if "cluster" in config else None
    out["classify"] = (_split_method(config["classify"], CLASSIFY_KEYS, CLASSIFIERS, "classify")
                       if "classify" in config else None)
    if out["classify"] is not None:
        _number(out["classify"], "test_size", "classify", 0, 0.9)
    if "image" in out and (out["cluster"] is None or out["classify"] or out["label_few"] or out["anomaly"]):
        raise AtlasError("config: [image] is segmented by a [cluster] section (method and k) and nothing else.")
    if out["cluster"] is not None and out["cluster"]["on"] is None:
        out["cluster"]["on"] = "reduced" if out["reduce"] is not None else "scaled"
    if out["cluster"] is not None and out["cluster"]["on"] == "reduced" and out["reduce"] is None:
        raise AtlasError("config: [cluster] on = \"reduced\" needs a [reduce] section.")

    evaluations = config.get("evaluate", [])
    if isinstance(evaluations, dict):
        evaluations = [evaluations]
    out["evaluate"] = []
    for i, entry in enumerate(evaluations):
        _check_keys(entry, EVALUATE_KEYS, f"evaluate {i + 1}")
        entry = {**EVALUATE_KEYS, **entry}
        if not entry["column"]:
            raise AtlasError(f"config: [[evaluate]] entry {i + 1} needs a column (the label column).")
        if entry["labels"] is not None:
            entry["labels"] = _path(entry["labels"], base, f"[[evaluate]] {i + 1} labels")
            if not entry["on"]:
                raise AtlasError(f"config: [[evaluate]] entry {i + 1} reads labels from another file and needs "
                                 "on = [join columns].")
        entry["name"] = entry["name"] or entry["column"]
        out["evaluate"].append(entry)

    compare = config.get("compare", [])
    out["compare"] = [_cluster_section(entry, f"compare {i + 1}") for i, entry in enumerate(compare)]
    if out["compare"] and out["cluster"] is None:
        raise AtlasError("config: [[compare]] needs a [cluster] section to compare with.")
    for entry in out["compare"]:
        entry["on"] = entry["on"] or out["cluster"]["on"]

    predict = config.get("predict")
    if predict:
        _check_keys(predict, PREDICT_KEYS, "predict")
        out["predict"] = {**copy.deepcopy(PREDICT_KEYS), **predict}
        if out["data"] is not None:
            out["predict"]["path"] = _path(predict.get("path"), base, "[predict] path")
        else:
            out["predict"]["paths"] = [_path(p, base, "[predict] paths") for p in out["predict"]["paths"]]
            if not out["predict"]["paths"] and not out["predict"]["build"]:
                raise AtlasError("config: [predict] for structures needs paths = [...] or build = [...].")
    else:
        out["predict"] = None
    return out


def to_toml_dict(config: dict) -> dict:
    """The config as a TOML-writable dict (TOML has no null: None values are left out)."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value if v is not None]
        return value

    flat = copy.deepcopy(config)
    if is_predict_only(flat):
        return clean(flat)
    for section in ("scale", "reduce", "cluster", "classify", "descriptor", "anomaly"):
        if flat.get(section):
            flat[section] = {**{k: v for k, v in flat[section].items() if k != "params"}, **flat[section]["params"]}
    flat["compare"] = [{**{k: v for k, v in c.items() if k != "params"}, **c["params"]} for c in flat["compare"]]
    return clean(flat)
