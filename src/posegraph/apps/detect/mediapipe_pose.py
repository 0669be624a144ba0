"""MediaPipe BlazePose as an offline 2D keypoint detector (run in the detect venv).

Usage (inside the environment made by ``make detect-env``)::

    .venv-detect/bin/python -m posegraph.apps.detect.mediapipe_pose VIDEO_OR_IMAGE_OR_FOLDER \\
        --out keypoints.npz [--max-frames N] [--model-complexity 1] [--progress]

It reads a video (OpenCV), one image, or a folder of images (sorted by name), runs
``mediapipe.solutions.pose.Pose`` (mediapipe 0.10.21, whose wheel bundles the BlazePose
models, so nothing is downloaded) on every frame and writes posegraph's keypoint ``.npz``
(:func:`posegraph.io.keypoints.read_keypoints_npz` reads it):

* ``keypoints`` ``(F, 33, 2)`` float32 pixel coordinates (x right, y down) of the 33
  BlazePose landmarks (``layout`` = ``blazepose33``); NaN in frames where nobody was found;
* ``confidence`` ``(F, 33)`` float32: the landmark's ``visibility`` (0 where nobody was found);
* ``image_size`` ``(width, height)``, ``frame_ids`` ``(F,)`` (0-based frame numbers),
  ``fps`` (the video's frame rate, 0 for images), ``detected`` ``(F,)`` bool.

BlazePose finds one person a frame (the most prominent one, then tracks it). This module
imports only numpy, OpenCV and mediapipe (no torch, nothing else of posegraph), so it runs in
an environment with numpy<2 next to the main one. With ``--progress`` it prints
``progress DONE TOTAL`` lines on stdout, which :mod:`posegraph.apps.detect.runner` turns into a
progress bar; errors are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
NUM_LANDMARKS = 33


class DetectError(Exception):
    pass


def _frames(path: str, max_frames: int | None):
    """Yield RGB uint8 frames; first yields ``(total, fps, is_video)``."""
    import cv2

    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
        if not names:
            raise DetectError(f"{path}: folder holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        names = names[:max_frames] if max_frames else names
        yield len(names), 0.0, False
        for n in names:
            yield _read_image(os.path.join(path, n))
        return
    if path.lower().endswith(IMAGE_EXTENSIONS):
        yield 1, 0.0, False
        yield _read_image(path)
        return
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise DetectError(f"{path}: cannot open as a video")
    try:
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if max_frames:
            total = min(total, max_frames) if total > 0 else max_frames
        yield total, fps, True
        n = 0
        while not max_frames or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            n += 1
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if n == 0:
            raise DetectError(f"{path}: the video has no readable frame")
    finally:
        cap.release()


def _read_image(path: str) -> np.ndarray:
    import cv2

    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise DetectError(f"{path}: cannot read as an image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def detect(path: str, max_frames: int | None = None, model_complexity: int = 1,
           min_detection_confidence: float = 0.5, progress: bool = False) -> dict:
    """Run BlazePose over the frames of ``path``; returns the arrays written to the npz."""
    import mediapipe as mp

    if not os.path.exists(path):
        raise DetectError(f"{path}: no such file or folder")
    it = _frames(path, max_frames)
    total, fps, is_video = next(it)
    xy, conf, detected = [], [], []
    size = None
    with mp.solutions.pose.Pose(static_image_mode=not is_video, model_complexity=model_complexity,
                                min_detection_confidence=min_detection_confidence) as pose:
        for i, rgb in enumerate(it):
            h, w = rgb.shape[:2]
            if size is None:
                size = (w, h)
            elif size != (w, h):
                raise DetectError(f"{path}: frame {i} is {w}x{h}, the first was {size[0]}x{size[1]}")
            res = pose.process(rgb)
            if res.pose_landmarks is None:
                xy.append(np.full((NUM_LANDMARKS, 2), np.nan, np.float32))
                conf.append(np.zeros(NUM_LANDMARKS, np.float32))
                detected.append(False)
            else:
                lm = res.pose_landmarks.landmark
                xy.append(np.array([[p.x * w, p.y * h] for p in lm], np.float32))
                conf.append(np.clip(np.array([p.visibility for p in lm], np.float32), 0.0, 1.0))
                detected.append(True)
            if progress:
                print(f"progress {i + 1} {max(total, i + 1)}", flush=True)
    if not xy:
        raise DetectError(f"{path}: no frame to detect on")
    xy_a = np.stack(xy)
    conf_a = np.stack(conf)
    # a present landmark with visibility exactly 0 would read as missing: keep it just above 0
    det = np.array(detected)
    conf_a[det] = np.maximum(conf_a[det], 1e-6)
    return {
        "keypoints": xy_a,
        "confidence": conf_a,
        "layout": np.array("blazepose33"),
        "image_size": np.array(size, dtype=np.int64),
        "frame_ids": np.arange(len(xy_a), dtype=np.int64),
        "fps": np.array(fps, dtype=np.float64),
        "detected": det,
    }


def write_npz(path: str, arrays: dict) -> None:
    """Write atomically: a temporary file beside ``path``, then a rename."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", suffix=".npz", dir=d)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m posegraph.apps.detect.mediapipe_pose",
                                 description="BlazePose-33 2D keypoints of a video, image or image folder.")
    ap.add_argument("input", help="video file, image file, or folder of images")
    ap.add_argument("--out", required=True, help="output .npz (posegraph keypoint format)")
    ap.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    ap.add_argument("--model-complexity", type=int, default=1, choices=(0, 1),
                    help="0 (lite) or 1 (full); both bundled in the wheel (2 would be downloaded)")
    ap.add_argument("--min-detection-confidence", type=float, default=0.5)
    ap.add_argument("--progress", action="store_true", help="print 'progress DONE TOTAL' lines")
    args = ap.parse_args(argv)
    try:
        arrays = detect(args.input, args.max_frames, args.model_complexity,
                        args.min_detection_confidence, args.progress)
        write_npz(args.out, arrays)
    except DetectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"done {len(arrays['keypoints'])} frames, {int(arrays['detected'].sum())} with a person", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
