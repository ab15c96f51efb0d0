import numpy as np
import pandas as pd
import pytest

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.io.tables import join_labels, read_table


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_fe_table_with_ids_and_label():
    table = read_table(datasets.path_of("Fe2_descriptor.csv"), label_column="polytype")
    assert table.id_columns == ["key", "id"]  # 'id' is numeric but named like an id
    assert len(table.feature_names) == 26 and table.feature_names[0] == "a0.70_rp2.40"
    assert table.X.shape == (42, 26)
    assert sorted(table.labels.unique()) == ["Fe-bcc", "Fe-fcc", "Fe-hcp"]


def test_carbon_atom_column_is_an_id_not_a_feature():
    table = read_table(datasets.path_of("Carbon8_descriptor.csv"))
    assert table.id_columns == ["key", "atom"]
    assert len(table.feature_names) == 15 and "atom" not in table.feature_names


def test_features_by_regex_and_names(tmp_path):
    table = read_table(datasets.path_of("Fe2_descriptor.csv"), id_columns=["key", "id"], features_regex=r"^hist",
                       label_column="polytype")
    assert table.feature_names == [f"hist{i}" for i in range(1, 21)]
    table = read_table(datasets.path_of("Fe2_descriptor.csv"), features=["hist1", "hist3"])
    assert table.feature_names == ["hist1", "hist3"]


def test_join_labels_aligns_on_keys():
    table = read_table(datasets.path_of("Carbon8_descriptor.csv"))
    labels = join_labels(table, datasets.path_of("Carbon8_descriptor_selected_sp.csv"), on=["key", "atom"],
                         column="sp_label")
    assert len(labels) == 3560 and labels.notna().sum() == 144
    assert labels.value_counts().to_dict() == {"sp2": 88, "sp3": 26, "sp2_tube": 16, "sp2_edge": 8, "sp": 6}


@pytest.mark.parametrize("text, kwargs, message", [
    ("", {}, r"the file is empty"),
    ("a,b,c\n", {}, r"header but no data rows"),
    ("a;b;c\n1;2;3\n4;5;6\n", {}, r"looks ';'-separated.*--delimiter"),
    ("a\tb\n1\t2\n3\t4\n", {}, r"looks tab-separated"),
    ("x,y\n1,2\n3,abc\n4,5\n", {}, r"column 'y' is not numeric \(line 3 has 'abc'\)"),
    ("x,y,z\n1,,3\n2,,5\n3,,4\n", {}, r"column 'y' is empty \(all values missing\)"),
    ("x,y\n1,2\n3,\n4,5\n", {}, r"column 'y' has 1 missing value\(s\) \(first on line 3\)"),
    ("x,y\n1,2\n3,inf\n4,5\n", {}, r"column 'y' has 1 infinite value\(s\) \(first on line 3\)"),
    ("x,y\n1,7\n3,7\n4,7\n", {}, r"column 'y' is constant \(every value is 7\).*--drop-constant"),
    ("x,y\n1,2\n3,4\n", {"label_column": "phase"}, r"label column 'phase' not found"),
    ("x,y\n1,2\n3,4\n", {"features": ["x", "q"]}, r"feature column\(s\) \['q'\] not found"),
    ("x,y\n1,2\n3,4\n", {"features_regex": "^z"}, r"no column matches --features-regex '\^z'"),
    ("x,y\n1,2\n3,4\n", {"exclude": ["w"]}, r"--exclude column 'w' not found"),
    ("name,kind\na,b\nc,d\n", {}, r"no numeric feature columns"),
])
def test_bad_tables_raise_one_clear_error(tmp_path, text, kwargs, message):
    with pytest.raises(AtlasError, match=message) as info:
        read_table(write(tmp_path, text), **kwargs)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(AtlasError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(AtlasError, match="is a folder"):
        read_table(tmp_path)


def test_drop_constant_keeps_the_rest(tmp_path):
    table = read_table(write(tmp_path, "x,y,z\n1,7,2\n3,7,1\n4,7,0\n"), drop_constant=True)
    assert table.feature_names == ["x", "z"] and table.dropped_constant == ["y"]


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"key": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "y": [0.5, 0.1, 0.2]})
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    assert table.id_columns == ["key"] and np.allclose(table.X, frame[["x", "y"]].to_numpy())


def test_a_column_named_row_is_a_feature(tmp_path):
    """Element tables (mono_structure.csv) have `row`, the periodic-table row: a feature, not an id."""
    table = read_table(write(tmp_path, "Z,symbol,row,X\n1,H,1,2.2\n3,Li,2,0.98\n11,Na,3,0.93\n"))
    assert table.id_columns == ["symbol"] and table.feature_names == ["Z", "row", "X"]
