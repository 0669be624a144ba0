"""Readers and writers of 2D keypoint files written by other tools.

Every reader returns a :class:`Keypoints2D`: one person's track of pixel keypoints in the
file's own layout (``coco17``, ``body25``, ``coco18``, ``blazepose33`` or ``h36m17``), which
:meth:`Keypoints2D.to_h36m17` maps to the 17 Human3.6M joints the lifting models use.

Formats:

* **COCO keypoint results** (``.json``): a list of ``{"image_id", "category_id",
  "keypoints": [x1, y1, v1, ...], "score"}``, several people per image
  (:func:`read_coco_json`, :func:`write_coco_json`). A COCO ground-truth file (an object with
  ``"annotations"``) is read too; its visibility flags become confidence 1 (labelled) or 0.
* **OpenPose** (a folder of ``*_keypoints.json``, one per frame, :func:`read_openpose_dir`,
  :func:`write_openpose_dir`); BODY_25 (75 numbers) or COCO-18 (54 numbers) per person.
* **npz** (:func:`read_keypoints_npz`, :func:`write_keypoints_npz`) and **CSV**
  (:func:`read_keypoints_csv`, :func:`write_keypoints_csv`), posegraph's own plain formats. The
  flat benchmark layout of ``posegraph data export mocap-lift`` (``p2d``) is read as an npz too.

Missing joints. A joint whose confidence is 0 (or negative), or whose x/y is not finite, is
*missing*: readers return NaN for its position and 0 for its confidence, never a real-looking
(0, 0). OpenPose and COCO mark such joints ``(0, 0, 0)``; the writers do the same, so NaN
never reaches a JSON file. :func:`fill_missing` fills missing joints before a model sees them
and returns a mask of what it filled.

Garbage guards. A person (or a frame of the npz/CSV formats) whose every keypoint is exactly
``(0, 0)`` is what detectors write when they found nobody: it is read as missing (NaN,
confidence 0), not as a pose squeezed into the image corner. Coordinates or confidences of
magnitude above :data:`MAX_ABS_VALUE` (1e6), and image sizes that are not positive, are a
:class:`FormatError`.

Person tracking (COCO and OpenPose, several people per frame): in the first frame that has
anyone, the people are ranked by the area of the bounding box of their present keypoints
(largest first) and ``person`` picks one (``"largest"`` = rank 0, an ``int`` = that rank), or
``"centre"`` takes the person whose box centre is nearest the image centre (the middle of all
the people's keypoints there when the file does not give the image size).
In every later frame the track takes the person closest to the previous pick (mean distance
over the keypoints present in both; the distance of keypoint centroids when they share none).
Frames where nobody is present get NaN positions and confidence 0, and ``person_ids`` ``-1``.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ArrayFormatError, FormatError, PosegraphError, ShapeError
from ..fileio import atomic_path, write_text
from .npzfile import read_npz
from .textfile import read_text
from ..skeleton import (KeypointLayout, Skeleton, get_layout, get_skeleton, guess_layout, layouts_by_count,
                        map_keypoints)

__all__ = [
    "Keypoints2D",
    "read_keypoints",
    "read_coco_json",
    "write_coco_json",
    "read_openpose_dir",
    "write_openpose_dir",
    "read_keypoints_npz",
    "write_keypoints_npz",
    "read_keypoints_csv",
    "write_keypoints_csv",
    "fill_missing",
]

PathLike = str | os.PathLike

MAX_ABS_VALUE = 1e6
"""Largest plausible magnitude of a pixel coordinate or confidence in a keypoint file."""

CHUNK_FRAMES = 4096
"""Frames processed at a time by :meth:`Keypoints2D.to_h36m17` and :func:`fill_missing`: their
float64 temporaries are this many frames long whatever the length of the input (the results do
not depend on it)."""

_KNOWN_COUNTS = ", ".join(f"{n} ({lay.name}: {3 * n}{' values' if i == 0 else ''})"
                          for i, (n, lay) in enumerate(layouts_by_count().items()))
"""The joint counts the readers tell the layout from (``posegraph.skeleton.layouts_by_count``),
with their numbers of values per person."""


# ---------------------------------------------------------------------------------------
# The container
# ---------------------------------------------------------------------------------------


@dataclass
class Keypoints2D:
    """One person's 2D keypoints over a sequence of frames.

    Attributes:
        xy: ``(frames, K, 2)`` float32 pixel coordinates (x right, y down); NaN where missing.
        confidence: ``(frames, K)`` float32 scores; 0 where missing, 1.0 everywhere else when
            the source has no scores (then ``has_confidence`` is False).
        layout: keypoint layout name (``coco17``, ``body25``, ``coco18``, ``blazepose33``,
            ``h36m17``).
        image_size: ``(width, height)`` in pixels, or None when the file does not say.
        frame_ids: ``(frames,)`` int64 frame numbers (image ids for COCO).
        person_ids: ``(frames,)`` int64 index of the tracked person in each frame's list of
            people (``-1`` where nobody was found), or None for single-person formats.
        path: the file or folder read.
        has_confidence: whether the source had confidence values.
    """

    xy: np.ndarray
    confidence: np.ndarray
    layout: str
    image_size: tuple[int, int] | None = None
    frame_ids: np.ndarray | None = None
    person_ids: np.ndarray | None = None
    path: str | None = None
    has_confidence: bool = True

    def __post_init__(self):
        self.xy = np.asarray(self.xy, dtype=np.float32)
        if self.xy.ndim != 3 or self.xy.shape[-1] != 2:
            raise ShapeError(f"xy must be (frames, K, 2), got shape {self.xy.shape}")
        F, K = self.xy.shape[:2]
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        if self.confidence.shape != (F, K):
            raise ShapeError(f"confidence must be {(F, K)}, got shape {self.confidence.shape}")
        if isinstance(self.layout, KeypointLayout):
            self.layout = self.layout.name
        lay = get_layout(self.layout)
        if lay.num_keypoints != K:
            raise ShapeError(f"layout {lay.name!r} has {lay.num_keypoints} keypoints, xy has {K}")
        self.frame_ids = (np.arange(F, dtype=np.int64) if self.frame_ids is None
                          else np.asarray(self.frame_ids, dtype=np.int64))
        if self.frame_ids.shape != (F,):
            raise ShapeError(f"frame_ids must be ({F},), got shape {self.frame_ids.shape}")
        if self.person_ids is not None:
            self.person_ids = np.asarray(self.person_ids, dtype=np.int64)
            if self.person_ids.shape != (F,):
                raise ShapeError(f"person_ids must be ({F},), got shape {self.person_ids.shape}")
        if self.image_size is not None:
            w, h = self.image_size
            self.image_size = (int(w), int(h))
        if self.path is not None:
            self.path = os.fspath(self.path)

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[0])

    @property
    def num_keypoints(self) -> int:
        return int(self.xy.shape[1])

    @property
    def missing(self) -> np.ndarray:
        """``(frames, K)`` bool: the joint has no position (NaN x/y or confidence <= 0)."""
        return ~np.isfinite(self.xy).all(-1) | ~(self.confidence > 0)

    def to_h36m17(self, chunk_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The 17 Human3.6M joints, ``(frames, 17, 2)`` and ``(frames, 17)`` float32.

        Uses :func:`posegraph.skeleton.map_keypoints`; a derived joint is missing (NaN,
        confidence 0) when any keypoint it is made from is missing. The mapping runs in float64
        on ``chunk_frames`` frames at a time (default :data:`CHUNK_FRAMES`), written into the
        float32 results, so memory beyond the results does not grow with the input.
        """
        lay = get_layout(self.layout)
        step = _chunk_size(chunk_frames)
        F = self.num_frames
        out = np.empty((F, 17, 2), np.float32)
        conf = np.empty((F, 17), np.float32)
        used = (lay.weights != 0).astype(np.float64)  # 17 x K
        for s in range(0, F, step):
            xy, c = self.xy[s:s + step], self.confidence[s:s + step]
            miss = ~np.isfinite(xy).all(-1) | ~(c > 0)
            o, oc = map_keypoints(np.where(miss[..., None], 0.0, xy.astype(np.float64)), lay,
                                  np.where(miss, 0.0, c.astype(np.float64)))
            miss17 = (miss.astype(np.float64) @ used.T) > 0
            o[miss17] = np.nan
            oc[miss17] = 0.0
            out[s:s + step] = o  # float64 -> float32, rounded as by astype
            conf[s:s + step] = oc
        return out, conf

    def __repr__(self) -> str:
        return (f"Keypoints2D({self.path!r}, frames={self.num_frames}, layout={self.layout}, "
                f"image_size={self.image_size}, missing={int(self.missing.sum())})")


# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------


def _chunk_size(chunk_frames: int | None) -> int:
    """``chunk_frames`` (default :data:`CHUNK_FRAMES`), checked to be a positive integer."""
    n = CHUNK_FRAMES if chunk_frames is None else chunk_frames
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise PosegraphError(f"chunk_frames must be a positive number of frames, not {chunk_frames!r}")
    return int(n)


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


def _rank(person) -> int | str:
    if person is None or person == "largest":
        return 0
    if person in ("centre", "center"):
        return "centre"
    if isinstance(person, (int, np.integer)) and not isinstance(person, bool) and person >= 0:
        return int(person)
    raise PosegraphError(f"person must be 'largest', 'centre' or a rank >= 0 (0 = largest), not {person!r}")


def _box_centres(xy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Centre of the bounding box of each person's present keypoints; ``(P, 2)``."""
    lo = np.where(valid[..., None], xy, np.inf).min(1)
    hi = np.where(valid[..., None], xy, -np.inf).max(1)
    return (lo + hi) / 2.0


def _bbox_area(xy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Area of the bounding box of each person's present keypoints; ``(P,)``."""
    lo = np.where(valid[..., None], xy, np.inf).min(1)
    hi = np.where(valid[..., None], xy, -np.inf).max(1)
    ext = np.where(valid.any(1)[:, None], hi - lo, 0.0)
    return ext[:, 0] * ext[:, 1]


def _distance(xy: np.ndarray, valid: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Mean keypoint distance of each candidate ``(C, K, 2)`` to the reference ``(K, 2)``."""
    ref_ok = np.isfinite(ref).all(-1)
    both = valid & ref_ok
    d = np.linalg.norm(np.where(both[..., None], xy - np.where(ref_ok[:, None], ref, 0.0), 0.0), axis=-1)
    n = both.sum(1)
    mean = d.sum(1) / np.maximum(n, 1)
    cen = np.where(valid[..., None], xy, 0.0).sum(1) / np.maximum(valid.sum(1), 1)[:, None]
    ref_cen = ref[ref_ok].mean(0)
    return np.where(n > 0, mean, np.linalg.norm(cen - ref_cen, axis=-1))


def _track(people: list[np.ndarray], K: int, person, path, frame_ids, image_size=None) -> tuple[np.ndarray, ...]:
    """Follow one person through frames of ``(P, K, 3)`` arrays (see the module docstring)."""
    rank = _rank(person)
    F = len(people)
    xy = np.full((F, K, 2), np.nan)
    conf = np.zeros((F, K))
    pids = np.full(F, -1, dtype=np.int64)
    ref = None
    for f, arr in enumerate(people):
        if arr.shape[0] == 0:
            continue
        pxy, pc = arr[..., :2], arr[..., 2]
        valid = (pc > 0) & np.isfinite(pxy).all(-1) & np.isfinite(pc)
        valid &= ~(pxy == 0).all(-1).all(-1)[:, None]  # an all-(0, 0) person is nobody
        cand = np.flatnonzero(valid.any(1))
        if cand.size == 0:
            continue
        if ref is None and rank == "centre":
            c = _box_centres(pxy[cand], valid[cand])
            mid = (np.asarray(image_size, dtype=np.float64) / 2.0 if image_size is not None
                   else (pxy[cand][valid[cand]].min(0) + pxy[cand][valid[cand]].max(0)) / 2.0)
            pick = int(cand[np.argmin(np.linalg.norm(c - mid, axis=-1))])
            ref = np.full((K, 2), np.nan)
        elif ref is None:
            order = cand[np.argsort(-_bbox_area(pxy[cand], valid[cand]), kind="stable")]
            if rank >= order.size:
                raise FormatError(path, f"person={rank} asked, but the first frame with people "
                                        f"(frame {frame_ids[f]}) has only {order.size}")
            pick = int(order[rank])
            ref = np.full((K, 2), np.nan)
        else:
            pick = int(cand[np.argmin(_distance(pxy[cand], valid[cand], ref))])
        v = valid[pick]
        xy[f, v] = pxy[pick, v]
        conf[f, v] = pc[pick, v]
        ref[v] = pxy[pick, v]
        pids[f] = pick
    return xy, conf, pids


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


_DIGITS = re.compile(r"(\d+)")


def _image_id(value, path, where: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        found = _DIGITS.findall(value)
        if found:
            return int(found[-1])
    raise FormatError(path, f"image_id {value!r} is not an integer", where)


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


# ---------------------------------------------------------------------------------------
# COCO keypoint results
# ---------------------------------------------------------------------------------------


def _coco_from_obj(obj, path, person, layout, image_ids, image_size) -> Keypoints2D:
    gt = False
    prefix = ""
    if isinstance(obj, dict):
        if "annotations" in obj:
            gt, prefix = True, "annotations/"
            entries = obj["annotations"]
            if not isinstance(entries, list):
                raise FormatError(path, "'annotations' must be a list", "annotations")
            sizes = {(im.get("width"), im.get("height")) for im in obj.get("images", [])
                     if isinstance(im, dict)}
            if image_size is None and len(sizes) == 1:
                w, h = sizes.pop()
                if w is not None or h is not None:
                    image_size = _image_size(w, h, path, "images")
        elif "people" in obj:
            raise FormatError(path, "this is an OpenPose frame (key 'people'), not COCO keypoint "
                                    "results; use read_openpose_dir or read_keypoints")
        else:
            raise FormatError(path, "expected a list of COCO keypoint results "
                                    "({image_id, keypoints: [x, y, v, ...], score})")
    elif isinstance(obj, list):
        entries = obj
    else:
        raise FormatError(path, f"expected a list of COCO keypoint results, got {type(obj).__name__}")
    if not entries:
        raise FormatError(path, "no keypoint results in the file")

    K = None
    groups: dict[int, list[np.ndarray]] = {}
    for i, e in enumerate(entries):
        where = f"{prefix}{i}"
        if not isinstance(e, dict):
            raise FormatError(path, f"entry is {type(e).__name__}, expected an object", where)
        for key in ("image_id", "keypoints"):
            if key not in e:
                raise FormatError(path, f"missing key {key!r}", where)
        img = _image_id(e["image_id"], path, f"{where}/image_id")
        vals = e["keypoints"]
        kwhere = f"{where}/keypoints"
        if K is None:
            if not isinstance(vals, list):
                _numbers(vals, path, kwhere)
            K = _count_keypoints(len(vals), layout, path, kwhere)
        _numbers(vals, path, kwhere, 3 * K)
        groups.setdefault(img, []).append(np.asarray(vals, dtype=np.float64).reshape(K, 3))

    if image_ids is None:
        frames = sorted(groups)
    else:
        frames = [int(i) for i in image_ids]
    people = [np.stack(groups[f]) if f in groups else np.zeros((0, K, 3)) for f in frames]
    if gt:  # visibility flags: labelled (1 or 2) -> present with confidence 1
        people = [np.concatenate([p[..., :2], (p[..., 2:] > 0).astype(np.float64)], -1) for p in people]
    name = _resolve_layout(K, None, layout, path)
    xy, conf, pids = _track(people, K, person, path, frames, image_size)
    return Keypoints2D(xy, conf, name, image_size, np.asarray(frames, dtype=np.int64), pids,
                       os.fspath(path), True)


def read_coco_json(path: PathLike, person: str | int = "largest", layout=None,
                   image_ids: Sequence[int] | None = None,
                   image_size: tuple[int, int] | None = None) -> Keypoints2D:
    """Read COCO keypoint results (or a COCO ground-truth file) as one person's track.

    Args:
        path: the ``.json`` file: a list of ``{"image_id", "category_id", "keypoints":
            [x1, y1, v1, ...], "score"}``; 51 numbers per person for COCO-17 (other known
            joint counts are accepted and their layout guessed). String image ids use their
            last number.
        person: ``"largest"`` or a rank (0 = largest) in the first frame; then tracked by
            proximity (see the module docstring).
        layout: layout of the keypoints when it is not COCO-17 (the file does not say).
        image_ids: the frames to return, in order (default: every image id in the file,
            sorted). Images absent from the file (no detection) become frames with NaN
            keypoints and confidence 0; results for other images are ignored.
        image_size: ``(width, height)`` to record (results files do not hold it).

    The third number of each keypoint is its confidence; 0 marks a missing joint (NaN).
    """
    return _coco_from_obj(_load_json(path), path, person, layout, image_ids, image_size)


def write_coco_json(path: PathLike, kps_per_image, image_ids: Sequence[int] | None = None, *,
                    scores: Sequence[Sequence[float]] | None = None, category_id: int = 1) -> Path:
    """Write COCO keypoint results.

    Args:
        path: the ``.json`` file to write.
        kps_per_image: per image, an array ``(P, K, 3)`` (x, y, confidence) or ``(P, K, 2)``
            (confidence 1), or ``(K, 2|3)`` for one person; a ``(F, P, K, 2|3)`` array, or a
            :class:`Keypoints2D` (one person per frame, ``image_ids`` default to its
            ``frame_ids``). Any K is written; COCO tools expect 17.
        image_ids: one per image (default ``0 .. F-1``).
        scores: optional per-image lists of per-person scores (default: the mean confidence
            of the person's present keypoints).
        category_id: written for every person (1 = person).

    Missing joints (non-finite x/y or confidence <= 0) are written as ``0, 0, 0``; people
    with no present joint are left out.
    """
    if isinstance(kps_per_image, Keypoints2D):
        if image_ids is None:
            image_ids = kps_per_image.frame_ids
        kps_per_image = [np.concatenate([kps_per_image.xy, kps_per_image.confidence[..., None]], -1)[f]
                         for f in range(kps_per_image.num_frames)]
    frames = list(kps_per_image)
    image_ids = list(range(len(frames))) if image_ids is None else [int(i) for i in image_ids]
    if len(image_ids) != len(frames):
        raise ShapeError(f"{len(frames)} images of keypoints but {len(image_ids)} image_ids")
    if scores is not None and len(scores) != len(frames):
        raise ShapeError(f"{len(frames)} images of keypoints but {len(scores)} lists of scores")
    out = []
    for f, (img, a) in enumerate(zip(image_ids, frames)):
        people = _as_people(a, f"image {f}")
        for p, person in enumerate(people):
            present = person[:, 2] > 0
            if not present.any():
                continue
            score = float(scores[f][p]) if scores is not None else float(person[present, 2].mean())
            out.append({"image_id": img, "category_id": int(category_id),
                        "keypoints": _flat(person), "score": score})
    path = Path(path)
    write_text(path, json.dumps(out, separators=(",", ":")))
    return path


# ---------------------------------------------------------------------------------------
# OpenPose
# ---------------------------------------------------------------------------------------

_OP_NAME = re.compile(r"(\d+)_keypoints\.json$")


def _openpose_people(obj, path, K: int | None, layout) -> tuple[np.ndarray | None, int | None]:
    """The ``(P, K, 3)`` people of one OpenPose frame (None when it has nobody and K is unknown)."""
    if not isinstance(obj, dict):
        raise FormatError(path, f"expected an OpenPose object with key 'people', got {type(obj).__name__}")
    if "people" not in obj:
        raise FormatError(path, "missing key 'people'", "people")
    people = obj["people"]
    if not isinstance(people, list):
        raise FormatError(path, f"'people' must be a list, got {type(people).__name__}", "people")
    out = []
    for i, p in enumerate(people):
        where = f"people/{i}"
        if not isinstance(p, dict) or "pose_keypoints_2d" not in p:
            raise FormatError(path, "missing key 'pose_keypoints_2d'", where)
        vals = p["pose_keypoints_2d"]
        where += "/pose_keypoints_2d"
        if K is None:
            if not isinstance(vals, list):
                _numbers(vals, path, where)
            K = _count_keypoints(len(vals), layout, path, where)
        elif isinstance(vals, list) and len(vals) != 3 * K:
            raise FormatError(path, f"{len(vals)} values, expected {3 * K} ({K} keypoints, as in "
                                    f"the other frames)", where)
        _numbers(vals, path, where, 3 * K)
        out.append(np.asarray(vals, dtype=np.float64).reshape(K, 3))
    if out:
        return np.stack(out), K
    return (None if K is None else np.zeros((0, K, 3))), K


def _openpose_track(per_frame, K, folder, person, layout, frame_ids, image_size) -> Keypoints2D:
    if K is None:
        if layout is None:
            raise FormatError(folder, "no person in any frame, so the layout is unknown "
                                      "(pass layout=)")
        K = get_layout(layout).num_keypoints
    people = [np.zeros((0, K, 3)) if p is None else p for p in per_frame]
    name = _resolve_layout(K, None, layout, folder)
    xy, conf, pids = _track(people, K, person, folder, frame_ids, image_size)
    return Keypoints2D(xy, conf, name, image_size, np.asarray(frame_ids, dtype=np.int64), pids,
                       os.fspath(folder), True)


def _openpose_files(folder: Path) -> tuple[list[Path], list[int]]:
    files = [p for p in folder.iterdir() if p.name.endswith("_keypoints.json") and p.is_file()]
    if not files:
        raise FormatError(folder, "no *_keypoints.json files in the folder")
    nums = [_OP_NAME.search(p.name) for p in files]
    if all(nums):
        pairs = sorted(((int(m.group(1)), p) for m, p in zip(nums, files)), key=lambda t: (t[0], t[1].name))
        for (a, pa), (b, pb) in zip(pairs, pairs[1:]):
            if a == b:
                raise FormatError(folder, f"two files for frame {a}: {pa.name} and {pb.name}")
        return [p for _, p in pairs], [n for n, _ in pairs]
    files.sort(key=lambda p: p.name)
    return files, list(range(len(files)))


def read_openpose_dir(folder: PathLike, person: str | int = "largest", layout=None,
                      image_size: tuple[int, int] | None = None) -> Keypoints2D:
    """Read a folder of OpenPose ``*_keypoints.json`` files as one person's track.

    Each file is ``{"version": ..., "people": [{"pose_keypoints_2d": [x, y, c, ...]}, ...]}``;
    the layout comes from the count (75 numbers: ``body25``, 54: ``coco18``; 51 and 99 are
    read as ``coco17`` and ``blazepose33``) unless ``layout`` is given. Frames are ordered by
    the number before ``_keypoints.json`` (``video_000000000012_keypoints.json`` is frame 12),
    or by file name when some file has no number (frames ``0 .. F-1``). Joints written as
    ``(0, 0, 0)`` (confidence 0) are missing: NaN positions, confidence 0. ``person`` as in
    :func:`read_coco_json`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FormatError(folder, "not a folder of OpenPose *_keypoints.json files")
    files, frame_ids = _openpose_files(folder)
    K = None if layout is None else get_layout(layout).num_keypoints
    per_frame = []
    for f in files:
        arr, K = _openpose_people(_load_json(f), f, K, layout)
        per_frame.append(arr)
    return _openpose_track(per_frame, K, folder, person, layout, frame_ids, image_size)


def write_openpose_dir(folder: PathLike, kps, layout=None, prefix: str = "frame",
                       frame_ids: Sequence[int] | None = None) -> list[Path]:
    """Write one OpenPose ``{prefix}_{frame:012d}_keypoints.json`` file per frame.

    Args:
        folder: created if absent.
        kps: ``(F, P, K, 3)`` (x, y, confidence) or ``(F, P, K, 2)`` (confidence 1) arrays, a
            ``(F, K, 2|3)`` array (one person), a list of per-frame ``(P, K, 2|3)`` arrays
            (any number of people per frame), or a :class:`Keypoints2D`.
        layout: if given, K must match it (OpenPose files do not store the layout; readers
            tell it from K: 25 -> body25, 18 -> coco18).
        prefix: file name prefix (OpenPose uses the video's name).
        frame_ids: frame numbers for the file names (default ``0 .. F-1``, or the
            :class:`Keypoints2D`'s ``frame_ids``).

    Missing joints (non-finite x/y or confidence <= 0) are written as ``0, 0, 0``; people
    with no present joint are left out of ``people``. Returns the files written.
    """
    if isinstance(kps, Keypoints2D):
        if frame_ids is None:
            frame_ids = kps.frame_ids
        if layout is None:
            layout = kps.layout
        kps = np.concatenate([kps.xy, kps.confidence[..., None]], -1)[:, None]
    elif isinstance(kps, np.ndarray) and kps.ndim == 3:
        kps = kps[:, None]
    frames = list(kps)
    frame_ids = list(range(len(frames))) if frame_ids is None else [int(i) for i in frame_ids]
    if len(frame_ids) != len(frames):
        raise ShapeError(f"{len(frames)} frames of keypoints but {len(frame_ids)} frame_ids")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f, (num, a) in enumerate(zip(frame_ids, frames)):
        people = _as_people(a, f"frame {f}")
        if layout is not None and people.shape[1] != get_layout(layout).num_keypoints:
            raise ShapeError(f"layout {get_layout(layout).name!r} has "
                             f"{get_layout(layout).num_keypoints} keypoints, frame {f} has {people.shape[1]}")
        listed = [{"person_id": [-1], "pose_keypoints_2d": _flat(p), "face_keypoints_2d": [],
                   "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": []}
                  for p in people if (p[:, 2] > 0).any()]
        out = folder / f"{prefix}_{num:012d}_keypoints.json"
        write_text(out, json.dumps({"version": 1.3, "people": listed}, separators=(",", ":")))
        written.append(out)
    return written


# ---------------------------------------------------------------------------------------
# npz and CSV
# ---------------------------------------------------------------------------------------


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
    data = read_npz(path)
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
    from .npzfile import float_array

    if layout is not None and get_layout(layout).name != "h36m17":
        raise FormatError(path, f"a flat benchmark file holds h36m17 joints, not layout {layout!r}", "p2d")
    a = _numeric(float_array(data["p2d"], path, "p2d", 3, "(N, 17, 2) h36m17 joints in normalised screen "
                             "coordinates", limit=MAX_ABS_VALUE), path, "p2d")
    if a.shape[1:] != (17, 2):
        raise FormatError(path, f"shape {a.shape}, expected (N, 17, 2) h36m17 joints", "p2d")
    W, H = FLAT_IMAGE_SIZE
    xy = ((a.astype(np.float64) + np.array([1.0, H / W])) * (W / 2.0)).astype(np.float32)
    return Keypoints2D(xy, np.ones(xy.shape[:2], np.float32), "h36m17", FLAT_IMAGE_SIZE,
                       np.arange(len(xy), dtype=np.int64), None, os.fspath(path), False)


def _fmt(v: float) -> str:
    return "" if not math.isfinite(v) else format(v, ".9g")


def write_keypoints_csv(path: PathLike, keypoints, confidence=None, *, layout=None,
                        image_size: tuple[int, int] | None = None, frame_ids=None) -> Path:
    """Write keypoints as CSV (the format is described in :func:`read_keypoints_csv`).

    ``keypoints`` is ``(F, K, 2)``, ``(F, K, 3)`` (x, y, confidence) or a
    :class:`Keypoints2D`; confidence columns are written when there is a confidence.
    Values are written with 9 significant digits (float32 round-trips exactly); missing
    joints get empty x/y cells (and confidence 0).
    """
    xy, conf, miss, layout, image_size, frame_ids = _writer_arrays(
        keypoints, confidence, layout, image_size, frame_ids)
    F, K = xy.shape[:2]
    meta = []
    if layout is not None:
        meta.append(f"layout={layout}")
    if image_size is not None:
        meta += [f"width={image_size[0]}", f"height={image_size[1]}"]
    cols = ["frame"]
    for k in range(K):
        cols += [f"x{k}", f"y{k}"] + ([f"c{k}"] if conf is not None else [])
    lines = []
    if meta:
        lines.append("# " + " ".join(meta))
    lines.append(",".join(cols))
    for f in range(F):
        row = [str(int(frame_ids[f]))]
        for k in range(K):
            row += [_fmt(float(xy[f, k, 0])), _fmt(float(xy[f, k, 1]))]
            if conf is not None:
                row.append(_fmt(float(conf[f, k])))
        lines.append(",".join(row))
    path = Path(path)
    write_text(path, "\n".join(lines) + "\n")
    return path


def _cell(s: str, path, line: int, col: str) -> float:
    s = s.strip()
    if s == "" or s.lower() == "nan":
        return math.nan
    try:
        v = float(s)
    except ValueError:
        raise FormatError(path, f"column {col}: {s!r} is not a number", line) from None
    if not math.isfinite(v):
        raise FormatError(path, f"column {col}: {s!r} is not finite (leave the cell empty for a "
                                f"missing joint)", line)
    return v


def read_keypoints_csv(path: PathLike, layout=None) -> Keypoints2D:
    """Read keypoints from CSV.

    The format (UTF-8 text, comma-separated, no quoting)::

        # layout=coco17 width=1920 height=1080
        frame,x0,y0,c0,x1,y1,c1,...,x16,y16,c16
        0,512.5,300.25,0.93,...
        1,513,301,0.91,...

    * Lines starting with ``#`` are comments; ``key=value`` words in the comments before the
      column header set ``layout`` (a layout name) and ``width``/``height`` (image size in
      pixels, both or neither). Blank lines are skipped.
    * The first other line is the column header: ``frame`` then, for keypoints
      ``k = 0 .. K-1`` in the layout's order, ``xk,yk`` (no confidence) or ``xk,yk,ck``.
    * Then one row per frame: an integer frame number, then the numbers. An empty (or
      ``nan``) x/y cell marks a missing joint, which must then have confidence 0 (or none).
      A confidence <= 0 also marks the joint missing.

    The layout comes from the header comment, else ``layout``, else from K
    (:func:`posegraph.skeleton.guess_layout`). Errors name the line.
    """
    path = Path(path)
    text = read_text(path)
    meta: dict[str, tuple[str, int]] = {}
    header = None
    rows: list[tuple[int, list[str]]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if header is None:
                for word in line[1:].split():
                    if "=" in word:
                        key, _, val = word.partition("=")
                        meta[key.strip().lower()] = (val.strip(), n)
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header = (n, cells)
        else:
            rows.append((n, cells))
    if header is None:
        raise FormatError(path, "no column header (frame,x0,y0,...)")
    hline, names = header
    if names[0].lower() != "frame":
        raise FormatError(path, f"the column header must start with 'frame', got {names[0]!r}", hline)
    stride = 3 if len(names) > 3 and names[3].lower() == "c0" else 2
    if (len(names) - 1) % stride or len(names) == 1:
        raise FormatError(path, f"{len(names) - 1} keypoint columns is not {stride} per keypoint", hline)
    K = (len(names) - 1) // stride
    expected = ["frame"]
    for k in range(K):
        expected += [f"x{k}", f"y{k}"] + (["c" + str(k)] if stride == 3 else [])
    for i, (got, want) in enumerate(zip(names, expected)):
        if got.lower() != want:
            raise FormatError(path, f"column {i + 1} is {got!r}, expected {want!r} "
                                    f"(header: frame,x0,y0[,c0],x1,y1[,c1],...)", hline)
    if not rows:
        raise FormatError(path, "no frames after the column header", hline)
    image_size = None
    if "width" in meta or "height" in meta:
        if "width" not in meta or "height" not in meta:
            n = (meta.get("width") or meta.get("height"))[1]
            raise FormatError(path, "give both width= and height=", n)
        size = []
        for key in ("width", "height"):
            val, n = meta[key]
            try:
                size.append(int(val))
            except ValueError:
                raise FormatError(path, f"{key}={val!r} is not an integer", n) from None
            if not 1 <= size[-1] <= MAX_ABS_VALUE:
                raise FormatError(path, f"{key}={val!r} is not a positive image size in pixels", n)
        image_size = tuple(size)
    file_layout = meta["layout"][0] if "layout" in meta else None
    name = _resolve_layout(K, file_layout, layout, path, meta["layout"][1] if "layout" in meta else hline)

    F = len(rows)
    vals = np.empty((F, K * stride))
    frame_ids = np.empty(F, dtype=np.int64)
    for f, (n, cells) in enumerate(rows):
        if len(cells) != len(names):
            raise FormatError(path, f"{len(cells)} columns, expected {len(names)} as in the header", n)
        try:
            frame_ids[f] = int(cells[0])
        except (ValueError, OverflowError):
            raise FormatError(path, f"frame {cells[0]!r} is not an integer (64-bit)", n) from None
        vals[f] = [_cell(c, path, n, names[i + 1]) for i, c in enumerate(cells[1:])]
    vals = vals.reshape(F, K, stride)
    xy = vals[..., :2]
    nan_xy = np.isnan(xy)
    half = nan_xy.any(-1) & ~nan_xy.all(-1)
    if stride == 3:
        conf = vals[..., 2]
        if np.isnan(conf).any():
            f, k = np.argwhere(np.isnan(conf))[0]
            raise FormatError(path, f"column c{k}: empty confidence", rows[f][0])
        half |= nan_xy.all(-1) & (conf > 0)
    else:
        conf = np.where(nan_xy.any(-1), 0.0, 1.0)
    if half.any():
        f, k = np.argwhere(half)[0]
        raise FormatError(path, f"joint {k}: x/y partly empty, or empty with confidence > 0 "
                                f"(a missing joint has empty x and y and confidence 0)", rows[f][0])
    big = np.abs(np.nan_to_num(vals)) > MAX_ABS_VALUE
    if big.any():
        f, k, _ = np.argwhere(big)[0]
        raise FormatError(path, f"joint {k}: value {vals[f, k][big[f, k]][0]:g} outside +-{MAX_ABS_VALUE:g} "
                                f"(expected pixels / confidences)", rows[f][0])
    conf = _zero_frames_missing(xy, conf)
    xy, conf = _missing_to_nan(xy, conf)
    return Keypoints2D(xy, conf, name, image_size, frame_ids, None, os.fspath(path), stride == 3)


# ---------------------------------------------------------------------------------------
# Dispatcher
# ---------------------------------------------------------------------------------------


def read_keypoints(path: PathLike, layout=None, person: str | int = "largest") -> Keypoints2D:
    """Read any supported 2D keypoint file.

    A folder is read as OpenPose output; ``.json`` as COCO keypoint results (or COCO ground
    truth), or as a single OpenPose frame when it is an object with ``people``; ``.npz`` and
    ``.csv`` as posegraph's own formats. The layout comes from the file, else ``layout``,
    else the joint count. ``person`` chooses whom to follow in multi-person files.
    """
    p = Path(path)
    if p.is_dir():
        return read_openpose_dir(p, person=person, layout=layout)
    if not p.exists():
        raise FormatError(p, "no such file or folder")
    ext = p.suffix.lower()
    if ext == ".json":
        obj = _load_json(p)
        if isinstance(obj, dict) and "people" in obj:
            K = None if layout is None else get_layout(layout).num_keypoints
            arr, K = _openpose_people(obj, p, K, layout)
            m = _OP_NAME.search(p.name)
            return _openpose_track([arr], K, p, person, layout, [int(m.group(1)) if m else 0], None)
        return _coco_from_obj(obj, p, person, layout, None, None)
    if ext == ".npz":
        return read_keypoints_npz(p, layout=layout)
    if ext == ".csv":
        return read_keypoints_csv(p, layout=layout)
    raise FormatError(p, f"unknown keypoint file type {ext or '(no extension)'!r}; "
                         f"expected a folder (OpenPose), .json, .npz or .csv")


# ---------------------------------------------------------------------------------------
# Filling missing joints
# ---------------------------------------------------------------------------------------


def _depth_levels(sk: Skeleton) -> list[np.ndarray]:
    """Joint indices grouped by depth in the tree (root first)."""
    depth = np.full(sk.num_joints, -1)
    for _ in range(sk.num_joints):
        for j, p in enumerate(sk.parents):
            if depth[j] < 0 and (p < 0 or depth[p] >= 0):
                depth[j] = 0 if p < 0 else depth[p] + 1
    return [np.flatnonzero(depth == d) for d in range(depth.max() + 1)]


def fill_missing(xy: np.ndarray, conf: np.ndarray, skeleton: str | Skeleton | None = "h36m17",
                 threshold: float = 0.3, chunk_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill joints with low or no confidence, and say which ones were filled.

    A joint is missing when its confidence is below ``threshold`` or non-finite, or its x/y
    is not finite. Each missing joint gets, in this order of preference:

    1. its value in the most recent earlier frame where it was present;
    2. its parent's value in the same frame (present or itself filled; parents are filled
       first), using ``skeleton``'s ``parents`` (``None`` skips this step);
    3. the mean of the frame's present joints.

    A frame with no present joint is copied from the nearest frame that has one (the earlier
    one on a tie). If no frame has any present joint, :class:`ShapeError`.

    The frames are filled in float64, ``chunk_frames`` at a time (default
    :data:`CHUNK_FRAMES`), with the most recent present value of each joint carried from one
    chunk to the next: the result is the same for any chunk size, and memory beyond the result
    does not grow with the number of frames.

    Args:
        xy: ``(F, J, 2)`` positions (any trailing size works, e.g. 3).
        conf: ``(F, J)`` confidences.
        skeleton: skeleton (or name) whose joints ``xy`` holds, for the parent step.
        threshold: confidences below this are missing.
        chunk_frames: frames filled at a time.

    Returns:
        ``(filled xy, missing)``: the positions (float, same dtype as ``xy`` if floating) and a
        ``(F, J)`` bool mask of the joints that were filled.
    """
    xy = np.asarray(xy)
    conf = np.asarray(conf)
    if conf.dtype.kind != "f":
        conf = conf.astype(np.float64)
    if xy.ndim != 3:
        raise ShapeError(f"xy must be (frames, joints, 2), got shape {xy.shape}")
    F, J = xy.shape[:2]
    if conf.shape != (F, J):
        raise ShapeError(f"conf must be {(F, J)}, got shape {conf.shape}")
    step = _chunk_size(chunk_frames)
    dtype = xy.dtype if np.issubdtype(xy.dtype, np.floating) else np.float64
    missing = np.empty((F, J), dtype=bool)
    for s in range(0, F, step):
        c = conf[s:s + step].astype(np.float64)
        valid = np.isfinite(xy[s:s + step].astype(np.float64)).all(-1) & np.isfinite(c) & (c >= threshold)
        missing[s:s + step] = ~valid
    frame_ok = ~missing.all(1)
    if not frame_ok.any():
        raise ShapeError(f"no joint of any of the {F} frames has confidence >= {threshold}; "
                         f"nothing to fill from")
    levels = None
    parents = None
    if skeleton is not None:
        sk = get_skeleton(skeleton)
        if sk.num_joints != J:
            raise ShapeError(f"skeleton {sk.name!r} has {sk.num_joints} joints, xy has {J}")
        levels = _depth_levels(sk)
        parents = np.asarray(sk.parents)

    result = np.empty(xy.shape, dtype)
    last = np.full(xy.shape[1:], np.nan)  # each joint's most recent present value ...
    seen = np.zeros(J, dtype=bool)  # ... if it has been present: carried across chunks
    for s in range(0, F, step):
        pos = xy[s:s + step].astype(np.float64)
        valid = ~missing[s:s + step]
        out = np.where(valid[..., None], pos, np.nan)
        for f in np.flatnonzero(frame_ok[s:s + step]):
            v = valid[f]
            row = out[f]
            hist = ~v & seen
            row[hist] = last[hist]
            todo = ~v & ~seen
            if todo.any():
                mean = pos[f, v].mean(0)
                if levels is None:
                    row[todo] = mean
                else:  # parents before children, so a filled parent passes its value on
                    for lev in levels:
                        js = lev[todo[lev]]
                        if js.size:
                            par = parents[js]
                            has = par >= 0
                            src = np.where(has[:, None], row[np.where(has, par, 0)], mean)
                            row[js] = np.where(np.isfinite(src).all(-1)[:, None], src, mean)
            last[v] = pos[f, v]
            seen |= v
        result[s:s + step] = out  # float64 -> dtype, rounded as by astype

    good = np.flatnonzero(frame_ok)
    for f in np.flatnonzero(~frame_ok):  # copies of (already rounded) filled frames
        i = np.searchsorted(good, f)
        cands = [g for g in (good[i - 1] if i > 0 else None, good[i] if i < good.size else None)
                 if g is not None]
        src = min(cands, key=lambda g: (abs(g - f), g))
        result[f] = result[src]
    return result, missing
