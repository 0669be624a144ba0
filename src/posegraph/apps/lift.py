"""From a video, images or a 2D keypoint file to 3D poses: ``posegraph lift``.

Steps (:func:`lift_input`, the composition of three stages: :func:`read_2d` reads the keypoint
file, or the detector's ``detections.npz``, once (step 1); :func:`lift_keypoints` does steps 2-5
on the arrays and reads or writes no file; :func:`write_lift` writes step 6's files as one set):

1. **2D keypoints.** A video, an image or a folder of images goes through the offline
   detector (MediaPipe BlazePose, run in the detect environment as a subprocess, see
   :mod:`posegraph.apps.detect.runner`); a keypoint file (COCO JSON, OpenPose folder, npz, CSV) is
   read with :func:`posegraph.io.keypoints.read_keypoints`, which follows one person
   (``person``: ``"largest"`` or a rank) by proximity across frames. Keypoints are mapped to
   the 17 Human3.6M joints.
2. **Missing joints.** Joints with confidence below ``conf_threshold`` (or none) are filled by
   :func:`posegraph.io.keypoints.fill_missing` (previous frame, else the parent joint, else
   the frame's mean) and flagged in ``filled``; nothing is silently zero.
3. **Camera.** The principal point is the image centre; the focal length is ``focal`` pixels,
   by default ``1.145 * width``. The models were trained on a camera with ``f = 1.145 *
   width`` (1000x1000 images, f = 1145), so the 2D is scaled about the principal point by
   ``1.145 * width / focal`` (makes it look as seen by the training camera), then normalised
   with :func:`posegraph.geometry.normalize_screen` (``x/w*2-1, y/w*2-h/w``; any aspect ratio).
4. **Lifting.** The model's joints are taken from the 17; the output is pelvis-relative 3D in
   the camera frame (x right, y down, z forward), in metres. Mixture models (GraphMDN) also
   give every hypothesis (``hypotheses`` ``(F, M, J, 3)``) and its weight per joint
   (``weights`` ``(F, J, M)``).
5. **Post-processing** (:func:`posegraph.temporal.postprocess`): a frame counts as detected
   when the detector found a person and at least :data:`MIN_JOINTS_DETECTED` joints are present;
   other frames get NaN (3D, 2D, root), never an invented pose (``max_gap`` interpolates short
   gaps and flags them in ``interpolated``). The track is cut where the 2D jumps to someone else
   (``track_id``). Per track, the point prediction is smoothed (Savitzky-Golay by default,
   ``smooth="none"`` turns it off), every bone is re-scaled to the track's median length, and
   the root is solved in camera coordinates from the reprojection (``root_cam``,
   ``joints_3d_cam``). The frame-by-frame prediction is kept as ``joints_3d_raw``; hypotheses
   are not smoothed.
6. **Output** in ``out``: ``lift.npz``, ``lift.json`` (the same per frame, plus metadata), the
   detector's ``detections.npz`` for video/image input, and with ``render`` a ``lift.mp4``
   (or ``lift.gif``, :func:`posegraph.apps.render.render_lift_video`): the frame with its 2D skeleton on
   the left (filled joints as open red circles), the 3D skeleton on fixed axes on the right
   (GraphMDN hypotheses drawn with opacity by weight).

Memory: after the keypoints are read, steps 1-4 run :data:`CHUNK_FRAMES` frames at a time (the
filling carries each joint's last present value from chunk to chunk), writing into float32
arrays allocated once; the post-processing works on the whole clip in float64 (about 0.8 KB per
frame for a 16-joint model), and
``lift.json`` is written one frame at a time: memory grows with the input only by the output
arrays themselves (about 0.7 KB per frame for a 17-joint input and a 16-joint model), and the
outputs do not depend on the chunk size.

Why over 500 lines: the three stages, their data classes (:class:`Track2D`, :class:`Camera`,
:class:`LiftResult`) and the checks of their options are one pipeline, documented step by step
above; the parts that stand alone live elsewhere (keypoint formats in :mod:`posegraph.io.keypoints`,
tracks and smoothing in :mod:`posegraph.temporal`, the video in :mod:`posegraph.apps.render`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import PosegraphError, ShapeError
from ..fileio import save_json_stream, save_npz, writes_output_dir
from ..io.keypoints.tracking import parse_person
from ..tasks import LIFT
from ..geometry import MOCAP_LIFT
from ..skeleton import Skeleton
from .render import render_lift_video

__all__ = ["lift_input", "read_2d", "lift_keypoints", "write_lift", "Camera", "Track2D", "LiftResult",
           "smooth_poses", "to_model_input", "render_lift_video", "TRAIN_FOCAL_PER_WIDTH"]

TRAIN_FOCAL_PER_WIDTH = MOCAP_LIFT["focal"] / MOCAP_LIFT["width"]  # 1.145
"""The training camera's focal length over its image width (1000x1000 images, f = 1145)."""

