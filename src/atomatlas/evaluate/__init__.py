"""How right is a result: scores of clusters against labels, and the geometric truth of surface sites."""

from atomatlas.evaluate.clusters import (cluster_accuracy, contingency, evaluate_clusters, purity,
                                         transform_labels)

__all__ = ["cluster_accuracy", "contingency", "evaluate_clusters", "purity", "transform_labels"]
