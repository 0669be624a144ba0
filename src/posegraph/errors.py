"""The library's own exception types.

Every error that comes from bad user input (a malformed file, a wrong shape, a missing
checkpoint) is a :class:`PosegraphError`, so that callers (and the CLI) can catch one type
and show a one-line message that names the file, the place and the problem.
"""

from __future__ import annotations

import os


class PosegraphError(Exception):
    """Base class of every error posegraph raises on purpose."""


class FormatError(PosegraphError, ValueError):
    """A file or array does not have the expected format.

    The message reads ``FILE:LINE: what is wrong (expected ...)``; ``line`` may be a line
    number, an npz/JSON key, or ``None``.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str, line: int | str | None = None):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.problem = problem
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}" if isinstance(line, int) else f"{where}[{line}]"
        super().__init__(f"{where}: {problem}")


class CheckpointError(PosegraphError):
    """A checkpoint is missing, corrupt, or does not fit the model/skeleton asked for."""


class ShapeError(PosegraphError, ValueError):
    """An array has the wrong shape, dtype or non-finite values."""


class ArrayFormatError(FormatError, ShapeError):
    """An array in a file has the wrong shape or dtype, or non-finite values.

    Both a :class:`FormatError` (the message names the file and the array:
    ``FILE[KEY]: problem (expected ...)``) and a :class:`ShapeError`.
    """


class PosegraphWarning(UserWarning):
    """A suspicious but readable input, e.g. a motion whose stature suggests the wrong units."""
