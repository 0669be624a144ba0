"""A units sanity check for motion readers: warn when the body's size is not human in metres.

The measured *stature* is the length of the chain ankle -> knee -> hip (mean of the left and
right legs) plus pelvis -> spine -> thorax -> neck -> head, each a sum of bone lengths,
median over the first :data:`FRAMES` frames. Bone lengths do not change with the pose, so a
crouching, sitting or lying subject measures the same as a standing one (a head-top minus
ankle height would not). It slightly under-reads the true stature (no foot height, no
pelvis-to-hip offset): about 1.6 m for a 1.75 m adult. Outside ``[0.5, 3]`` m the file is
probably in other units (centimetres, inches, millimetres), and a
:class:`~posegraph.errors.PosegraphWarning` names the file and the value (and, for millimetres
or centimetres, says so). :func:`check_units` is the same check for any 3D input (npz positions
given to ``posegraph forecast``, ``p3d``/``past``/``future`` of a flat benchmark file).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import PosegraphWarning

FRAMES = 100
LOW, HIGH = 0.5, 3.0
_LEGS = (("r_ankle", "r_knee", "r_hip"), ("l_ankle", "l_knee", "l_hip"))
_SPINE = ("pelvis", "spine", "thorax", "neck", "head")

__all__ = ["measure_stature", "check_stature", "check_units", "LOW", "HIGH"]


def _chain(pos: np.ndarray, names: tuple[str, ...], joints: tuple[str, ...]) -> np.ndarray:
    idx = [joints.index(n) for n in names]
    p = pos[:, idx].astype(np.float64)
    return np.linalg.norm(np.diff(p, axis=1), axis=-1).sum(1)


def measure_stature(positions: np.ndarray, joints: tuple[str, ...]) -> float | None:
    """The stature estimate described in the module docstring, in the units of ``positions``
    (None when a joint it needs is absent or no frame is finite)."""
    if not all(n in joints for n in _SPINE + _LEGS[0] + _LEGS[1]):
        return None
    pos = np.asarray(positions)[:FRAMES]
    if pos.ndim != 3 or len(pos) == 0:
        return None
    legs = (_chain(pos, _LEGS[0], joints) + _chain(pos, _LEGS[1], joints)) / 2
    h = legs + _chain(pos, _SPINE, joints)
    h = h[np.isfinite(h)]
    return float(np.median(h)) if h.size else None


def _units_hint(h: float) -> str:
    """What a stature of ``h`` "metres" suggests the units are."""
    for unit, per_metre in (("millimetres", 1000.0), ("centimetres", 100.0)):
        if LOW <= h / per_metre <= HIGH:
            return f"; the values look like {unit} (divide by {per_metre:g})"
    return ""


def check_units(positions: np.ndarray, joints: tuple[str, ...], path, what: str = "", stacklevel: int = 3) -> float | None:
    """Warn (:class:`PosegraphWarning`) if the stature of ``positions`` (``(frames or samples,
    J, 3)`` of ``joints``) is outside 0.5-3 m, naming ``path`` (and the array ``what``) and, for
    millimetres or centimetres, the units the values look like. Returns the stature (None when
    it cannot be measured). The check of every 3D input: motion files, npz positions, flat
    benchmark files."""
    h = measure_stature(positions, tuple(joints))
    if h is not None and not LOW <= h <= HIGH:
        where = f"{path}[{what}]" if what else f"{path}"
        warnings.warn(f"{where}: measured stature {h:.3g} m (legs + spine bone lengths) is outside "
                      f"{LOW:g}-{HIGH:g} m; are the units right (metres expected)?{_units_hint(h)}",
                      PosegraphWarning, stacklevel=stacklevel)
    return h


def check_stature(motion, stacklevel: int = 3):
    """Warn (:class:`PosegraphWarning`) if ``motion``'s stature is outside 0.5-3 m; return it."""
    check_units(motion.positions, tuple(motion.skeleton.joints), motion.path, stacklevel=stacklevel + 1)
    return motion
