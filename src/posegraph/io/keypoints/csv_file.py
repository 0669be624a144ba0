"""posegraph's plain CSV keypoints: :func:`read_keypoints_csv`, :func:`write_keypoints_csv`."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ...errors import FormatError
from ...fileio import write_text
from ..textfile import read_text
from .checks import MAX_ABS_VALUE, _missing_to_nan, _resolve_layout, _writer_arrays, _zero_frames_missing
from .container import Keypoints2D

__all__ = ["read_keypoints_csv", "write_keypoints_csv"]

PathLike = str | os.PathLike


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


def _read_csv(path: Path, content, layout, person) -> Keypoints2D:
    """:func:`~posegraph.io.keypoints.read_keypoints`'s reader of ``.csv``."""
    return read_keypoints_csv(path, layout=layout)
