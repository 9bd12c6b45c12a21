"""The one exception type the CLI turns into a one-line error and exit code 2 (never a traceback)."""


class CodealignError(Exception):
    """A user-facing error: bad input, bad config, a missing model or dataset."""
