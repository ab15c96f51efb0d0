"""metrics.json, the run record: its sections declared once, versioned, written checked and read back typed.

Every run folder holds one record. Its ``record`` section names the schema version and the
kind of run (as ``atomatlas.runs.KINDS`` names it), so the terminal summary and
report.html read what ran from there instead of guessing from key names. Every
top-level section a run may write is declared in :data:`SECTIONS` with its JSON type
and the types of the parts readers use; :func:`stamp` refuses (as a bug of ours) a
record with an undeclared section, a section of another type, or without a section its
kind must have. :func:`read` takes a record back from disk as untrusted data: a newer
schema is refused in one line, and a section or part of an unexpected type (an edited
file) is left out, so readers may take the declared types for granted. docs/run-folder.md
lists the sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from atomatlas.errors import AtlasError

VERSION = 1  # 1: the first declared schema (records before it have no "record" section: read as version 0)
FILE = "metrics.json"

OBJECT, LIST, TEXT, FLAG = dict, list, str, bool
INTEGER, NUMBER, NONE = int, (int, float), type(None)


@dataclass(frozen=True)
class Section:
    """One top-level section of the record: its JSON type, the parts readers use, what it says."""

    type: type | tuple
    doc: str
    parts: dict = field(default_factory=dict)  # part name -> JSON type, checked where the part is present
    each: type | None = None  # an object of records (evaluation): every value's type


SECTIONS = {
    "record": Section(OBJECT, "schema version and kind of run", {"version": INTEGER, "kind": TEXT}),
    "name": Section(TEXT, "the config's name"),
    "atomatlas_version": Section(TEXT, "the atomatlas that wrote the folder"),
    "seed": Section(INTEGER, "the run's seed"),
    "versions": Section(OBJECT, "versions of the packages that computed it"),
    "input": Section(OBJECT, "what was read", {"path": TEXT, "n_rows": INTEGER, "n_features": INTEGER,
                                                "id_columns": (LIST, NONE), "width": INTEGER, "height": INTEGER}),
    "fit_on": Section(OBJECT, "a --scheduler run: the sample the flow was fitted on", {"rows": INTEGER,
                                                                                       "of": INTEGER}),
    "scale": Section(OBJECT, "the scaler", {"method": TEXT}),
    "reduce": Section(OBJECT, "the reduction", {"method": TEXT, "explained_variance_ratio": LIST}),
    "map": Section(OBJECT, "what map.csv's axes are", {"axis": TEXT}),
    "cluster": Section(OBJECT, "the clustering", {
        "method": TEXT, "k": (INTEGER, NONE), "selected_by": (TEXT, NONE), "n_noise": INTEGER, "scores": OBJECT,
        "cluster_sizes": OBJECT, "silhouette_by_cluster": OBJECT, "k_selection": OBJECT, "names": OBJECT}),
    "comparison": Section(LIST, "the [[compare]] methods, each with its k and scores"),
    "evaluation": Section(OBJECT, "scores against each label set", each=OBJECT),
    "anomaly": Section(OBJECT, "the anomaly detector and its threshold", {
        "method": TEXT, "n_flagged": INTEGER, "rule": TEXT, "threshold": NUMBER}),
    "structures": Section(OBJECT, "what was described, and the structure outputs", {
        "n_frames": INTEGER, "n_centres": INTEGER, "fit_frames": OBJECT, "cluster_sizes": OBJECT,
        "site_purity": OBJECT}),
    "classify": Section(OBJECT, "the table classifier", {"method": TEXT, "grid_search": OBJECT}),
    "cross_validation": Section(OBJECT, "the classifier's cross-validated scores", {"accuracy": NUMBER}),
    "holdout": Section(OBJECT, "the classifier's held-out scores", {"accuracy": NUMBER}),
    "label_few": Section(OBJECT, "the label-few loop's state and scores", {"n_train_rows": INTEGER, "k": INTEGER}),
    "phases": Section(LIST, "segment: each phase's area fraction"),
    "model": Section((TEXT, OBJECT), "the model used (a path or name; predict: the saved model's kind)"),
    "model_kind": Section(TEXT, "classify: ensemble or cnn"),
    "classes": Section(LIST, "the classes a classify or identify model knows"),
    "counts": Section(OBJECT, "how many rows or atoms took each label"),
    "grains": Section(OBJECT, "identify --grains: the grain tables written and their sizes",
                      {"files": LIST, "n_grains": INTEGER, "n_boundaries": INTEGER}),
    "faults": Section(OBJECT, "identify: atoms in each kind of fcc planar fault (intrinsic, extrinsic, twin, "
                              "multilayer)"),
    "cluster_sizes": Section(OBJECT, "predict: rows per cluster"),
    "accuracy": Section(NUMBER, "predict: accuracy against the new rows' labels"),
    "labels_file": Section(TEXT, "where the labels went when not labels.csv"),
    "n_structures": Section(INTEGER, "classify: structures labelled"),
    "n_frames": Section(INTEGER, "identify: frames labelled"),
    "n_atoms": Section(INTEGER, "identify: atoms labelled"),
    "atoms_per_second": Section(NUMBER, "identify: its rate"),
    "skipped": Section(LIST, "files and frames left out, each with why"),
    "dask": Section(OBJECT, "where a --scheduler run ran, and what it took over from an interrupted one"),
    "resume": Section(OBJECT, "what an in-memory --resume took over"),
    "figures": Section(LIST, "the figures written"),
    "descriptor": Section(OBJECT, "a trained model's descriptor"),
    "fingerprint": Section(TEXT, "a trained CNN's fingerprint"),
    "training": Section(OBJECT, "a trained model's settings and training figures"),
    "tests": Section(OBJECT, "a trained CNN's held-out tests"),
}

# kind of run (runs.KINDS) -> the sections its record always has
KINDS = {
    "table": ("input", "scale"),
    "structures": ("input", "scale", "structures"),
    "table classifier": ("input", "classify"),
    "label few": ("input", "label_few"),
    "segmentation": ("input", "cluster", "phases"),
    "predict": ("input", "model"),
    "crystal classes": ("classes", "counts", "n_structures"),
    "crystal cnn": ("classes", "training", "tests"),
    "crystal ensemble": ("descriptor", "training"),
    "identify": ("classes", "counts", "n_frames"),
    "identify model": ("descriptor", "training"),
}


def _fits(value, kind) -> bool:
    """``value`` is of the JSON type ``kind`` (true and false are not numbers)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def stamp(kind: str, metrics: dict) -> dict:
    """``metrics`` with its ``record`` section, checked against the declaration (JSON-ready values): a run that
    writes an undeclared or mistyped section, or lacks one its kind has, is a bug of ours, found by the tests."""
    if kind not in KINDS:
        raise ValueError(f"run record: unknown kind of run {kind!r}; declare it in io/run_record.KINDS")
    record = {**metrics, "record": {"version": VERSION, "kind": kind}}
    for key, value in record.items():
        section = SECTIONS.get(key)
        if section is None:
            raise ValueError(f"run record: section {key!r} is not declared in io/run_record.SECTIONS")
        if _checked(section, value) != value:
            raise ValueError(f"run record: section {key!r} does not have the declared types: {section}")
    missing = [key for key in KINDS[kind] if key not in record]
    if missing:
        raise ValueError(f"run record: a {kind} run's record lacks {missing}")
    return record


