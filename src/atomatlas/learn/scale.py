"""Scaling of feature columns before distances are taken."""

from __future__ import annotations

from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from atomatlas.learn.registry import Registry

SCALERS = Registry("scale")
SCALERS.add("standard", "zero mean, unit variance per column (StandardScaler)",
            lambda with_mean, with_std: StandardScaler(with_mean=with_mean, with_std=with_std),
            defaults={"with_mean": True, "with_std": True}, seeded=False)
SCALERS.add("minmax", "each column mapped onto [0, 1] (MinMaxScaler)",
            lambda clip: MinMaxScaler(clip=clip), defaults={"clip": False}, seeded=False)
SCALERS.add("robust", "median and interquartile range, insensitive to outliers (RobustScaler)",
            lambda quantile_range: RobustScaler(quantile_range=tuple(quantile_range)),
            defaults={"quantile_range": [25.0, 75.0]}, seeded=False)
SCALERS.add("none", "use the features as they are",
            lambda: FunctionTransformer(None, feature_names_out="one-to-one"), seeded=False)


def make_scaler(method: str = "standard", params: dict | None = None):
    """An unfitted scikit-learn transformer for the named scaling."""
    return SCALERS[method].make(params)
