"""Video reading and writing (imageio-ffmpeg's bundled ffmpeg; GIF through imageio/Pillow).

Frames are streamed: :func:`iter_frames` decodes one frame at a time and never holds the
video in memory, and :class:`VideoWriter` encodes frames as they come.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import PosegraphError

__all__ = ["VideoInfo", "probe", "iter_frames", "read_image", "VideoWriter"]


class VideoInfo(tuple):
    """``(width, height, fps, num_frames)``; ``num_frames`` may be an estimate from the duration."""

    __slots__ = ()

    def __new__(cls, width: int, height: int, fps: float, num_frames: int):
        return super().__new__(cls, (int(width), int(height), float(fps), int(num_frames)))

    width = property(lambda s: s[0])
    height = property(lambda s: s[1])
    fps = property(lambda s: s[2])
    num_frames = property(lambda s: s[3])


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate and frame count of a video (reads the header only)."""
    import imageio_ffmpeg

    path = Path(path)
    if not path.exists():
        raise PosegraphError(f"{path}: no such video file")
    try:
        gen = imageio_ffmpeg.read_frames(os.fspath(path))
        meta = next(gen)
        gen.close()
    except (RuntimeError, OSError, StopIteration) as e:
        raise PosegraphError(f"{path}: cannot read as a video ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    w, h = meta["size"]
    fps = float(meta.get("fps") or 0.0)
    n = int(round(float(meta.get("duration") or 0.0) * fps))
    return VideoInfo(w, h, fps, n)


def iter_frames(path: str | os.PathLike, frame_ids: Iterable[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame number, (H, W, 3) uint8 RGB)`` one at a time.

    With ``frame_ids`` (ascending), only those frames are yielded, and decoding stops after the
    last one; frames in between are decoded (video is sequential) but not kept.
    """
    import imageio_ffmpeg

    path = Path(path)
    want = None if frame_ids is None else sorted(set(int(i) for i in frame_ids))
    if want is not None and not want:
        return
    try:
        gen = imageio_ffmpeg.read_frames(os.fspath(path), pix_fmt="rgb24")
        meta = next(gen)
    except (RuntimeError, OSError, StopIteration) as e:
        raise PosegraphError(f"{path}: cannot read as a video ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    w, h = meta["size"]
    k = 0
    try:
        for i, buf in enumerate(gen):
            if want is not None:
                if i < want[k]:
                    continue
                k += 1
            yield i, np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
            if want is not None and k >= len(want):
                break
    finally:
        gen.close()


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as ``(H, W, 3)`` uint8 RGB."""
    import imageio.v3 as iio

    try:
        img = np.asarray(iio.imread(os.fspath(path)))
    except Exception as e:  # imageio raises many types
        raise PosegraphError(f"{path}: cannot read as an image ({type(e).__name__})") from None
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


class VideoWriter:
    """Write RGB frames to an MP4 (H.264, yuv420p) or an animated GIF, chosen by the suffix.

    Written to a temporary name beside ``path`` and renamed on :meth:`close` (atomic); use as a
    context manager. Frames must all have the same size; MP4 sizes are padded to even numbers.
    """

    def __init__(self, path: str | os.PathLike, fps: float = 30.0, quality: int | None = 7):
        from ..fileio import atomic_path

        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.quality = quality
        self.kind = "gif" if self.path.suffix.lower() == ".gif" else "mp4"
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._gen = None
        self._gif = None
        self._size = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(np.asarray(frame)[..., :3], dtype=np.uint8)
        h, w = frame.shape[:2]
        if self._size is None:
            self._size = (w, h)
            if self.kind == "mp4":
                import imageio_ffmpeg

                self._gen = imageio_ffmpeg.write_frames(
                    os.fspath(self._tmp), (w + w % 2, h + h % 2), fps=self.fps, codec="libx264",
                    pix_fmt_out="yuv420p", quality=self.quality, macro_block_size=1,
                    output_params=["-f", "mp4"])
                self._gen.send(None)
            else:
                import imageio.v2 as iio2

                self._gif = iio2.get_writer(os.fspath(self._tmp), format="GIF", mode="I",
                                            duration=1.0 / self.fps, loop=0)
        elif (w, h) != self._size:
            raise PosegraphError(f"{self.path}: frame {self.frames} is {w}x{h}, the first was "
                                 f"{self._size[0]}x{self._size[1]}")
        if self.kind == "mp4":
            if w % 2 or h % 2:
                frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            self._gen.send(frame)
        else:
            self._gif.append_data(frame)
        self.frames += 1

    def close(self, ok: bool = True) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        if self._gif is not None:
            self._gif.close()
            self._gif = None
        if ok and self.frames == 0:
            ok = False
        if ok:
            self._ctx.__exit__(None, None, None)
        else:
            try:
                self._ctx.__exit__(PosegraphError, PosegraphError("aborted"), None)
            except Exception:
                pass

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(ok=exc_type is None)
