"""From a video, images or a 2D keypoint file to 3D poses: ``posegraph lift``.

Steps (:func:`lift_input`):

1. **2D keypoints.** A video, an image or a folder of images goes through the offline
   detector (MediaPipe BlazePose, run in the detect environment as a subprocess, see
   :mod:`posegraph.detect.runner`); a keypoint file (COCO JSON, OpenPose folder, npz, CSV) is
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
   (or ``lift.gif``): the frame with its 2D skeleton on the left (filled joints as open red
   circles), the 3D skeleton on fixed axes on the right (GraphMDN hypotheses drawn with
   opacity by weight).

Memory: after the keypoints are read, steps 1-4 run :data:`CHUNK_FRAMES` frames at a time (the
filling carries each joint's last present value from chunk to chunk), writing into float32
arrays allocated once; the post-processing works on the whole clip in float64 (about 0.8 KB per
frame for a 16-joint model), and
``lift.json`` is written one frame at a time: memory grows with the input only by the output
arrays themselves (about 0.7 KB per frame for a 17-joint input and a 16-joint model), and the
outputs do not depend on the chunk size.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import PosegraphError, ShapeError
from .fileio import save_json_stream, save_npz, writes_output_dir
from .geometry import MOCAP_LIFT

__all__ = ["lift_input", "smooth_poses", "to_model_input", "render_lift_video", "TRAIN_FOCAL_PER_WIDTH"]

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
    from .geometry import normalize_screen

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


def _parse_person(person):
    if person is None or person == "largest":
        return "largest"
    if isinstance(person, str):
        if person.strip().isdigit():
            return int(person)
        if person.strip().lower() in ("centre", "center"):
            return "centre"
        raise PosegraphError(f"--person must be 'largest', 'centre' or a rank (0 = largest), not {person!r}")
    return person


def _run_lifter(pipe, xy17: np.ndarray, image_size: tuple[int, int], focal: float | None, progress: bool,
                chunk: int = CHUNK_FRAMES) -> tuple[np.ndarray, dict, float, float]:
    """Model input and 3D for filled h36m17 pixels ``xy17`` ``(F, 17, 2)``, ``chunk`` frames at a time.

    Returns ``(x, res, focal, scale)``: ``x`` the model input ``(F, J, 2)`` (see
    :func:`to_model_input`) and ``res`` the pelvis-relative ``pose`` ``(F, J, 3)`` and, for
    mixture models, ``hypotheses`` ``(F, M, J, 3)`` (pelvis-relative) and ``weights``
    ``(F, J, M)``; all float32, each allocated once and filled chunk by chunk. The model runs
    on batches of :data:`LIFT_BATCH` frames.
    """
    from .evaluate import run_batched
    from .skeleton import H36M17

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
    from .temporal import SAVGOL_ORDER, SAVGOL_WINDOW, SMOOTHERS, _check_smoother

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


@writes_output_dir
def lift_input(input, checkpoint, out, *, render: bool | str = False, smooth: str | float | bool | None = "savgol",
               window: int | None = None, order: int | None = None, bones: bool = True, robust: bool = True,
               max_gap: int = 0, track_jump: float = 0.5, bvh: bool = False,
               focal: float | None = None, person: str | int = "largest", overwrite: bool = False,
               progress: bool = True, image_size: tuple[int, int] | None = None, conf_threshold: float = 0.3,
               max_frames: int | None = None, turn: float = 0.0, backend: str = "torch",
               detector_python: str | os.PathLike | None = None, chunk_frames: int = CHUNK_FRAMES) -> dict:
    """Lift a video, image(s) or 2D keypoint file to 3D; writes ``lift.npz``/``lift.json`` in ``out``.

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
        backend: ``"torch"`` (the only one).
        detector_python: the detect environment's python (default: see :mod:`posegraph.detect.runner`).
        chunk_frames: frames processed at a time after reading (:data:`CHUNK_FRAMES`); memory
            beyond the output arrays is bounded by it, the outputs do not depend on it.

    Returns:
        a dict with the written paths (``npz``, ``json``, ``video``), ``frames``, ``skeleton_3d``,
        ``image_size``, ``focal``, ``fps`` and ``filled_fraction``.
    """
    from .io.keypoints import fill_missing, read_keypoints
    from .pipeline import load_model_file, resolve_checkpoint
    from .skeleton import H36M17

    inp = Path(input)
    if not inp.exists():
        raise PosegraphError(f"{inp}: no such file or folder")
    if backend != "torch":
        raise PosegraphError(f"backend {backend!r} is not supported by lift; use 'torch'")
    if render not in (False, None, True, "mp4", "gif"):
        raise PosegraphError(f"render must be 'mp4' or 'gif', not {render!r}")
    smoother, window, order = _parse_smoothing(smooth, window, order)
    if isinstance(max_gap, bool) or int(max_gap) != max_gap or max_gap < 0:
        raise PosegraphError(f"--max-gap must be a number of frames >= 0, not {max_gap!r}")
    if not (np.isfinite(track_jump) and track_jump > 0):
        raise PosegraphError(f"--track-jump must be > 0 box diagonals, not {track_jump!r}")
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, (int, np.integer)) or chunk_frames < 1:
        raise PosegraphError(f"chunk_frames must be a positive number of frames, not {chunk_frames!r}")
    person = _parse_person(person)
    ckpt = resolve_checkpoint(checkpoint)
    pipe = load_model_file(ckpt)
    if pipe.task != "lift":
        raise PosegraphError(f"{ckpt}: a {pipe.task} model; lift needs a lifting model")
    kind = _input_kind(inp)
    if kind in ("video", "image", "images"):
        from .detect.runner import detect_python

        if detector_python is None:
            detector_python = detect_python()  # fail before touching out
    out = out.begin()  # a temporary folder, moved into place on return (writes_output_dir)

    # 1. 2D keypoints
    fps = 0.0
    video_path = None
    if kind in ("video", "image", "images"):
        from .detect.runner import run_detector

        det = run_detector(inp, out / "detections.npz", max_frames=max_frames, progress=progress,
                           python=detector_python)
        kps = read_keypoints(det)
        with np.load(det) as d:
            fps = float(d["fps"]) if "fps" in d.files else 0.0
            detected = d["detected"] if "detected" in d.files else None
        if kind == "video":
            video_path = inp
    else:
        kps = read_keypoints(inp, person=person)
        detected = None
        if max_frames:
            from .io.keypoints import Keypoints2D

            n = int(max_frames)
            kps = Keypoints2D(kps.xy[:n], kps.confidence[:n], kps.layout, kps.image_size, kps.frame_ids[:n],
                              None if kps.person_ids is None else kps.person_ids[:n], kps.path, kps.has_confidence)
    size = kps.image_size or (tuple(int(v) for v in image_size) if image_size is not None else None)
    if size is None:
        raise PosegraphError(f"{inp}: the file does not give the image size; pass --image-size WIDTHxHEIGHT")
    if image_size is not None and tuple(image_size) != tuple(size):
        raise PosegraphError(f"{inp}: the file says the image is {size[0]}x{size[1]}, "
                             f"--image-size says {image_size[0]}x{image_size[1]}")
    W, H = size
    chunk = int(chunk_frames)
    xy17_raw, conf17 = kps.to_h36m17(chunk_frames=chunk)  # float32, mapped chunk by chunk
    frame_ids, layout_2d = kps.frame_ids, kps.layout
    del kps  # the file's own keypoints are not needed any more
    F = len(xy17_raw)
    try:
        xy17, filled = fill_missing(xy17_raw, conf17, "h36m17", threshold=conf_threshold, chunk_frames=chunk)
    except ShapeError as e:
        raise PosegraphError(f"{inp}: no usable 2D joint in any frame ({e})") from None

    # 2. camera and model input, 3. lifting: chunk by chunk into float32 arrays
    x, res, f_used, scale = _run_lifter(pipe, xy17, (W, H), focal, progress, chunk)
    pose_raw = res["pose"]
    hyp = res.get("hypotheses")
    weights = res.get("weights")
    sk3 = pipe.skeleton

    # 5. tracks, gaps, smoothing, bone lengths, root (posegraph.temporal)
    from .temporal import ROBUST_ITERATIONS, ROBUST_K, postprocess

    idx3 = H36M17.subset_indices(sk3)
    present = np.isfinite(xy17_raw).all(-1) & (conf17 >= conf_threshold)
    det = present.sum(1) >= MIN_JOINTS_DETECTED
    if detected is not None:
        det &= np.asarray(detected, dtype=bool)
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
    root_cam = post["root_cam"].astype(np.float32)

    # 4. outputs
    arrays = {
        "keypoints_2d": np.where(det[:, None, None], xy17, np.nan).astype(np.float32),
        "keypoints_2d_raw": xy17_raw,
        "confidence": conf17,
        "filled": filled,
        "model_input": x,
        "joints_3d": pose,
        "joints_3d_raw": pose_raw,
        "joints_3d_cam": post["pose_cam"].astype(np.float32),
        "root_cam": root_cam,
        "root_cam_raw": post["root_cam_raw"].astype(np.float32),
        "detected": post["detected"],
        "interpolated": post["interpolated"],
        "track_id": post["track_id"],
        "bone_lengths": post["bone_lengths"].astype(np.float32),
        "frame_ids": frame_ids,
        "image_size": np.array([W, H], dtype=np.int64),
        "focal": np.float64(f_used),
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

    def r(a, d=4):
        a = np.asarray(a, dtype=np.float64)
        return None if not np.isfinite(a).all() else np.round(a, d).tolist()

    def frames():  # one frame at a time
        for i in range(F):
            fr = {"frame": int(frame_ids[i]),
                  "detected": bool(post["detected"][i]),
                  "interpolated": bool(post["interpolated"][i]),
                  "track_id": int(post["track_id"][i]),
                  "keypoints_2d": r(xy17[i], 2) if det[i] else None,
                  "confidence": r(conf17[i], 3),
                  "filled": filled[i].astype(bool).tolist(),
                  "joints_3d": r(pose[i]),
                  "joints_3d_raw": r(pose_raw[i]),
                  "root_cam": r(root_cam[i])}
            if hyp is not None:
                fr["hypotheses"] = r(hyp[i])
                if weights is not None:
                    fr["weights"] = r(weights[i])
            yield fr

    meta = {
        "format": "posegraph-lift", "format_version": 1,
        "input": os.fspath(inp), "input_kind": kind, "keypoint_layout": layout_2d,
        "checkpoint": os.fspath(ckpt), "model": pipe.model_name,
        "skeleton_2d": "h36m17", "joint_names_2d": list(H36M17.joints),
        "skeleton_3d": sk3.name, "joint_names_3d": list(sk3.joints), "parents_3d": list(sk3.parents),
        "units": {"keypoints_2d": "pixels (x right, y down)",
                  "joints_3d": "metres, camera frame (x right, y down, z forward), pelvis-relative",
                  "joints_3d_cam": "metres, camera coordinates (joints_3d + root_cam)"},
        "image_size": [W, H], "focal": f_used, "principal_point": [W / 2, H / 2],
        "input_scale": scale, "fps": fps, "conf_threshold": conf_threshold,
        "smoothing": None if smoother == "none" else {
            **({"filter": "savitzky-golay", "window_frames": window, "order": order} if smoother == "savgol"
               else {"filter": "gaussian", "sigma_frames": window}),
            "robust": {"outlier_threshold_mad_sigma": ROBUST_K, "iterations": ROBUST_ITERATIONS}
            if robust else None},
        "constant_bone_lengths": bool(bones), "max_gap_interpolated": int(max_gap),
        "num_tracks": int(len(post["bone_lengths"])), "detected_frames": int(post["detected"].sum()),
        "interpolated_frames": int(post["interpolated"].sum()),
        "root": "root_cam: pelvis in camera coordinates (metres), linear least squares on the reprojection, smoothed",
        "num_frames": F, "num_hypotheses": None if hyp is None else int(hyp.shape[1]),
        "filled_fraction": float(filled.mean()),
    }
    json_path = save_json_stream(out / "lift.json", meta, "frames", frames())

    video_out = None
    if render:
        fmt = "gif" if render == "gif" else "mp4"
        video_out = render_lift_video(
            out / f"lift.{fmt}", xy17, pose, sk3, image_size=(W, H), frame_ids=frame_ids,
            video=video_path, image=inp if kind == "image" else None,
            images=inp if kind == "images" else None, filled=filled, hypotheses=hyp,
            weights=weights, fps=fps or 30.0, turn=turn, progress=progress,
            detected=post["detected"], interpolated=post["interpolated"], track_id=post["track_id"])
    bvh_paths = []
    if bvh:
        from .io.bvh_write import write_lift_bvh

        bvh_paths = write_lift_bvh(out, pose, sk3, root_cam=root_cam, track_id=post["track_id"], fps=fps or 30.0)
    return {"out": out, "npz": npz_path, "json": json_path, "video": video_out, "frames": F,
            "skeleton_3d": sk3.name, "image_size": (W, H), "focal": f_used, "fps": fps,
            "filled_fraction": float(filled.mean()), "detected_frames": int(post["detected"].sum()),
            "interpolated_frames": int(post["interpolated"].sum()), "tracks": int(len(post["bone_lengths"])),
            "bvh": bvh_paths}


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def _frame_source(video, image, images, frame_ids):
    """Yield an RGB frame (or None) per entry of ``frame_ids``, streamed."""
    from .detect import IMAGE_EXTENSIONS
    from .video import iter_frames, read_image

    if video is not None:
        got = iter_frames(video, sorted(set(int(f) for f in frame_ids)))
        pending = next(got, None)
        for fid in frame_ids:
            fid = int(fid)
            while pending is not None and pending[0] < fid:
                pending = next(got, None)
            yield pending[1] if pending is not None and pending[0] == fid else None
    elif image is not None:
        img = read_image(image)
        for _ in frame_ids:
            yield img
    elif images is not None:
        names = sorted(q for q in Path(images).iterdir() if q.suffix.lower() in IMAGE_EXTENSIONS)
        for fid in frame_ids:
            yield read_image(names[int(fid)]) if int(fid) < len(names) else None
    else:
        for _ in frame_ids:
            yield None


def _fit_rgba(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size = (w, h)`` pixels (the panel's size, so matplotlib need not resample) as RGBA."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(img[..., :3]))
    if im.size != size:
        im = im.resize(size, Image.BILINEAR)
    return np.asarray(im.convert("RGBA"))


def render_lift_video(path, p2d: np.ndarray, p3d: np.ndarray, skeleton3d, *, image_size, frame_ids=None,
                      video=None, image=None, images=None, filled=None, hypotheses=None, weights=None,
                      fps: float = 30.0, turn: float = 0.0, radius: float = 0.9, progress: bool = True,
                      width_px: int = 1120, detected=None, interpolated=None, track_id=None) -> Path:
    """Render [frame + 2D skeleton | 3D skeleton] per frame to an MP4 or GIF (by ``path``'s suffix).

    ``p2d`` ``(F, 17, 2)`` pixels (h36m17); ``p3d`` ``(F, J, 3)`` camera-frame metres in
    ``skeleton3d``; ``hypotheses`` ``(F, M, J, 3)`` with ``weights`` ``(F, J, M)`` are drawn
    with opacity proportional to their joint-averaged weight. The 3D axes are fixed
    (``radius`` metres around the pelvis); ``turn`` degrees per frame turns the view.
    Frames are streamed from ``video`` (or ``image``/``images``); without one, a grey canvas.
    A frame with ``detected`` False (and not ``interpolated``) shows no skeleton and "no
    detection"; interpolated frames and track ids are labelled. The 3D axes are in metres.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .skeleton import get_skeleton
    from .video import VideoWriter
    from .viz import _bone_colors

    sk2, sk3 = get_skeleton("h36m17"), get_skeleton(skeleton3d)
    F = len(p2d)
    frame_ids = np.arange(F) if frame_ids is None else np.asarray(frame_ids)
    W, H = image_size
    dpi = 100
    left_w = width_px - 420
    left_h = max(200, int(round(left_w * H / W)))
    fig_h = max(left_h, 420)
    fig_h += fig_h % 2
    fig = plt.figure(figsize=(width_px / dpi, fig_h / dpi), dpi=dpi)
    ax2 = fig.add_axes([0.0, 0.0, left_w / width_px, 1.0])
    ax3 = fig.add_axes([left_w / width_px, 0.0, 420 / width_px, 0.92], projection="3d")
    ax2.set_axis_off()
    canvas = np.full((8, 8, 3), 200, np.uint8)
    im = ax2.imshow(canvas, extent=(0, W, H, 0), interpolation="nearest")
    ax2.set_xlim(0, W), ax2.set_ylim(H, 0)
    cols2, cols3 = _bone_colors(sk2), _bone_colors(sk3)
    lines2 = [ax2.plot([], [], color=c, lw=2.5)[0] for c in cols2]
    dots2 = ax2.scatter(np.zeros(17), np.zeros(17), s=10, color="k", zorder=3)
    miss2 = ax2.scatter([], [], s=60, facecolors="none", edgecolors="red", linewidths=1.5, zorder=4)
    title = ax2.text(0.01, 0.99, "", transform=ax2.transAxes, va="top", ha="left", fontsize=9,
                     color="w", bbox=dict(facecolor="k", alpha=0.5, lw=0))

    def cam(P):  # camera frame (x right, y down, z forward) -> plot (x, depth, up)
        P = np.asarray(P, dtype=np.float64)
        return np.stack([P[..., 0], P[..., 2], -P[..., 1]], axis=-1)

    M = 0 if hypotheses is None else hypotheses.shape[1]
    hyp_lines = [[ax3.plot([], [], [], color="tab:purple", lw=1.2, alpha=0.3)[0] for _ in sk3.edges]
                 for _ in range(M)]
    lines3 = [ax3.plot([], [], [], color=c, lw=2.5)[0] for c in cols3]
    ax3.set_xlim(-radius, radius), ax3.set_ylim(-radius, radius), ax3.set_zlim(-radius, radius)
    ax3.set_box_aspect((1, 1, 1))
    ax3.set_xlabel("x (m)", fontsize=8), ax3.set_ylabel("depth (m)", fontsize=8), ax3.set_zlabel("up (m)", fontsize=8)
    ticks = [-0.5, 0.0, 0.5]
    ax3.set_xticks(ticks), ax3.set_yticks(ticks), ax3.set_zticks(ticks)
    ax3.tick_params(labelsize=7)
    nodet = ax3.text2D(0.5, 0.5, "", transform=ax3.transAxes, ha="center", va="center", fontsize=14, color="red")
    ax3.set_title("3D (camera frame, pelvis-relative)" + (f", {M} hypotheses" if M else ""), fontsize=9)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=F, desc="render", unit="frame")
    try:
        with VideoWriter(path, fps=fps) as wr:
            for i, frame in enumerate(_frame_source(video, image, images, frame_ids)):
                if frame is not None:
                    im.set_data(_fit_rgba(frame, (left_w, left_h)))
                elif i == 0:
                    im.set_data(canvas)
                shown = detected is None or bool(detected[i]) or (interpolated is not None and bool(interpolated[i]))
                P = p2d[i] if shown else np.full_like(np.asarray(p2d[i], dtype=np.float64), np.nan)
                for (a, b), ln in zip(sk2.edges, lines2):
                    ln.set_data(P[[a, b], 0], P[[a, b], 1])
                dots2.set_offsets(P)
                if shown and filled is not None and filled[i].any():
                    miss2.set_offsets(P[filled[i]])
                else:
                    miss2.set_offsets(np.zeros((0, 2)))
                nf = 0 if filled is None else int(filled[i].sum())
                label = f"frame {int(frame_ids[i])}"
                if not shown:
                    label += "  no detection"
                elif interpolated is not None and interpolated[i]:
                    label += "  interpolated (no detection)"
                elif nf:
                    label += f"  ({nf} joints filled)"
                if track_id is not None and track_id[i] >= 0:
                    label += f"  track {int(track_id[i])}"
                title.set_text(label)
                nodet.set_text("" if shown else "no detection")
                Q = cam(p3d[i])
                for (a, b), ln in zip(sk3.edges, lines3):
                    ln.set_data_3d(Q[[a, b], 0], Q[[a, b], 1], Q[[a, b], 2])
                if M and not np.isfinite(hypotheses[i]).all():
                    for m in range(M):
                        for ln in hyp_lines[m]:
                            ln.set_data_3d([], [], [])
                elif M:
                    wm = weights[i].mean(0) if weights is not None else np.full(M, 1.0 / M)
                    wm = wm / max(wm.max(), 1e-9)
                    Hq = cam(hypotheses[i])
                    for m in range(M):
                        for (a, b), ln in zip(sk3.edges, hyp_lines[m]):
                            ln.set_data_3d(Hq[m, [a, b], 0], Hq[m, [a, b], 1], Hq[m, [a, b], 2])
                            ln.set_alpha(float(0.05 + 0.6 * wm[m]))
                ax3.view_init(elev=15, azim=-70 + turn * i)
                fig.canvas.draw()
                wr.write(np.asarray(fig.canvas.buffer_rgba())[..., :3])
                if bar is not None:
                    bar.update(1)
    finally:
        plt.close(fig)
        if bar is not None:
            bar.close()
    return Path(path)