CHUNK_FRAMES = 4096
"""Frames processed at a time after reading (layout mapping, filling, model input, lifting,
smoothing): the temporaries are this long whatever the input's length, the results are written
into float32 arrays allocated once. A multiple of :data:`LIFT_BATCH` keeps the model's batches
those of a whole-array run."""

LIFT_BATCH = 256
"""Frames per model call. Small batches keep the model's working memory small (a 1024-frame batch
of a shipped model allocates ~100 MB of activations, whose freed blocks the allocator keeps); the
shipped models give bit-identical outputs for batches of 128 to 1024."""


def _input_kind(p: Path) -> str:
    from .detect import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    if p.is_dir():
        if any(p.glob("*_keypoints.json")):
            return "keypoints"
        if any(q.suffix.lower() in IMAGE_EXTENSIONS for q in p.iterdir()):
            return "images"
        return "keypoints"  # read_keypoints gives the error
    ext = p.suffix.lower()
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS:
        return "image"
    return "keypoints"


def to_model_input(px: np.ndarray, image_size: tuple[int, int], focal: float | None = None) -> tuple[np.ndarray, float, float]:
    """Pixel keypoints ``(..., 2)`` -> normalised screen coordinates as the training camera sees them.

    Returns ``(x, focal, scale)``: ``scale = 1.145 * width / focal`` is applied about the image
    centre before :func:`posegraph.geometry.normalize_screen`.
    """
    from ..geometry import normalize_screen

    w, h = image_size
    f = TRAIN_FOCAL_PER_WIDTH * w if focal is None else float(focal)
    if not np.isfinite(f) or f <= 0:
        raise PosegraphError(f"focal length must be a positive number of pixels, not {focal!r}")
    scale = TRAIN_FOCAL_PER_WIDTH * w / f
    c = np.array([w / 2.0, h / 2.0])
    px = np.asarray(px, dtype=np.float64)
    return normalize_screen(c + (px - c) * scale, w, h), f, scale


def smooth_poses(poses: np.ndarray, sigma: float) -> np.ndarray:
    """Centred Gaussian filter over time (axis 0) with standard deviation ``sigma`` frames.

    The kernel is truncated at 4 sigma; edges repeat the first/last frame (``mode="nearest"``).
    ``sigma <= 0`` returns a copy.
    """
    from scipy.ndimage import gaussian_filter1d

    poses = np.asarray(poses, dtype=np.float64)
    if sigma is None or sigma <= 0 or len(poses) < 2:
        return poses.copy()
    return gaussian_filter1d(poses, float(sigma), axis=0, mode="nearest", truncate=4.0)


def _run_lifter(pipe, xy17: np.ndarray, image_size: tuple[int, int], focal: float | None, progress: bool,
                chunk: int = CHUNK_FRAMES) -> tuple[np.ndarray, dict, float, float]:
    """Model input and 3D for filled h36m17 pixels ``xy17`` ``(F, 17, 2)``, ``chunk`` frames at a time.

    Returns ``(x, res, focal, scale)``: ``x`` the model input ``(F, J, 2)`` (see
    :func:`to_model_input`) and ``res`` the pelvis-relative ``pose`` ``(F, J, 3)`` and, for
    mixture models, ``hypotheses`` ``(F, M, J, 3)`` (pelvis-relative) and ``weights``
    ``(F, J, M)``; all float32, each allocated once and filled chunk by chunk. The model runs
    on batches of :data:`LIFT_BATCH` frames.
    """
    from ..pipeline import run_batched
    from ..skeleton import H36M17

    idx = H36M17.subset_indices(pipe.skeleton)
    root = pipe.skeleton.parents.index(-1)
    F = len(xy17)
    x = np.empty((F, len(idx), 2), np.float32)
    res: dict[str, np.ndarray] = {}
    f_used = scale = None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=F, desc="lift 3D", unit="frame")
    try:
        for s in range(0, F, chunk):
            e = min(s + chunk, F)
            x17, f_used, scale = to_model_input(xy17[s:e], image_size, focal)
            x[s:e] = x17[:, idx]  # float64 -> float32
            del x17
            out = run_batched(pipe, x[s:e], batch_size=min(LIFT_BATCH, chunk))
            for k in ("pose", "hypotheses", "weights"):
                if k not in out:
                    continue
                v = out[k]
                if k == "pose":
                    v = v - v[:, root:root + 1]
                elif k == "hypotheses":
                    v = v - v[:, :, root:root + 1]
                if k not in res:
                    res[k] = np.empty((F,) + v.shape[1:], np.float32)
                res[k][s:e] = v
            out = v = None  # nothing of the chunk stays alive into the next one
            if bar is not None:
                bar.update(e - s)
    finally:
        if bar is not None:
            bar.close()
    return x, res, f_used, scale


