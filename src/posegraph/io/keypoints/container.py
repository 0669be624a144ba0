"""The keypoint container, :class:`Keypoints2D`, and :func:`fill_missing`, which fills the
joints a detector missed before a model sees them."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ...errors import PosegraphError, ShapeError
from ...skeleton import KeypointLayout, Skeleton, get_layout, get_skeleton, map_keypoints

__all__ = ["Keypoints2D", "fill_missing", "CHUNK_FRAMES"]


CHUNK_FRAMES = 4096
"""Frames processed at a time by :meth:`Keypoints2D.to_h36m17` and :func:`fill_missing`: their
float64 temporaries are this many frames long whatever the length of the input (the results do
not depend on it)."""


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
        used = (lay.weights != 0).astype(np.float64)  # 17 x K: the h36m17 joints from the keypoints
        out = np.empty((F, used.shape[0], 2), np.float32)
        conf = np.empty((F, used.shape[0]), np.float32)
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


def _chunk_size(chunk_frames: int | None) -> int:
    """``chunk_frames`` (default :data:`CHUNK_FRAMES`), checked to be a positive integer."""
    n = CHUNK_FRAMES if chunk_frames is None else chunk_frames
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise PosegraphError(f"chunk_frames must be a positive number of frames, not {chunk_frames!r}")
    return int(n)


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
