"""The model files that ship in the package (src/atomatlas/models/), and which a model setting names."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = ("ensemble", "cnn")


def shipped_model_dir() -> Path:
    return Path(str(resources.files("atomatlas") / "models"))


def model_kind(model: str | None) -> tuple[str, Path]:
    """("ensemble" or "cnn", folder) for a ``model`` setting: a shipped name, None (the ensemble) or a folder."""
    from atomatlas.learn.crystal_ensemble import is_ensemble_folder

    if model is None or model in SHIPPED:
        return model or "ensemble", shipped_model_dir()
    return ("ensemble" if is_ensemble_folder(model) else "cnn"), Path(model)