MIN_JOINTS_DETECTED = 6
"""A frame counts as detected when at least this many of its 17 joints are present (finite, with
confidence at or above the threshold), and the detector (for video) found a person."""


def _parse_smoothing(smooth, window, order) -> tuple[str, float, int]:
    """``(method, window or sigma, order)`` from ``lift_input``'s arguments (see its docstring)."""
    from ..temporal import SAVGOL_ORDER, SAVGOL_WINDOW, SMOOTHERS, _check_smoother

    if smooth is None or smooth is False:
        smooth = "none"
    elif smooth is True:
        smooth, window = "gaussian", 2.0 if window is None else window
    elif isinstance(smooth, (int, float, np.number)):
        if not np.isfinite(smooth) or smooth < 0:
            raise PosegraphError(f"smoothing sigma must be >= 0 frames, not {smooth!r}")
        smooth, window = ("gaussian", float(smooth)) if smooth > 0 else ("none", window)
    if not isinstance(smooth, str) or smooth.lower() not in SMOOTHERS:
        raise PosegraphError(f"--smooth must be one of {', '.join(SMOOTHERS)}, not {smooth!r}")
    smooth = smooth.lower()
    if window is None:
        window = SAVGOL_WINDOW if smooth == "savgol" else 2.0
    order = SAVGOL_ORDER if order is None else order
    _check_smoother(smooth, window, order)
    return smooth, (int(window) if smooth == "savgol" else float(window)), int(order)


def _check_options(smooth, window, order, max_gap, track_jump, chunk_frames) -> tuple[str, float, int]:
    """The checks of :func:`lift_keypoints`' options (each a one-line error); returns the
    smoothing as :func:`_parse_smoothing` gives it."""
    smooth = _parse_smoothing(smooth, window, order)
    if isinstance(max_gap, bool) or int(max_gap) != max_gap or max_gap < 0:
        raise PosegraphError(f"--max-gap must be a number of frames >= 0, not {max_gap!r}")
    if not (np.isfinite(track_jump) and track_jump > 0):
        raise PosegraphError(f"--track-jump must be > 0 box diagonals, not {track_jump!r}")
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, (int, np.integer)) or chunk_frames < 1:
        raise PosegraphError(f"chunk_frames must be a positive number of frames, not {chunk_frames!r}")
    return smooth


# ---------------------------------------------------------------------------------------
# The stages: read_2d -> lift_keypoints -> write_lift
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Camera:
    """The camera of a 2D track, in pixels (see the module docstring, step 3)."""

    image_size: tuple[int, int]
    """``(width, height)``; the principal point is the image centre."""
    focal: float | None = None
    """Focal length; None: the training camera's ``1.145 * width``."""
    fps: float = 0.0
    """Frames per second of the source (0: not known, e.g. an image or a keypoint file)."""


