"""Offline 2D keypoint detection for ``posegraph lift VIDEO``.

The detector (:mod:`posegraph.apps.detect.mediapipe_pose`, MediaPipe BlazePose from mediapipe
0.10.21, whose wheel bundles its models) needs numpy<2 and protobuf<5, so it runs in its own
virtual environment (``make detect-env`` makes ``.venv-detect``) as a subprocess of the main
process; :mod:`posegraph.apps.detect.runner` finds that environment and launches it. This package
imports nothing heavy: the detector module imports only numpy, opencv and mediapipe, and the
runner only the standard library plus posegraph's error types.
"""

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

__all__ = ["VIDEO_EXTENSIONS", "IMAGE_EXTENSIONS"]