def _checked(section: Section, value):
    """The value with what does not have the declared type left out, or None when the section itself does not."""
    if not _fits(value, section.type):
        return None
    if isinstance(value, dict) and section.parts:
        value = {k: v for k, v in value.items() if k not in section.parts or _fits(v, section.parts[k])}
    if isinstance(value, dict) and section.each is not None:
        value = {k: v for k, v in value.items() if _fits(v, section.each)}
    return value


@dataclass
class Record:
    """A run record read back: its kind, schema version and declared sections of the declared types."""

    kind: str | None  # None: a record from before the schema (version 0)
    version: int
    sections: dict

    def get(self, key: str, default=None):
        return self.sections.get(key, default)


def typed(raw, where) -> Record:
    """A record parsed from untrusted JSON, as :class:`Record`; a newer schema is refused in one line."""
    if not isinstance(raw, dict):
        raise AtlasError(f"{where} does not hold a JSON object; rerun the run to rebuild it.")
    head = raw.get("record") if isinstance(raw.get("record"), dict) else {}
    version = head.get("version", 0)
    if not _fits(version, INTEGER) or version < 0:
        raise AtlasError(f"{where}: record version {version!r} is not a whole number; rerun the run to rebuild it.")
    if version > VERSION:
        raise AtlasError(f"{where}: written by a newer atomatlas (run record version {version}; this one reads up "
                         f"to {VERSION}); upgrade atomatlas, or rerun the run with this one.")
    kind = head.get("kind") if head.get("kind") in KINDS else None
    sections = {}
    for key, section in SECTIONS.items():
        if key in raw and (value := _checked(section, raw[key])) is not None:
            sections[key] = value
    return Record(kind=kind, version=version, sections=sections)


def read(folder: Path, advice: str = "rerun the run to rebuild it.") -> Record:
    """The record of run folder ``folder`` (empty when it has none), read as untrusted data."""
    from atomatlas.untrusted import check_regular, parse_json, read_text

    path = Path(folder) / FILE
    if not check_regular(path, f"atomatlas reads only the regular files of a run folder: {advice}"):
        return Record(kind=None, version=VERSION, sections={})
    return typed(parse_json(read_text(path, "JSON file"), path, advice), path)


def kind_of(metrics: dict) -> str | None:
    """The kind of run a record (as a run returns it) says it is."""
    head = metrics.get("record")
    return head.get("kind") if isinstance(head, dict) else None