@dataclass
class Track2D:
    """One person's 2D keypoints, mapped to the 17 Human3.6M joints, as :func:`read_2d` gives them."""

    xy: np.ndarray
    """``(F, 17, 2)`` float32 pixels (x right, y down), NaN where missing."""
    confidence: np.ndarray
    """``(F, 17)`` float32, 0 where missing."""
    frame_ids: np.ndarray
    """``(F,)`` int64 frame numbers."""
    layout: str
    """The keypoint layout of the source (``blazepose33`` for the detector, ``coco17``, ...)."""
    source: str
    """The input the keypoints come from (named in errors and in ``lift.json``)."""
    kind: str = "keypoints"
    """``"keypoints"`` (a keypoint file), or ``"video"``, ``"image"``, ``"images"`` (through the detector)."""
    detected: np.ndarray | None = None
    """``(F,)`` bool: the detector found a person (None for keypoint files)."""

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[0])


def read_2d(path, *, kind: str = "keypoints", source=None, person: str | int = "largest",
            image_size: tuple[int, int] | None = None, focal: float | None = None, max_frames: int | None = None,
            chunk_frames: int = CHUNK_FRAMES) -> tuple[Track2D, Camera]:
    """Read a 2D keypoint file, or the detector's ``detections.npz``, once: ``(track, camera)``.

    Args:
        path: a keypoint file or OpenPose folder (``kind="keypoints"``, read with
            :func:`posegraph.io.keypoints.read_keypoints`, following ``person``), or the
            ``detections.npz`` that :func:`posegraph.apps.detect.runner.run_detector` wrote for a
            ``"video"``, ``"image"`` or ``"images"`` input (its frame rate and per-frame
            ``detected`` flags are kept).
        source: the input named in errors and outputs (default ``path``; for detections, the
            video or images).
        image_size: ``(width, height)`` for files that do not say; an error if the file says otherwise.
        focal: the focal length in pixels for :class:`Camera` (None: ``1.145 * width``).
        max_frames: only the first frames of a keypoint file (the detector takes its own).
        chunk_frames: frames mapped to the 17 joints at a time.
    """
    from ..io.keypoints import Keypoints2D, keypoints_from_npz, read_keypoints
    from ..io.npzfile import read_npz

    path = Path(path)
    source = path if source is None else Path(source)
    fps = 0.0
    detected = None
    if kind == "keypoints":
        kps = read_keypoints(path, person=person)
        if max_frames:
            n = int(max_frames)
            kps = Keypoints2D(kps.xy[:n], kps.confidence[:n], kps.layout, kps.image_size, kps.frame_ids[:n],
                              None if kps.person_ids is None else kps.person_ids[:n], kps.path, kps.has_confidence)
    else:
        data = read_npz(path)  # read once: the keypoints, the frame rate and the detection flags
        kps = keypoints_from_npz(data, path)
        fps = float(data["fps"]) if "fps" in data else 0.0
        detected = data.get("detected")
    size = kps.image_size or (tuple(int(v) for v in image_size) if image_size is not None else None)
    if size is None:
        raise PosegraphError(f"{source}: the file does not give the image size; pass --image-size WIDTHxHEIGHT")
    if image_size is not None and tuple(image_size) != tuple(size):
        raise PosegraphError(f"{source}: the file says the image is {size[0]}x{size[1]}, "
                             f"--image-size says {image_size[0]}x{image_size[1]}")
    xy, conf = kps.to_h36m17(chunk_frames=int(chunk_frames))  # float32, mapped chunk by chunk
    track = Track2D(xy, conf, kps.frame_ids, kps.layout, os.fspath(source), kind, detected)
    return track, Camera(tuple(size), focal, fps)


@dataclass
class LiftResult:
    """What :func:`lift_keypoints` computes: the arrays of ``lift.npz`` and what ``lift.json`` says.

    The 2D is the h36m17 joints in pixels; the 3D is in the model's skeleton, metres, camera frame
    (x right, y down, z forward); frames that are not detected (and not interpolated) are NaN.
    """

    track: Track2D
    """The 2D as read (``keypoints_2d_raw``, ``confidence``, ``frame_ids``)."""
    camera: Camera
    skeleton: Skeleton
    """The model's 3D skeleton."""
    model_name: str
    keypoints_2d: np.ndarray
    """``(F, 17, 2)`` the 2D with missing joints filled (every frame)."""
    filled: np.ndarray
    """``(F, 17)`` bool: joints filled (missing or below the confidence threshold)."""
    present: np.ndarray
    """``(F,)`` bool: frames with a person in the 2D (:data:`MIN_JOINTS_DETECTED`)."""
    model_input: np.ndarray
    focal: float
    """The focal length used, in pixels."""
    input_scale: float
    """``1.145 * width / focal`` (:func:`to_model_input`)."""
    joints_3d: np.ndarray
    joints_3d_raw: np.ndarray
    joints_3d_cam: np.ndarray
    root_cam: np.ndarray
    root_cam_raw: np.ndarray
    detected: np.ndarray
    interpolated: np.ndarray
    track_id: np.ndarray
    bone_lengths: np.ndarray
    hypotheses: np.ndarray | None
    weights: np.ndarray | None
    settings: dict
    """How it was lifted: ``conf_threshold``, ``smooth``, ``window``, ``order``, ``robust``,
    ``bones``, ``max_gap`` (``lift.json``'s metadata)."""

    @property
    def num_frames(self) -> int:
        return int(self.keypoints_2d.shape[0])


