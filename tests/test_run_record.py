"""The run record (metrics.json): declared sections, checked when written, read back typed and versioned."""

import json

import pytest

from atomatlas import api, runs
from atomatlas.errors import AtlasError
from atomatlas.io import run_record


def test_every_kind_of_run_declares_its_record():
    assert set(run_record.KINDS) == set(runs.KINDS)
    for kind, required in run_record.KINDS.items():
        assert set(required) <= set(run_record.SECTIONS), kind


def test_a_record_is_stamped_with_its_version_and_kind():
    record = run_record.stamp("identify", {"classes": ["fcc"], "counts": {"fcc": 4}, "n_frames": 1})
    assert record["record"] == {"version": run_record.VERSION, "kind": "identify"}


@pytest.mark.parametrize("kind, metrics, message", [
    ("identify", {"classes": ["fcc"], "counts": {"fcc": 4}, "n_frames": 1, "mood": "good"},
     "section 'mood' is not declared"),
    ("identify", {"classes": ["fcc"], "counts": [4], "n_frames": 1}, "section 'counts' does not have the declared"),
    ("table", {"input": {"path": "a.csv", "n_rows": "many"}, "scale": {"method": "standard"}},
     "section 'input' does not have the declared"),
    ("identify", {"classes": ["fcc"], "counts": {"fcc": 4}}, r"identify run's record lacks \['n_frames'\]"),
    ("clustering", {}, "unknown kind of run 'clustering'"),
])
def test_a_record_off_its_declaration_is_a_bug_caught_when_written(kind, metrics, message):
    with pytest.raises(ValueError, match=message):
        run_record.stamp(kind, metrics)


def test_a_record_read_back_keeps_only_sections_of_their_declared_types(tmp_path):
    raw = run_record.stamp("table", {"input": {"path": "a.csv", "n_rows": 3, "n_features": 2},
                                     "scale": {"method": "standard"}, "cluster": {"method": "kmeans", "k": 2}})
    raw.update({"evaluation": {"phase": "none", "polytype": {"adjusted_rand_index": 1.0}}, "map": 3,
                "unknown": {"a": 1}})
    raw["cluster"]["cluster_sizes"] = [5, 5]
    (tmp_path / "metrics.json").write_text(json.dumps(raw))
    record = run_record.read(tmp_path)
    assert (record.kind, record.version) == ("table", run_record.VERSION)
    assert record.get("evaluation") == {"polytype": {"adjusted_rand_index": 1.0}}
    assert "map" not in record.sections and "unknown" not in record.sections
    assert record.get("cluster") == {"method": "kmeans", "k": 2}  # the list of sizes left out


def test_a_record_of_a_newer_schema_is_refused_and_an_older_one_read(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"record": {"version": run_record.VERSION + 1,
                                                                  "kind": "table"}}))
    with pytest.raises(AtlasError, match="written by a newer atomatlas .*upgrade atomatlas"):
        run_record.read(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"record": {"version": "one"}}))
    with pytest.raises(AtlasError, match="record version 'one' is not a whole number"):
        run_record.read(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"input": {"path": "a.csv"}}))  # before the schema
    record = run_record.read(tmp_path)
    assert (record.kind, record.version, record.get("input")) == (None, 0, {"path": "a.csv"})


def test_the_summary_and_the_report_read_the_kind_from_the_record(tmp_path, blobs_csv):
    from atomatlas.cli.summaries import report
    from atomatlas.report.contents import gather

    result = api.cluster(blobs_csv, tmp_path / "run", id_columns=["name", "id"], k=2, report=False)
    assert result.metrics["record"] == {"version": run_record.VERSION, "kind": "table"}
    assert gather(tmp_path / "run")["kind"] == "table"
    # a record that says it is a segmentation is summarised as one, whatever else it holds
    result.metrics.update({"record": {"version": 1, "kind": "segmentation"}, "phases": [],
                           "input": {"path": "m.png", "width": 4, "height": 3}})
    assert report(result, what="cluster").startswith("segment: 4 x 3 pixels from m.png")


def _type_name(kind) -> str:
    names = {dict: "object", list: "list", str: "text", int: "integer", float: "number", bool: "true/false",
             type(None): "null"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return "number" if set(kinds) == {int, float} else " or ".join(names[k] for k in kinds)


def sections_table() -> str:
    """docs/run-folder.md's table of the record's sections, as io/run_record.py declares them."""
    rows = ["| section | type | what it holds | kinds that always have it |", "|---|---|---|---|"]
    for key, section in run_record.SECTIONS.items():
        kinds = "every kind" if key in ("record", "versions") else \
            ", ".join(kind for kind, required in run_record.KINDS.items() if key in required)
        rows.append(f"| `{key}` | {_type_name(section.type)} | {section.doc} | {kinds} |")
    return "\n".join(rows)


def test_the_docs_list_every_declared_section():
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "run-folder.md").read_text()
    assert sections_table() in page, "regenerate the table: python tests/test_run_record.py"
    assert f"(schema version {run_record.VERSION})" in page


if __name__ == "__main__":
    print(sections_table())
