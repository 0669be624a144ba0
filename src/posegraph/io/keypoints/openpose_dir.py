"""OpenPose output, a folder of ``*_keypoints.json`` files (one per frame):
:func:`read_openpose_dir`, :func:`write_openpose_dir`; one such file is read as one frame."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ...errors import FormatError, ShapeError
from ...fileio import write_text
from ...skeleton import get_layout
from .checks import _as_people, _count_keypoints, _flat, _load_json, _numbers, _resolve_layout
from .container import Keypoints2D
from .tracking import _track

__all__ = ["read_openpose_dir", "write_openpose_dir"]

PathLike = str | os.PathLike


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


def _read_openpose_folder(folder: Path, content, layout, person) -> Keypoints2D:
    """:func:`~posegraph.io.keypoints.read_keypoints`'s reader of a folder."""
    return read_openpose_dir(folder, person=person, layout=layout)


def _is_openpose_frame(obj) -> bool:
    """Whether loaded JSON is one OpenPose frame (an object with ``people``)."""
    return isinstance(obj, dict) and "people" in obj


def _read_openpose_frame(path: Path, obj, layout, person) -> Keypoints2D:
    """One loaded OpenPose ``*_keypoints.json`` as a one-frame track (its frame number from the
    name, else 0)."""
    K = None if layout is None else get_layout(layout).num_keypoints
    arr, K = _openpose_people(obj, path, K, layout)
    m = _OP_NAME.search(path.name)
    return _openpose_track([arr], K, path, person, layout, [int(m.group(1)) if m else 0], None)
