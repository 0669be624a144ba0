"""``read_motion``: pick the motion reader from the file's extension; ``read_positions``: the
17 joints' positions of a motion file or a positions npz (what ``posegraph forecast`` reads)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..skeleton import H36M17
from .asf_amc import read_amc
from .bvh import read_bvh
from .expmap import read_expmap
from .motion import Motion

__all__ = ["read_motion", "read_positions"]


def read_motion(path: str | os.PathLike, **kw) -> Motion:
    """Read a motion file into a :class:`Motion` (``h36m17``, metres, +y up).

    * ``.amc``: Acclaim motion; the skeleton is ``asf=`` or else the only ``.asf`` file in the
      same folder (an error if there is none or more than one).
    * ``.bvh``: Biovision hierarchy (keywords of :func:`~posegraph.io.bvh.read_bvh`).
    * ``.txt``: exp-map text (``skeleton=`` defaults to the bundled CMU table; see
      :func:`~posegraph.io.expmap.read_expmap`).

    Every reader checks the units: a measured stature (leg + spine bone lengths, see
    :mod:`posegraph.io.stature`) outside 0.5-3 m gives a
    :class:`~posegraph.errors.PosegraphWarning` naming the file and the value.
    A missing, unreadable or malformed file is a :class:`FormatError`.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".amc":
        asf = kw.pop("asf", None)
        if asf is None:
            cands = sorted(q for q in p.parent.iterdir() if q.suffix.lower() == ".asf") if p.parent.is_dir() else []
            if not cands:
                raise FormatError(p, f"no .asf skeleton in {p.parent} (pass asf=)")
            if len(cands) > 1:
                raise FormatError(p, f"several .asf files in {p.parent}: {', '.join(q.name for q in cands)} (pass asf=)")
            asf = cands[0]
        return read_amc(p, asf, **kw)
    if ext == ".bvh":
        return read_bvh(p, **kw)
    if ext == ".txt":
        return read_expmap(p, **kw)
    raise FormatError(p, f"unknown motion file extension {p.suffix!r} (expected .amc, .bvh or .txt)")


def read_positions(path: str | os.PathLike, skeleton: str | os.PathLike | None = None) -> tuple[np.ndarray, float]:
    """Joint positions ``(T, 17, 3)`` (metres, +y up) and their frame rate from any known input."""
    path = Path(path)
    if not path.exists():
        raise PosegraphError(f"{path}: input not found")
    if path.suffix.lower() == ".npz":
        from .npzfile import float_array, float_scalar, read_npz

        z = read_npz(path, keys=("positions", "fps"))
        if "positions" not in z:
            raise FormatError(path, "missing array (expected positions: frames x 17 x 3, metres)", "positions")
        if "fps" not in z:
            raise FormatError(path, "missing frame rate", "fps")
        pos = float_array(z["positions"], path, "positions", 3, "(frames, 17, 3) positions in metres", limit=1e4)
        if pos.shape[1:] != (17, 3):
            raise FormatError(path, f"shape {pos.shape}, expected (frames, 17, 3)", "positions")
        fps = float_scalar(z["fps"], path, "fps", "a frame rate in [1, 10000] Hz", low=1.0, high=1e4)
        from .stature import check_units

        check_units(pos, H36M17.joints, path, "positions")  # warns on millimetres, as for motion files
        return pos.astype(np.float64), fps
    kw = {"asf": skeleton} if skeleton is not None and path.suffix.lower() == ".amc" else {}
    m = read_motion(path, **kw)
    return np.asarray(m.positions, dtype=np.float64), float(m.fps)
