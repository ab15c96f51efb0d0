"""The one error type for everything a user can fix.

The CLI prints ``AtlasError`` messages on one line and exits with status 2;
any other exception is a bug and keeps its traceback.
"""


class AtlasError(ValueError):
    """A problem with the user's input or options.

    The message says what is wrong (with the offending value) and what to do. It is a
    ``ValueError``, so code written for scikit-learn's bad-input errors catches it too.
    """

    exit_status = 2

    def __init__(self, message: str):
        # One line: the CLI promises a single line per error.
        super().__init__(" ".join(str(message).split()))
