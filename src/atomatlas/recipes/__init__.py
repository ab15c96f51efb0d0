"""Recipes: named run configs shipped as TOML files (the sections of `atomatlas.runs` check them)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from atomatlas.errors import AtlasError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("atomatlas.recipes").iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str) -> tuple[dict, Path]:
    """Read a recipe by name (shipped) or path; returns the raw config and its folder."""
    path = Path(name_or_path)
    if not (path.suffix == ".toml" or path.exists()):
        if name_or_path not in names():
            raise AtlasError(f"unknown recipe {name_or_path!r}; choose one of {names()} or give a .toml path.")
        path = Path(str(resources.files("atomatlas.recipes") / f"{name_or_path}.toml"))
    if not path.exists():
        raise AtlasError(f"recipe file {path} not found; check the path or run `atomatlas list recipes`.")
    from atomatlas.untrusted import check_readable_file, parse_toml, read_text

    check_readable_file(path, "recipe")
    config = parse_toml(read_text(path, "recipe"), path, "fix the recipe (docs/recipes.md).")
    config.setdefault("name", path.stem)
    return config, path.parent
