"""Reading ``.npz`` archives so that every kind of damage is a one-line :class:`FormatError`.

``np.load`` reads an archive lazily: a damaged member only fails (with ``zipfile.BadZipFile``,
``zlib.error``, ``ValueError``, ``EOFError``, ...) when it is accessed. :func:`read_npz` reads
every member at once and turns each of these into a :class:`FormatError` naming the file and
the member; the checkers below give the same kind of message for a wrong dtype or shape.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError

__all__ = ["read_npz", "one_line", "float_array", "int_scalar", "float_scalar", "label_array"]


def one_line(e: BaseException, limit: int = 160) -> str:
    """``Type: message`` of an exception, on one line and at most ``limit`` characters."""
    msg = " ".join(str(e).split())
    if len(msg) > limit:
        msg = msg[:limit - 3] + "..."
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def read_npz(path: str | os.PathLike, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file (or only ``keys`` among them), pickles refused.

    A missing file, a folder, a non-npz file (including a single ``.npy``) or a damaged member
    is a :class:`FormatError`.
    """
    path = Path(path)
    if path.is_dir():
        raise FormatError(path, "is a folder, expected an .npz file")
    if not path.exists():
        raise FormatError(path, "no such file")
    try:  # the header first: garbage of any size is refused without reading it
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise FormatError(path, f"cannot read file ({e.strerror or e})") from None
    if magic[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip archive (or an empty one)
        if magic == b"\x93NUMPY":
            raise FormatError(path, "a single .npy array, not an .npz archive")
        raise FormatError(path, "not a valid .npz file (empty)" if not magic else
                          "not a valid .npz file (no zip archive header)")
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as e:  # BadZipFile, EOFError, OSError, ...
        raise FormatError(path, f"not a valid .npz file ({_no_pickle_hint(e)})") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise FormatError(path, "a single .npy array or other data, not an .npz archive")
    out = {}
    with z:
        for k in z.files:
            if keys is not None and k not in keys:
                continue
            try:
                out[k] = z[k]
            except Exception as e:  # damaged member: zlib.error, BadZipFile, ValueError, EOFError
                if "allow_pickle" in str(e):
                    raise FormatError(path, "holds Python objects, not an array of numbers or text "
                                            "(posegraph does not load pickled data)", k) from None
                raise FormatError(path, f"damaged array ({_no_pickle_hint(e)})", k) from None
            if not isinstance(out[k], np.ndarray):  # np.load returns a non-.npy member as raw bytes
                raise FormatError(path, "damaged array (not in .npy format)", k)
    return out


def _no_pickle_hint(e: BaseException) -> str:
    """:func:`one_line` of numpy's error, without its advice to load pickles (never safe here)."""
    if "allow_pickle" in str(e):
        return "not numpy data"
    return one_line(e)


def float_array(arr: np.ndarray, path, key: str, ndim: int, what: str, finite: bool = True,
                limit: float | None = None) -> np.ndarray:
    """Check a real-number array (float or int, not bool) of ``ndim`` dimensions, no size 0,
    all finite (if ``finite``) and, if ``limit`` is given, of magnitude at most ``limit``."""
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise FormatError(path, f"dtype {arr.dtype}, expected real numbers ({what})", key)
    if arr.ndim != ndim or 0 in arr.shape:
        raise FormatError(path, f"shape {arr.shape}, expected {what}", key)
    if finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise FormatError(path, f"non-finite value (NaN/inf) at index {bad} (expected finite {what})", key)
    if limit is not None:
        big = np.abs(arr.astype(np.float64)) > limit
        if big.any():
            bad = np.argwhere(big)[0].tolist()
            raise FormatError(path, f"implausible value {arr[tuple(bad)]!r} at index {bad} (expected {what}, "
                                    f"magnitude <= {limit:g})", key)
    return arr


def _scalar(arr: np.ndarray, path, key: str, kinds: str, what: str):
    if arr.dtype == bool or arr.dtype.kind not in kinds or arr.size != 1 or arr.ndim > 1:
        raise FormatError(path, f"{arr.dtype} array of shape {arr.shape}, expected {what}", key)
    return arr.reshape(()).item()


def int_scalar(arr: np.ndarray, path, key: str, what: str = "an integer") -> int:
    return int(_scalar(arr, path, key, "iu", what))


def float_scalar(arr: np.ndarray, path, key: str, what: str = "a positive number",
                 positive: bool = True, low: float | None = None, high: float | None = None) -> float:
    v = float(_scalar(arr, path, key, "iuf", what))
    if (not np.isfinite(v) or (positive and v <= 0) or (low is not None and v < low)
            or (high is not None and v > high)):
        raise FormatError(path, f"{v!r}, expected {what}", key)
    return v


def label_array(arr: np.ndarray, path, key: str, n: int, kind: str) -> np.ndarray:
    """A ``(n,)`` label array: ``kind`` ``"str"`` (text) or ``"int"``."""
    ok = arr.dtype.kind in ("US" if kind == "str" else "iu") and arr.dtype != bool
    if not ok or arr.shape != (n,):
        want = "text" if kind == "str" else "integers"
        raise FormatError(path, f"{arr.dtype} array of shape {arr.shape}, expected ({n},) {want}", key)
    return arr


def sample_labels(z: dict, path, n: int, defaults: dict) -> dict[str, np.ndarray]:
    """Per-sample label arrays of a flat-layout file; absent keys get ``defaults[key]``."""
    return {key: label_array(z[key], path, key, n, "str" if isinstance(d, str) else "int") if key in z
            else np.full(n, d) for key, d in defaults.items()}


def as_float32(path, **arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays in float32; values that overflow float32 are a :class:`FormatError` naming the key."""
    out = []
    for key, a in arrays.items():
        with np.errstate(over="ignore"):
            a32 = a.astype(np.float32)
        if not np.isfinite(a32).all():
            raise FormatError(path, "values too large for float32", key)
        out.append(a32)
    return out