def lift_keypoints(pipe, keypoints: Track2D, camera: Camera, *, conf_threshold: float = 0.3,
                   smooth: str | float | bool | None = "savgol", window: int | None = None, order: int | None = None,
                   bones: bool = True, robust: bool = True, max_gap: int = 0, track_jump: float = 0.5,
                   progress: bool = True, chunk_frames: int = CHUNK_FRAMES) -> LiftResult:
    """Steps 2-5 of the module docstring on a 2D track (no file is read or written).

    ``pipe`` is a lifting :class:`~posegraph.pipeline.Pipeline`; ``keypoints`` and ``camera``
    are :func:`read_2d`'s; the options are :func:`lift_input`'s.
    """
    from ..io.keypoints import fill_missing
    from ..skeleton import H36M17
    from ..temporal import ROBUST_K, postprocess

    LIFT.require(pipe, f"{pipe.model_name}: a {pipe.task} model; lift needs a lifting model")
    smoother, window, order = _check_options(smooth, window, order, max_gap, track_jump, chunk_frames)
    chunk = int(chunk_frames)
    W, H = camera.image_size
    xy17_raw, conf17 = keypoints.xy, keypoints.confidence
    try:
        xy17, filled = fill_missing(xy17_raw, conf17, "h36m17", threshold=conf_threshold, chunk_frames=chunk)
    except ShapeError as e:
        raise PosegraphError(f"{keypoints.source}: no usable 2D joint in any frame ({e})") from None

    # 2. camera and model input, 3. lifting: chunk by chunk into float32 arrays
    x, res, f_used, scale = _run_lifter(pipe, xy17, (W, H), camera.focal, progress, chunk)
    pose_raw = res["pose"]
    hyp = res.get("hypotheses")
    weights = res.get("weights")
    sk3 = pipe.skeleton

    # 5. tracks, gaps, smoothing, bone lengths, root (posegraph.temporal)
    idx3 = H36M17.subset_indices(sk3)
    present = np.isfinite(xy17_raw).all(-1) & (conf17 >= conf_threshold)
    det = present.sum(1) >= MIN_JOINTS_DETECTED
    if keypoints.detected is not None:
        det &= np.asarray(keypoints.detected, dtype=bool)
    root_w = np.where(filled, 0.0, conf17)
    post = postprocess(pose_raw, xy17, list(sk3.parents), detected=det, conf=root_w, joint_index=idx3,
                       focal=f_used, principal_point=(W / 2.0, H / 2.0), smooth=smoother, window=window,
                       order=order, bones=bones, max_gap=max_gap, jump=track_jump,
                       robust=ROBUST_K if robust else None,
                       symmetry=[(sk3.index(a), sk3.index(b)) for a, b in sk3.symmetry])
    pose = post["pose"].astype(np.float32)
    pose_raw = np.where(det[:, None, None], pose_raw, np.nan).astype(np.float32)
    if hyp is not None:
        hyp = np.where(det[:, None, None, None], hyp, np.nan).astype(np.float32)
        if weights is not None:
            weights = np.where(det[:, None, None], weights, np.nan).astype(np.float32)
    return LiftResult(
        track=keypoints, camera=camera, skeleton=sk3, model_name=pipe.model_name, keypoints_2d=xy17,
        filled=filled, present=det, model_input=x, focal=f_used, input_scale=scale, joints_3d=pose,
        joints_3d_raw=pose_raw, joints_3d_cam=post["pose_cam"].astype(np.float32),
        root_cam=post["root_cam"].astype(np.float32), root_cam_raw=post["root_cam_raw"].astype(np.float32),
        detected=post["detected"], interpolated=post["interpolated"], track_id=post["track_id"],
        bone_lengths=post["bone_lengths"].astype(np.float32), hypotheses=hyp, weights=weights,
        settings={"conf_threshold": conf_threshold, "smooth": smoother, "window": window, "order": order,
                  "robust": bool(robust), "bones": bool(bones), "max_gap": int(max_gap)})


