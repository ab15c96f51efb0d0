import numpy as np
import pytest

from atomatlas import datasets
from atomatlas.errors import AtlasError
from atomatlas.io.tables import read_table
from atomatlas.learn.supervised import check_folds, cross_validate, make_classifier


@pytest.fixture(scope="module")
def fe():
    table = read_table(datasets.path_of("Fe2_descriptor.csv"), label_column="polytype")
    return table.X, table.labels.to_numpy()


@pytest.mark.parametrize("method", ["logistic", "mlp"])
def test_classifiers_separate_iron_phases(fe, method):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = fe
    model = make_pipeline(StandardScaler(), make_classifier(method, random_state=0))
    result = cross_validate(model, X, y, n_splits=5, random_state=0)
    assert result["accuracy"] == pytest.approx(1.0)
    assert result["confusion"].to_numpy().trace() == 42
    assert set(result["report"]) >= {"Fe-bcc", "Fe-fcc", "Fe-hcp", "accuracy"}


@pytest.fixture(scope="module")
def fe_new():
    """The seminar's six other iron structures: rows the classifiers never see while fitting."""
    table = read_table(datasets.path_of("Fe2_descriptor_newdata.csv"), label_column="polytype", constant="keep")
    return table.X, table.labels.to_numpy()


def test_l1_logistic_is_sparse_and_right_on_held_out_rows(fe, fe_new):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = fe
    model = make_pipeline(StandardScaler(), make_classifier("logistic", {"penalty": "l1", "Cs": 4},
                                                            random_state=0)).fit(X, y)
    X_new, y_new = fe_new
    assert (model.predict(X_new) == y_new).mean() == 1.0
    coefficients = model[-1].coef_
    assert (coefficients == 0).mean() > 0.3  # L1 keeps a few features per class; L2 would keep all


def test_folds_need_enough_rows_per_class():
    y = np.array(["a"] * 10 + ["b"] * 2)
    with pytest.raises(AtlasError, match=r"class 'b' has only 2 row\(s\), fewer than --folds 5"):
        check_folds(y, 5)
    with pytest.raises(AtlasError, match=r"at least 2 classes"):
        check_folds(np.array(["a"] * 5), 2)
