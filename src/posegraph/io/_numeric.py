"""Parse rows of numbers read from a text file, naming the offending line on error."""

from __future__ import annotations

import numpy as np

from ..errors import FormatError


def numeric_rows(path, rows: list, line_numbers: list, what: str) -> np.ndarray:
    """``rows`` (lists of number strings, one per line) as a float64 array.

    Raises :class:`FormatError` at the first line with a non-numeric or non-finite value;
    ``what`` says what was expected (e.g. "comma-separated numbers").
    """
    try:
        arr = np.array(rows, dtype=np.float64)
    except ValueError:
        for v, ln in zip(rows, line_numbers):
            try:
                [float(x) for x in v]
            except ValueError:
                raise FormatError(path, f"non-numeric value (expected {what})", ln) from None
        raise FormatError(path, f"bad values (expected {what})", line_numbers[0]) from None
    bad = ~np.isfinite(arr).all(1)
    if bad.any():
        raise FormatError(path, "non-finite value (expected finite numbers)", line_numbers[int(np.argmax(bad))])
    return arr
