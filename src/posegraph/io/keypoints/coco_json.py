"""COCO keypoint results (and COCO ground truth) in ``.json``: :func:`read_coco_json`,
:func:`write_coco_json`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ...errors import FormatError, ShapeError
from ...fileio import write_text
from .checks import _as_people, _count_keypoints, _flat, _image_size, _load_json, _numbers, _resolve_layout
from .container import Keypoints2D
from .tracking import _track

__all__ = ["read_coco_json", "write_coco_json"]

PathLike = str | os.PathLike


_DIGITS = re.compile(r"(\d+)")


def _image_id(value, path, where: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        found = _DIGITS.findall(value)
        if found:
            return int(found[-1])
    raise FormatError(path, f"image_id {value!r} is not an integer", where)


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


def _read_coco(path: Path, obj, layout, person) -> Keypoints2D:
    """:func:`~posegraph.io.keypoints.read_keypoints`'s reader of an already loaded ``.json``."""
    return _coco_from_obj(obj, path, person, layout, None, None)
