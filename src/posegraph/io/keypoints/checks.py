"""Checks and conversions shared by the keypoint formats.

Readers: :func:`_load_json` (a JSON file, one-line errors), :func:`_numbers` and
:func:`_count_keypoints` (flat ``[x, y, c, ...]`` lists), :func:`_resolve_layout` (the layout
from the file, the caller or the joint count), :func:`_image_size`, :func:`_check_range`
(:data:`MAX_ABS_VALUE`), and the missing-joint rules :func:`_zero_frames_missing` and
:func:`_missing_to_nan`. Writers: :func:`_as_people` and :func:`_flat` (JSON people),
:func:`_writer_arrays` (the npz and CSV writers' inputs).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ...errors import FormatError, PosegraphError, ShapeError
from ...skeleton import get_layout, guess_layout, layouts_by_count
from ..textfile import read_text
from .container import CHUNK_FRAMES, Keypoints2D


MAX_ABS_VALUE = 1e6
"""Largest plausible magnitude of a pixel coordinate or confidence in a keypoint file."""


_KNOWN_COUNTS = ", ".join(f"{n} ({lay.name}: {3 * n}{' values' if i == 0 else ''})"
                          for i, (n, lay) in enumerate(layouts_by_count().items()))
"""The joint counts the readers tell the layout from (``posegraph.skeleton.layouts_by_count``),
with their numbers of values per person."""


def _resolve_layout(K: int, file_layout: str | None, layout, path, where=None) -> str:
    """Layout from the file, else the caller's ``layout``, else guessed from ``K``."""
    if file_layout is not None:
        try:
            lay = get_layout(file_layout)
        except PosegraphError:
            raise FormatError(path, f"unknown keypoint layout {file_layout!r}", where) from None
        if layout is not None and get_layout(layout).name != lay.name:
            raise FormatError(path, f"the file says layout={lay.name} but layout="
                                    f"{get_layout(layout).name} was asked", where)
    elif layout is not None:
        lay = get_layout(layout)
    else:
        try:
            lay = guess_layout(K)
        except ShapeError:
            raise FormatError(path, f"unknown joint count {K}; known: {_KNOWN_COUNTS}", where) from None
    if lay.num_keypoints != K:
        raise FormatError(path, f"layout {lay.name} has {lay.num_keypoints} keypoints, "
                                f"the file has {K}", where)
    return lay.name


def _numbers(values, path, where: str, expected: int | None = None) -> list:
    """Check a JSON list of numbers; return it."""
    if not isinstance(values, list):
        raise FormatError(path, f"expected a list of numbers, got {type(values).__name__}", where)
    if expected is not None and len(values) != expected:
        raise FormatError(path, f"{len(values)} values, expected {expected} "
                                f"({expected // 3} keypoints x (x, y, confidence))", where)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FormatError(path, f"value {i} is {v!r}, not a number", where)
        if abs(v) > MAX_ABS_VALUE:
            raise FormatError(path, f"value {i} is {float(v):g}, outside +-{MAX_ABS_VALUE:g} "
                                    f"(expected pixel coordinates and confidences)", where)
    return values


def _count_keypoints(n: int, layout, path, where: str) -> int:
    """Number of keypoints from a flat ``[x, y, c, ...]`` length, checked against known layouts."""
    if layout is not None:
        K = get_layout(layout).num_keypoints
        if n != 3 * K:
            raise FormatError(path, f"{n} values, expected {3 * K} ({K} keypoints of layout "
                                    f"{get_layout(layout).name} x (x, y, confidence))", where)
        return K
    if n % 3:
        raise FormatError(path, f"{n} values, not 3 (x, y, confidence) per keypoint; "
                                f"expected one of {', '.join(str(3 * n) for n in layouts_by_count())}", where)
    try:
        guess_layout(n // 3)
    except ShapeError:
        raise FormatError(path, f"unknown joint count {n // 3} ({n} values); known: {_KNOWN_COUNTS}",
                          where) from None
    return n // 3


def _load_json(path) -> object:
    path = Path(path)
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(path, f"invalid JSON: {e.msg} (column {e.colno})", e.lineno) from None
    except (RecursionError, ValueError) as e:  # absurdly deep nesting; over-long integers
        raise FormatError(path, f"invalid JSON ({type(e).__name__})") from None


def _image_size(w, h, path, where) -> tuple[int, int]:
    """A checked ``(width, height)``: integers in ``[1, 1e6]``."""
    ok = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
             and math.isfinite(v) and v == int(v) and 1 <= v <= MAX_ABS_VALUE for v in (w, h))
    if not ok:
        raise FormatError(path, f"image size {w!r} x {h!r} is not two positive integers (width, height)", where)
    return int(w), int(h)


