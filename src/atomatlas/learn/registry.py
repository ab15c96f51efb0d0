"""One registry of named methods per step, with validated parameters.

A :class:`Method` says what a name builds, which parameters it takes (with their
defaults, which double as documentation) and which values are allowed. Building
checks every parameter before any work starts, so a typo fails in a second with a
message that lists the allowed names and values.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from atomatlas.errors import AtlasError


@dataclass(frozen=True)
class Method:
    """A named method of one step.

    ``build(**params)`` returns an unfitted estimator. ``defaults`` lists every
    parameter a user may set; ``choices`` restricts some of them to a set of values.
    ``takes_k`` names the parameter that receives the number of clusters (or None),
    ``seeded`` says whether ``random_state`` is passed through.
    """

    name: str
    step: str
    summary: str
    build: Callable[..., Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, tuple] = field(default_factory=dict)
    takes_k: str | None = None
    seeded: bool = True
    auto_k: tuple[str, ...] = ()  # criteria this method supports for k = "auto"
    requires: str | None = None  # optional module needed at fit time
    fractions: tuple[str, ...] = ()  # integer parameters that also take a fraction in (0, 1) (PCA's n_components)
    estimator_type: type | None = None  # what build returns, to name a given estimator by its method

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Merge ``params`` over the defaults, rejecting unknown names and bad values."""
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            allowed = ", ".join(sorted(self.defaults)) or "none"
            raise AtlasError(f"unknown parameter {unknown[0]!r} for {self.step} method {self.name!r}; "
                             f"allowed: {allowed}.")
        merged = {**self.defaults, **params}
        for key, value in params.items():
            default = self.defaults[key]
            if key in self.choices and value not in self.choices[key]:
                raise AtlasError(f"{self.step} method {self.name!r}: {key}={value!r} is not allowed; "
                                 f"choose one of {list(self.choices[key])}.")
            if key in self.fractions and isinstance(value, float) and 0.0 < value < 1.0:
                continue
            if not _type_fits(value, default):
                raise AtlasError(f"{self.step} method {self.name!r}: {key}={value!r} should be "
                                 f"{_type_name(default)} (default {default!r}).")
        return merged

    def make(self, params: dict[str, Any] | None = None, *, k: int | None = None, random_state=None):
        """Build the estimator from checked parameters."""
        merged = self.check_params(dict(params or {}))
        if k is not None:
            if self.takes_k is None:
                raise AtlasError(f"{self.step} method {self.name!r} does not take k: it finds the number "
                                 f"of clusters itself; drop --k.")
            merged[self.takes_k] = k
        if self.seeded:
            merged["random_state"] = random_state
        estimator = self.build(**merged)
        _validate_sklearn_params(estimator, self)
        return estimator


def _type_fits(value, default) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def _type_name(default) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string",
            list: "a list", tuple: "a list"}.get(type(default), type(default).__name__)


def _validate_sklearn_params(estimator, method: Method) -> None:
    """Let scikit-learn check value ranges now (it otherwise does so only inside fit)."""
    validate = getattr(estimator, "_validate_params", None)
    if not callable(validate) or not hasattr(estimator, "_parameter_constraints"):
        return
    try:
        from sklearn.utils._param_validation import InvalidParameterError
    except ImportError:  # older scikit-learn: the check happens at fit instead
        return
    try:
        validate()
    except InvalidParameterError as exc:
        raise AtlasError(f"{method.step} method {method.name!r}: {exc}") from exc


@contextmanager
def library_refusals(step: str, name: str, params: dict | None):
    """Turn a library's ValueError about the user's values into one AtlasError naming the method and parameters.

    Wrapped only around calls into scikit-learn, DScribe and friends with user-chosen
    parameters: our own checks raise AtlasError before, so what remains is the
    library's own range or size check (e.g. more CV folds than rows in a class).
    """
    try:
        yield
    except AtlasError:
        raise
    except ValueError as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in (params or {}).items()) or "default parameters"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AtlasError(f"{step} method {name!r} ({shown}) cannot run on this data: {first}; change the "
                         f"parameter it names (see `atomatlas list`).") from exc


class Registry:
    """The named methods of one step (``scale``, ``reduce``, ``cluster``, ``classifier``)."""

    def __init__(self, step: str):
        self.step = step
        self._methods: dict[str, Method] = {}

    def add(self, name: str, summary: str, build: Callable[..., Any], **kwargs) -> Method:
        method = Method(name=name, step=self.step, summary=summary, build=build, **kwargs)
        self._methods[name] = method
        return method

    def __getitem__(self, name: str) -> Method:
        try:
            return self._methods[name]
        except KeyError:
            raise AtlasError(f"unknown {self.step} method {name!r}; choose one of {self.names()}.") from None

    def __contains__(self, name: str) -> bool:
        return name in self._methods

    def __iter__(self):
        return iter(self._methods.values())

    def names(self) -> list[str]:
        return list(self._methods)


def accepted_kwargs(cls, candidates: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``candidates`` that ``cls.__init__`` accepts (for version differences)."""
    names = inspect.signature(cls).parameters
    return {k: v for k, v in candidates.items() if k in names}
