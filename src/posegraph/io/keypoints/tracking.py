"""Tracking one person across the frames of a multi-person file (COCO, OpenPose).

:func:`_track` picks the person to follow in the first frame with anyone (by bounding-box
area rank, or nearest the image centre; :func:`_rank` reads the ``person`` argument) and then,
frame by frame, the person closest to the previous pick (:func:`_distance`).
"""

from __future__ import annotations

import numpy as np

from ...errors import FormatError, PosegraphError


def parse_person(person) -> int | str:
    """Which person of a multi-person keypoint file to follow: ``"largest"`` (or None; rank 0),
    ``"centre"``/``"center"`` (nearest the image centre), or a rank ``>= 0`` (0 = largest), as an
    int or a string of digits (what ``--person`` gives). Returns the rank or ``"centre"``."""
    if person is None:
        return 0
    if isinstance(person, str):
        word = person.strip().lower()
        if word == "largest":
            return 0
        if word in ("centre", "center"):
            return "centre"
        if word.isdigit():
            return int(word)
    elif isinstance(person, (int, np.integer)) and not isinstance(person, bool) and person >= 0:
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
    rank = parse_person(person)
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
