"""Exponential-map text files of the motion-forecasting literature (CMU 8-action, Human3.6M).

Each line is one frame of comma-separated values: 3 root-position values, then one
exponential map (axis * angle, radians) per joint, the root's first. Forward kinematics
follows the skeleton table's ``forward_kinematics`` text (row-vector convention)::

    R_root = expmap(r_root);            x_root = offset_root + root_position
    R_i    = expmap(r_i) @ R_parent;    x_i    = offset_i @ R_parent + x_parent

with ``expmap`` Rodrigues' formula, and positions multiplied by ``length_unit_in_metres``.

The skeleton table is a dict (or JSON file) with ``parents``, ``offsets`` (joints x 3),
``length_unit_in_metres`` and ``h36m17_from_joint_index`` (h36m17 joint -> table index).
Bundled tables: ``"cmu"`` (the 8-action CMU set, 38 joints, 117 values a line; the default)
and ``"h36m"`` (the Human3.6M exp-map skeleton, 32 joints, 99 values a line).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ._numeric import numeric_rows
from ..errors import FormatError
from ..skeleton import H36M17
from .asf_amc import MOTION_ENCODING, MOTION_TEXT
from .motion import Motion
from .stature import check_stature
from .rotations import expmap_to_matrix
from .textfile import read_text

__all__ = ["load_expmap_skeleton", "read_expmap", "read_expmap_values", "expmap_forward_kinematics"]

_BUNDLED = {"cmu": "cmu_expmap_skeleton.json", "h36m": "h36m_expmap_skeleton.json"}


def load_expmap_skeleton(skeleton: None | str | os.PathLike | dict = None) -> dict:
    """The exp-map skeleton table: ``None``/``"cmu"`` (bundled CMU table), ``"h36m"``
    (bundled Human3.6M table), a JSON file path, or a dict. Validated."""
    src: str | None = None
    if skeleton is None or (isinstance(skeleton, str) and skeleton in _BUNDLED):
        name = _BUNDLED[skeleton or "cmu"]
        src = name
        d = json.loads(resources.files("posegraph").joinpath("assets", name).read_text())
    elif isinstance(skeleton, dict):
        d = skeleton
        src = "<skeleton dict>"
    else:
        src = os.fspath(skeleton)
        try:
            d = json.loads(Path(src).read_text())
        except (OSError, ValueError) as e:
            raise FormatError(src, f"cannot read skeleton JSON ({e})") from None
    for key in ("parents", "offsets"):
        if key not in d:
            raise FormatError(src, "missing key (expected parents, offsets, h36m17_from_joint_index)", key)
    parents = np.asarray(d["parents"], dtype=int)
    offsets = np.asarray(d["offsets"], dtype=float)
    J = len(parents)
    if offsets.shape != (J, 3):
        raise FormatError(src, f"offsets has shape {offsets.shape} (expected ({J}, 3))", "offsets")
    if parents[0] != -1 or any(not (0 <= p < i) for i, p in enumerate(parents) if i > 0):
        raise FormatError(src, "parents must start with -1 and list each parent before its child", "parents")
    out = dict(d)
    out["parents"], out["offsets"] = parents, offsets
    out.setdefault("length_unit_in_metres", 1.0)
    out["_source"] = src
    return out


def expmap_forward_kinematics(root_position: np.ndarray, expmaps: np.ndarray, skeleton: dict) -> np.ndarray:
    """Joint positions ``(F, J, 3)`` (in the table's length unit) from ``(F, 3)`` root
    positions and ``(F, J, 3)`` exponential maps, following the row-vector convention."""
    parents, offsets = skeleton["parents"], skeleton["offsets"]
    Rloc = expmap_to_matrix(expmaps)  # (F, J, 3, 3)
    F, J = expmaps.shape[:2]
    R = np.empty_like(Rloc)
    x = np.empty((F, J, 3))
    for i in range(J):
        p = parents[i]
        if p < 0:
            R[:, i] = Rloc[:, i]
            x[:, i] = offsets[i] + root_position
        else:
            R[:, i] = Rloc[:, i] @ R[:, p]
            x[:, i] = offsets[i] @ R[:, p] + x[:, p]
    return x


def read_expmap_values(path: str | os.PathLike, num_joints: int, skip_rest: bool = True) -> tuple[Path, np.ndarray]:
    """The numbers of an exp-map text file: ``(path, (frames, 3 + 3 * num_joints) float64)``;
    a line with another count of values, or no frames, is a :class:`FormatError`."""
    p = Path(path)
    lines = read_text(p, MOTION_TEXT, MOTION_ENCODING).splitlines()
    J = num_joints
    nval = 3 + 3 * J
    rows, lns = [], []
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s:
            continue
        v = s.split(",")
        if v[-1].strip() == "":  # tolerate a trailing comma
            v = v[:-1]
        if len(v) != nval:
            raise FormatError(p, f"line has {len(v)} values (expected {nval} = 3 + 3 x {J} joints)", i)
        rows.append(v)
        lns.append(i)
    if skip_rest:
        rows, lns = rows[1:], lns[1:]
    if not rows:
        raise FormatError(p, "no frames" + (" after the rest line" if skip_rest else ""), len(lines))
    a = numeric_rows(p, rows, lns, "comma-separated numbers")
    return p, a


def read_expmap(path: str | os.PathLike, skeleton: None | str | os.PathLike | dict = None,
                fps: float = 120.0, skip_rest: bool = True) -> Motion:
    """Read an exp-map text file.

    Args:
        skeleton: see :func:`load_expmap_skeleton` (default: the bundled CMU table).
        fps: frame rate (the files do not store it; 120 Hz for CMU).
        skip_rest: drop the first line (the rest pose the publishers put before each take).
    """
    sk = load_expmap_skeleton(skeleton)
    J = len(sk["parents"])
    p, a = read_expmap_values(path, J, skip_rest)
    F = a.shape[0]
    x = expmap_forward_kinematics(a[:, :3], a[:, 3:].reshape(F, J, 3), sk) * float(sk["length_unit_in_metres"])
    if not np.isfinite(x).all():
        raise FormatError(p, "forward kinematics gave non-finite positions (values out of range?)", None)
    x = x.astype(np.float32)
    names = tuple(sk.get("joint_names") or (f"joint{i}" for i in range(J)))
    m = sk.get("h36m17_from_joint_index")
    if m is None:
        raise FormatError(sk["_source"], "skeleton table has no h36m17 mapping", "h36m17_from_joint_index")
    try:
        idx = [int(m[j]) for j in H36M17.joints]
    except (KeyError, TypeError, ValueError):
        raise FormatError(sk["_source"], "must map every h36m17 joint to a joint index", "h36m17_from_joint_index") from None
    if any(not 0 <= k < J for k in idx):
        raise FormatError(sk["_source"], f"joint index out of range 0..{J - 1}", "h36m17_from_joint_index")
    return check_stature(Motion(positions=x[:, idx].copy(), fps=float(fps), path=str(p), all_positions=x,
                  all_joint_names=names, meta={"format": "expmap", "skip_rest": skip_rest}))