def _write_outputs(result: LiftResult, out: Path, checkpoint=None, render: bool | str = False, turn: float = 0.0,
                   bvh: bool = False, progress: bool = True) -> dict:
    """:func:`write_lift`'s files, written into the folder ``out`` (step 6 of the module docstring)."""
    from ..skeleton import H36M17
    from ..temporal import ROBUST_ITERATIONS, ROBUST_K

    r_ = result
    trk, sk3, st = r_.track, r_.skeleton, r_.settings
    F = r_.num_frames
    W, H = r_.camera.image_size
    fps = r_.camera.fps
    det, xy17, pose, pose_raw = r_.present, r_.keypoints_2d, r_.joints_3d, r_.joints_3d_raw
    hyp, weights, root_cam, filled = r_.hypotheses, r_.weights, r_.root_cam, r_.filled
    arrays = {
        "keypoints_2d": np.where(det[:, None, None], xy17, np.nan).astype(np.float32),
        "keypoints_2d_raw": trk.xy,
        "confidence": trk.confidence,
        "filled": filled,
        "model_input": r_.model_input,
        "joints_3d": pose,
        "joints_3d_raw": pose_raw,
        "joints_3d_cam": r_.joints_3d_cam,
        "root_cam": root_cam,
        "root_cam_raw": r_.root_cam_raw,
        "detected": r_.detected,
        "interpolated": r_.interpolated,
        "track_id": r_.track_id,
        "bone_lengths": r_.bone_lengths,
        "frame_ids": trk.frame_ids,
        "image_size": np.array([W, H], dtype=np.int64),
        "focal": np.float64(r_.focal),
        "fps": np.float64(fps),
        "joint_names_2d": np.array(H36M17.joints),
        "joint_names_3d": np.array(sk3.joints),
        "parents_3d": np.array(sk3.parents, dtype=np.int64),
    }
    if hyp is not None:
        arrays["hypotheses"] = hyp
        if weights is not None:
            arrays["weights"] = weights
    npz_path = save_npz(out / "lift.npz", **arrays)
    del arrays

    def r(a, d=4):
        a = np.asarray(a, dtype=np.float64)
        return None if not np.isfinite(a).all() else np.round(a, d).tolist()

    def frames():  # one frame at a time
        for i in range(F):
            fr = {"frame": int(trk.frame_ids[i]),
                  "detected": bool(r_.detected[i]),
                  "interpolated": bool(r_.interpolated[i]),
                  "track_id": int(r_.track_id[i]),
                  "keypoints_2d": r(xy17[i], 2) if det[i] else None,
                  "confidence": r(trk.confidence[i], 3),
                  "filled": filled[i].astype(bool).tolist(),
                  "joints_3d": r(pose[i]),
                  "joints_3d_raw": r(pose_raw[i]),
                  "root_cam": r(root_cam[i])}
            if hyp is not None:
                fr["hypotheses"] = r(hyp[i])
                if weights is not None:
                    fr["weights"] = r(weights[i])
            yield fr

    smoother, window, order = st["smooth"], st["window"], st["order"]
    meta = {
        "format": "posegraph-lift", "format_version": 1,
        "input": trk.source, "input_kind": trk.kind, "keypoint_layout": trk.layout,
        "checkpoint": None if checkpoint is None else os.fspath(checkpoint), "model": r_.model_name,
        "skeleton_2d": "h36m17", "joint_names_2d": list(H36M17.joints),
        "skeleton_3d": sk3.name, "joint_names_3d": list(sk3.joints), "parents_3d": list(sk3.parents),
        "units": {"keypoints_2d": "pixels (x right, y down)",
                  "joints_3d": "metres, camera frame (x right, y down, z forward), pelvis-relative",
                  "joints_3d_cam": "metres, camera coordinates (joints_3d + root_cam)"},
        "image_size": [W, H], "focal": r_.focal, "principal_point": [W / 2, H / 2],
        "input_scale": r_.input_scale, "fps": fps, "conf_threshold": st["conf_threshold"],
        "smoothing": None if smoother == "none" else {
            **({"filter": "savitzky-golay", "window_frames": window, "order": order} if smoother == "savgol"
               else {"filter": "gaussian", "sigma_frames": window}),
            "robust": {"outlier_threshold_mad_sigma": ROBUST_K, "iterations": ROBUST_ITERATIONS}
            if st["robust"] else None},
        "constant_bone_lengths": st["bones"], "max_gap_interpolated": st["max_gap"],
        "num_tracks": int(len(r_.bone_lengths)), "detected_frames": int(r_.detected.sum()),
        "interpolated_frames": int(r_.interpolated.sum()),
        "root": "root_cam: pelvis in camera coordinates (metres), linear least squares on the reprojection, smoothed",
        "num_frames": F, "num_hypotheses": None if hyp is None else int(hyp.shape[1]),
        "filled_fraction": float(filled.mean()),
    }
    json_path = save_json_stream(out / "lift.json", meta, "frames", frames())

    video_out = None
    if render:
        fmt = "gif" if render == "gif" else "mp4"
        video_out = render_lift_video(
            out / f"lift.{fmt}", xy17, pose, sk3, image_size=(W, H), frame_ids=trk.frame_ids,
            video=trk.source if trk.kind == "video" else None, image=trk.source if trk.kind == "image" else None,
            images=trk.source if trk.kind == "images" else None, filled=filled, hypotheses=hyp,
            weights=weights, fps=fps or 30.0, turn=turn, progress=progress,
            detected=r_.detected, interpolated=r_.interpolated, track_id=r_.track_id)
    bvh_paths = []
    if bvh:
        from ..io.bvh_write import write_lift_bvh

        bvh_paths = write_lift_bvh(out, pose, sk3, root_cam=root_cam, track_id=r_.track_id, fps=fps or 30.0)
    return {"out": out, "npz": npz_path, "json": json_path, "video": video_out, "frames": F,
            "skeleton_3d": sk3.name, "image_size": (W, H), "focal": r_.focal, "fps": fps,
            "filled_fraction": float(filled.mean()), "detected_frames": int(r_.detected.sum()),
            "interpolated_frames": int(r_.interpolated.sum()), "tracks": int(len(r_.bone_lengths)),
            "bvh": bvh_paths}


