"""posegraph's plain ``.npz`` keypoints (:func:`read_keypoints_npz`,
:func:`write_keypoints_npz`), and the flat benchmark layout of ``posegraph data export
mocap-lift`` (``p2d``, :func:`_read_flat_lift`), which :func:`read_keypoints_npz` reads too."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...errors import ArrayFormatError, FormatError
from ...fileio import atomic_path
from ...skeleton import LAYOUTS, get_layout
from ..npzfile import float_array, read_npz
from .checks import MAX_ABS_VALUE, _check_range, _image_size, _resolve_layout, _writer_arrays
from .container import Keypoints2D

__all__ = ["read_keypoints_npz", "keypoints_from_npz", "write_keypoints_npz", "FLAT_IMAGE_SIZE"]

PathLike = str | os.PathLike


def write_keypoints_npz(path: PathLike, keypoints, confidence=None, *, layout=None,
                        image_size: tuple[int, int] | None = None, frame_ids=None) -> Path:
    """Write keypoints to ``.npz``.

    Keys: ``keypoints`` ``(F, K, 2)`` float32; ``confidence`` ``(F, K)`` float32 (when given,
    when ``keypoints`` is ``(F, K, 3)``, or when some joint is missing); ``layout`` (str),
    ``image_size`` ``(width, height)`` int, ``frame_ids`` ``(F,)`` int64. ``keypoints`` may
    also be a :class:`Keypoints2D`. Missing joints (non-finite x/y or confidence <= 0) are
    stored as NaN with confidence 0.
    """
    xy, conf, miss, layout, image_size, frame_ids = _writer_arrays(
        keypoints, confidence, layout, image_size, frame_ids)
    if conf is None and miss.any():
        conf = np.where(miss, 0.0, 1.0).astype(np.float32)
    arrays = {"keypoints": xy, "frame_ids": frame_ids}
    if conf is not None:
        arrays["confidence"] = conf
    if layout is not None:
        arrays["layout"] = np.array(layout)
    if image_size is not None:
        arrays["image_size"] = np.array(image_size, dtype=np.int64)
    path = Path(path)
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)  # a file handle: no ".npz" added to the name
    return path


def _numeric(arr: np.ndarray, path, key: str) -> np.ndarray:
    """A numeric npz member as float32 or float64: float32/float64 as they are (no copy),
    integers and other floats (float16, long double) converted to float64."""
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise FormatError(path, f"dtype {arr.dtype} is not numeric", key)
    if arr.dtype in (np.float32, np.float64):
        return arr
    return arr.astype(np.float64)


def read_keypoints_npz(path: PathLike, layout=None) -> Keypoints2D:
    """Read keypoints from ``.npz`` (see :func:`write_keypoints_npz` for the keys).

    ``keypoints`` is ``(F, K, 2)``, or ``(F, K, 3)`` with confidence as the last column; a
    ``confidence`` key, when present, takes precedence over that column. ``layout`` and
    ``image_size`` keys are optional. A joint with confidence <= 0 is missing (NaN x/y);
    non-finite x/y of a present joint (or any, without confidence) is a :class:`ShapeError`.
    """
    return keypoints_from_npz(read_npz(path), path, layout)


def keypoints_from_npz(data: dict[str, np.ndarray], path: PathLike, layout=None) -> Keypoints2D:
    """:func:`read_keypoints_npz` on the arrays of an ``.npz`` file already read (:func:`posegraph.io.npzfile.read_npz`),
    so that a caller who needs other members too (the detector's ``fps`` and ``detected``)
    reads the file once; ``path`` is named in errors."""
    if "keypoints" not in data and "p2d" in data:
        return _read_flat_lift(path, data, layout)
    if "keypoints" not in data:
        raise FormatError(path, f"missing key 'keypoints' (keys: {', '.join(data) or 'none'}; "
                                f"a flat benchmark file has p2d)", "keypoints")
    a = _numeric(data["keypoints"], path, "keypoints")
    if a.ndim != 3 or a.shape[-1] not in (2, 3) or a.shape[0] == 0:
        raise FormatError(path, f"shape {a.shape}, expected (frames, K, 2) or (frames, K, 3)",
                          "keypoints")
    F, K = a.shape[:2]
    xy = a[..., :2]
    conf = a[..., 2] if a.shape[-1] == 3 else None
    if "confidence" in data:
        conf = _numeric(data["confidence"], path, "confidence")
        if conf.shape != (F, K):
            raise FormatError(path, f"shape {conf.shape}, expected {(F, K)}", "confidence")
    file_layout = None
    if "layout" in data:
        lv = data["layout"]
        if lv.ndim != 0 or lv.dtype.kind not in "US":
            raise FormatError(path, "expected a string", "layout")
        try:
            file_layout = lv.item().decode() if lv.dtype.kind == "S" else str(lv.item())
        except UnicodeDecodeError:
            raise FormatError(path, "not UTF-8 text", "layout") from None
    image_size = None
    if "image_size" in data:
        s = data["image_size"]
        if s.shape != (2,) or s.dtype.kind not in "iuf":
            raise FormatError(path, f"expected (width, height), got {s.dtype} array of shape {s.shape}",
                              "image_size")
        image_size = _image_size(s[0].item(), s[1].item(), path, "image_size")
    frame_ids = None
    if "frame_ids" in data:
        frame_ids = data["frame_ids"]
        if frame_ids.shape != (F,) or frame_ids.dtype.kind not in "iu" or frame_ids.dtype == np.uint64:
            raise FormatError(path, f"expected ({F},) integers, got shape {frame_ids.shape} "
                                    f"dtype {frame_ids.dtype}", "frame_ids")
    name = _resolve_layout(K, file_layout, layout, path, "layout" if file_layout else "keypoints")
    has_conf = conf is not None
    if conf is None:
        conf = np.ones((F, K), np.float32)
    bad = ~np.isfinite(conf)
    if bad.any():
        f, k = np.argwhere(bad)[0]
        raise ArrayFormatError(path, f"non-finite confidence at frame {f}, joint {k} (expected a finite "
                                f"number; 0 marks a missing joint)", "confidence")
    bad = ~np.isfinite(xy).all(-1) & (conf > 0)
    if bad.any():
        f, k = np.argwhere(bad)[0]
        raise ArrayFormatError(path, f"non-finite x/y at frame {f}, joint {k} ({int(bad.sum())} in all) where "
                                f"the confidence ({conf[f, k]:g}) says the joint is present (expected "
                                f"confidence 0 to mark it missing)", "keypoints")
    _check_range(xy, conf, path, "keypoints")
    # as _zero_frames_missing then _missing_to_nan, in place: the arrays were just read (ours)
    miss = ~np.isfinite(xy).all(-1)
    miss |= ~(conf > 0)
    miss |= (xy == 0).all((1, 2))[:, None]
    xy[miss] = np.nan
    conf[miss] = 0.0
    return Keypoints2D(xy, conf, name, image_size, frame_ids, None, os.fspath(path), has_conf)


FLAT_IMAGE_SIZE = (1000, 1000)
"""The image of the ``mocap-lift`` cameras, whose normalised screen coordinates the flat layout holds."""


def _read_flat_lift(path, data: dict, layout=None) -> Keypoints2D:
    """The flat benchmark layout that ``posegraph data export mocap-lift`` writes: ``p2d``
    ``(N, 17, 2)`` h36m17 joints in normalised screen coordinates of a 1000x1000 image, one
    sample a row, read as N frames of pixels (the rows are lifted in their order)."""
    lay = LAYOUTS["h36m17"]
    J, joints = lay.num_keypoints, f"(N, {lay.num_keypoints}, 2) {lay.name} joints"
    if layout is not None and get_layout(layout).name != lay.name:
        raise FormatError(path, f"a flat benchmark file holds {lay.name} joints, not layout {layout!r}", "p2d")
    a = _numeric(float_array(data["p2d"], path, "p2d", 3, f"{joints} in normalised screen coordinates",
                             limit=MAX_ABS_VALUE), path, "p2d")
    if a.shape[1:] != (J, 2):
        raise FormatError(path, f"shape {a.shape}, expected {joints}", "p2d")
    W, H = FLAT_IMAGE_SIZE
    xy = ((a.astype(np.float64) + np.array([1.0, H / W])) * (W / 2.0)).astype(np.float32)
    return Keypoints2D(xy, np.ones(xy.shape[:2], np.float32), lay.name, FLAT_IMAGE_SIZE,
                       np.arange(len(xy), dtype=np.int64), None, os.fspath(path), False)


def _read_npz(path: Path, content, layout, person) -> Keypoints2D:
    """:func:`~posegraph.io.keypoints.read_keypoints`'s reader of ``.npz``."""
    return read_keypoints_npz(path, layout=layout)
