"""scikit-learn's own estimator checks on atomatlas estimators (DESIGN: copy scikit-learn's contract)."""

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from atomatlas.learn.cluster import AtlasCluster
from atomatlas.learn.nested import NestedClusterer
from atomatlas.learn.reduce import MDS


def expected_failures(estimator):
    failures = {}
    if isinstance(estimator, (AtlasCluster, NestedClusterer)):
        failures["check_fit2d_1sample"] = "a fixed k larger than the rows is refused with our own message"
    if isinstance(estimator, MDS):
        failures["check_fit2d_1sample"] = "an embedding needs at least 3 rows; our message says so"
    return failures


@parametrize_with_checks([AtlasCluster(k=3, random_state=0), NestedClusterer(k=3, random_state=0),
                          MDS(n_init=1, max_iter=50, random_state=0)],
                         expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
