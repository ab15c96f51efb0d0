"""What a user sees when something goes wrong: one error type, and quiet libraries.

The CLI prints ``AtlasError`` messages on one line and exits with status 2; any other
exception is a bug: one line saying so (exit 1), the traceback with ``--debug``.

Libraries warn about things that are expected in our use (DScribe's basis conditioning
at large ``n_max``, spglib's error-handling switch, UMAP's seed disabling threads).
:func:`hide_library_warnings` hides exactly those, by category and message, around the
call that raises them; ``--debug`` (:data:`show_all_warnings`) shows them again.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

# Set by the CLI's --debug: library warnings are then shown as the libraries raise them.
show_all_warnings = False


class AtlasError(ValueError):
    """A problem with the user's input or options.

    The message says what is wrong (with the offending value) and what to do. It is a
    ``ValueError``, so code written for scikit-learn's bad-input errors catches it too.
    """

    exit_status = 2

    def __init__(self, message: str):
        # One line: the CLI promises a single line per error.
        super().__init__(" ".join(str(message).split()))


class SomeInputsSkipped(Exception):
    """A batch finished, but some of its inputs could not be used (exit status 3).

    Raised after every usable input was processed and the results were written.
    """

    exit_status = 3

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


@contextmanager
def hide_library_warnings(*rules: tuple[type[Warning], str]):
    """Hide the warnings matching ``(category, message regex)`` inside the block, unless --debug."""
    if show_all_warnings:
        yield
        return
    with warnings.catch_warnings():
        for category, message in rules:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


# spglib 2.x warns on every call that its old error handling is deprecated; we catch its errors.
SPGLIB_ERROR_HANDLING = (DeprecationWarning, "Set OLD_ERROR_HANDLING to false")
