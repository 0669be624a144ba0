"""``read_motion``: pick the motion reader from the file's extension."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError
from .asf_amc import read_amc
from .bvh import read_bvh
from .expmap import read_expmap
from .motion import Motion

__all__ = ["read_motion"]


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
