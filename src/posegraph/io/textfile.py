"""Reading a whole text file so that every failure is a one-line :class:`FormatError` naming it.

The one text reader of :mod:`posegraph.io`: the motion readers (ASF/AMC, BVH, exp-map text)
and the keypoint readers (JSON, CSV) all go through :func:`read_text`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError

__all__ = ["read_text"]


def read_text(path: str | os.PathLike, expected: str | None = None, encoding: str = "utf-8") -> str:
    """The whole text of a file, with CR LF and lone CR line endings turned into LF.

    Args:
        path: the file.
        expected: what the file should hold, said in the error for an empty file
            (``"motion data"``: ``empty file (expected motion data)``).
        encoding: its text encoding; ``"latin-1"`` never fails (for files whose meaningful
            characters are ASCII), ``"utf-8"`` refuses bytes that are not UTF-8.

    A folder, an unreadable file, bytes that are not in ``encoding`` and a file of nothing but
    white space are each a :class:`FormatError` naming the file.
    """
    p = Path(path)
    if p.is_dir():
        raise FormatError(p, "is a folder, expected a file")
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise FormatError(p, f"cannot read file ({e.strerror or type(e).__name__})") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise FormatError(p, f"not a {encoding.upper()} text file ({e.reason})") from None
    if not text.strip():
        raise FormatError(p, "empty file" + (f" (expected {expected})" if expected else ""))
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as Python's text files read them