def _check_render(render) -> None:
    if render not in (False, None, True, "mp4", "gif"):
        raise PosegraphError(f"render must be 'mp4' or 'gif', not {render!r}")


@writes_output_dir
def write_lift(result: LiftResult, out, *, checkpoint=None, render: bool | str = False, turn: float = 0.0,
               bvh: bool = False, progress: bool = True, overwrite: bool = False) -> dict:
    """Write a :class:`LiftResult` into the folder ``out``, as one set (:class:`posegraph.fileio.OutputDir`).

    ``lift.npz``, ``lift.json`` (``checkpoint``: the model file it names), with ``render``
    ``lift.mp4`` (``"gif"``: ``lift.gif``; the frames come from the track's source), with
    ``bvh`` ``lift.bvh``; a failure leaves ``out`` as it was. Returns :func:`lift_input`'s
    dict. (:func:`lift_input` writes the same files into the set that also holds the
    detector's ``detections.npz``.)
    """
    _check_render(render)
    return _write_outputs(result, out.begin(), checkpoint, render, turn, bvh, progress)


@writes_output_dir
def lift_input(input, checkpoint, out, *, render: bool | str = False, smooth: str | float | bool | None = "savgol",
               window: int | None = None, order: int | None = None, bones: bool = True, robust: bool = True,
               max_gap: int = 0, track_jump: float = 0.5, bvh: bool = False,
               focal: float | None = None, person: str | int = "largest", overwrite: bool = False,
               progress: bool = True, image_size: tuple[int, int] | None = None, conf_threshold: float = 0.3,
               max_frames: int | None = None, turn: float = 0.0,
               detector_python: str | os.PathLike | None = None, chunk_frames: int = CHUNK_FRAMES) -> dict:
    """Lift a video, image(s) or 2D keypoint file to 3D; writes ``lift.npz``/``lift.json`` in ``out``.

    :func:`read_2d` (after the detector, for video and images), :func:`lift_keypoints`, then
    the files of :func:`write_lift`.

    Args:
        input: video file, image file, folder of images, or keypoint file/OpenPose folder.
        checkpoint: shipped model name (``semgcn``, ``graphmdn``, ``baseline``), model file or run dir.
        out: output folder; must be empty or absent unless ``overwrite``. The outputs are written
            as one set (:class:`posegraph.fileio.OutputDir`): a failure leaves ``out`` as it was.
        render: ``True``/``"mp4"`` writes ``lift.mp4``, ``"gif"`` writes ``lift.gif``.
        smooth: temporal filter of each track (:mod:`posegraph.temporal`): ``"savgol"`` (default;
            Savitzky-Golay, ``window`` frames, polynomial ``order``), ``"gaussian"`` (sigma
            ``window`` frames, default 2), ``"none"``; a number is a Gaussian sigma in frames
            (``True`` = 2.0; None/False/0: none).
        window, order: the filter's window (odd frames) or sigma, and Savitzky-Golay order.
        bones: re-scale every frame's bones to the track's median bone lengths.
        robust: smoothing robust to outliers (a limb flipped for a frame is replaced by the smooth
            curve, :data:`posegraph.temporal.ROBUST_K`); False: a plain linear smoother.
        max_gap: undetected runs of at most this many frames inside a track are interpolated
            and flagged in ``interpolated`` (0: none; every undetected frame is NaN).
        track_jump: a track is cut where the 2D box moves by more than this many box diagonals.
        bvh: also write the motion as BVH (``lift.bvh``, one file per track, see
            :mod:`posegraph.io.bvh_write`).
        focal: focal length in pixels (default ``1.145 * width``).
        person: ``"largest"``, ``"centre"`` (nearest the image centre) or a rank (0 = largest) in
            multi-person keypoint files (in the first frame with people; then followed).
        image_size: ``(width, height)`` for keypoint files that do not say.
        conf_threshold: joints with lower confidence are filled and flagged.
        max_frames: only the first frames (detector input and keypoint files).
        turn: degrees the rendered 3D view turns per frame (0: fixed view).
        detector_python: the detect environment's python (default: see :mod:`posegraph.apps.detect.runner`).
        chunk_frames: frames processed at a time after reading (:data:`CHUNK_FRAMES`); memory
            beyond the output arrays is bounded by it, the outputs do not depend on it.

    Returns:
        a dict with the written paths (``npz``, ``json``, ``video``), ``frames``, ``skeleton_3d``,
        ``image_size``, ``focal``, ``fps`` and ``filled_fraction``.
    """
    from ..pipeline import load_model_file, resolve_checkpoint

    inp = Path(input)
    if not inp.exists():
        raise PosegraphError(f"{inp}: no such file or folder")
    _check_render(render)
    _check_options(smooth, window, order, max_gap, track_jump, chunk_frames)  # before the model loads
    person = parse_person(person)  # a bad value fails before the model loads
    ckpt = resolve_checkpoint(checkpoint)
    pipe = load_model_file(ckpt)
    LIFT.require(pipe, f"{ckpt}: a {pipe.task} model; lift needs a lifting model")
    kind = _input_kind(inp)
    if kind != "keypoints":
        from .detect.runner import detect_python

        if detector_python is None:
            detector_python = detect_python()  # fail before touching out
    out = out.begin()  # a temporary folder, moved into place on return (writes_output_dir)

    # 1. 2D keypoints: the detector's (written into the output set) or the file's
    src = inp
    if kind != "keypoints":
        from .detect.runner import run_detector

        src = run_detector(inp, out / "detections.npz", max_frames=max_frames, progress=progress,
                           python=detector_python)
    track, camera = read_2d(src, kind=kind, source=inp, person=person, image_size=image_size, focal=focal,
                            max_frames=max_frames if kind == "keypoints" else None, chunk_frames=chunk_frames)
    # 2-5. filling, camera, lifting, post-processing
    result = lift_keypoints(pipe, track, camera, conf_threshold=conf_threshold, smooth=smooth, window=window,
                            order=order, bones=bones, robust=robust, max_gap=max_gap, track_jump=track_jump,
                            progress=progress, chunk_frames=chunk_frames)
    # 6. outputs
    return _write_outputs(result, out, ckpt, render, turn, bvh, progress)