def _zero_frames_missing(xy: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Confidence 0 for frames whose every keypoint is exactly (0, 0) (nobody detected)."""
    zero = (xy == 0).all(-1).all(-1)
    return np.where(zero[:, None], 0.0, conf)


def _check_range(xy: np.ndarray, conf: np.ndarray, path, where) -> None:
    """FormatError for the first finite x/y (then confidence) of magnitude above MAX_ABS_VALUE.

    Float32 or float64 arrays; checked :data:`CHUNK_FRAMES` frames at a time (no full-size
    temporaries).
    """
    for name, a in (("x/y", xy), ("confidence", conf)):
        for s in range(0, len(a), CHUNK_FRAMES):
            b = a[s:s + CHUNK_FRAMES]
            big = np.abs(b) > MAX_ABS_VALUE  # 1e6 is exact in float32: same test as in float64
            big &= np.isfinite(b)
            if big.any():
                idx = np.argwhere(big)[0]
                idx[0] += s
                raise FormatError(path, f"{name} {float(a[tuple(idx)]):g} at frame {idx[0]}, joint {idx[1]} is "
                                        f"outside +-{MAX_ABS_VALUE:g} (expected pixels / confidences)", where)


def _missing_to_nan(xy: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    miss = ~np.isfinite(xy).all(-1) | ~(conf > 0)
    xy = np.where(miss[..., None], np.nan, xy)
    conf = np.where(miss, 0.0, conf)
    return xy, conf


def _as_people(a, what: str) -> np.ndarray:
    """One frame's people as ``(P, K, 3)`` float64 with missing joints as (0, 0, 0)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[-1] not in (2, 3):
        raise ShapeError(f"{what}: expected (people, K, 2 or 3) keypoints, got shape {a.shape}")
    xy = a[..., :2]
    conf = a[..., 2] if a.shape[-1] == 3 else np.ones(a.shape[:2])
    miss = ~np.isfinite(xy).all(-1) | ~np.isfinite(conf) | ~(conf > 0)
    out = np.zeros(a.shape[:2] + (3,))
    out[..., :2] = np.where(miss[..., None], 0.0, xy)
    out[..., 2] = np.where(miss, 0.0, conf)
    return out


def _flat(person: np.ndarray) -> list[float]:
    """``(K, 3)`` -> ``[x1, y1, c1, ...]`` as Python floats (float32 values kept exactly)."""
    return [float(v) for v in person.reshape(-1)]


def _writer_arrays(keypoints, confidence, layout, image_size, frame_ids):
    """Normalise a writer's input: xy (F,K,2) f32 with NaN where missing, conf or None, ..."""
    if isinstance(keypoints, Keypoints2D):
        k = keypoints
        xy = k.xy
        confidence = k.confidence if (k.has_confidence and confidence is None) else confidence
        layout = k.layout if layout is None else layout
        image_size = k.image_size if image_size is None else image_size
        frame_ids = k.frame_ids if frame_ids is None else frame_ids
    else:
        a = np.asarray(keypoints, dtype=np.float64)
        if a.ndim != 3 or a.shape[-1] not in (2, 3):
            raise ShapeError(f"keypoints must be (frames, K, 2) or (frames, K, 3), got shape {a.shape}")
        xy = a[..., :2]
        if a.shape[-1] == 3 and confidence is None:
            confidence = a[..., 2]
    xy = np.asarray(xy, dtype=np.float64)
    F, K = xy.shape[:2]
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float64)
        if confidence.shape != (F, K):
            raise ShapeError(f"confidence must be {(F, K)}, got shape {confidence.shape}")
    miss = ~np.isfinite(xy).all(-1)
    if confidence is not None:
        miss |= ~np.isfinite(confidence) | ~(confidence > 0)
        confidence = np.where(miss, 0.0, confidence).astype(np.float32)
    xy = np.where(miss[..., None], np.nan, xy).astype(np.float32)
    if layout is not None:
        lay = get_layout(layout)
        if lay.num_keypoints != K:
            raise ShapeError(f"layout {lay.name!r} has {lay.num_keypoints} keypoints, got {K}")
        layout = lay.name
    frame_ids = np.arange(F, dtype=np.int64) if frame_ids is None else np.asarray(frame_ids, dtype=np.int64)
    if frame_ids.shape != (F,):
        raise ShapeError(f"frame_ids must be ({F},), got shape {frame_ids.shape}")
    if image_size is not None:
        image_size = (int(image_size[0]), int(image_size[1]))
    return xy, confidence, miss, layout, image_size, frame_ids
