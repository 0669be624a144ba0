"""Acclaim ASF (skeleton) / AMC (motion) reader with full forward kinematics.

Conventions (Acclaim, as used by the CMU and HDM05 databases):

* ``:units length L`` -- one file unit is ``1/L`` inch, so metres = value * 0.0254 / L.
  ``angle deg|rad`` gives the angle unit.
* A bone's ``axis a b c ORDER`` defines its local frame ``C`` (fixed-axis Euler angles, the
  first letter applied first: ``XYZ`` -> ``C = Rz(c) Ry(b) Rx(a)``); the AMC values of its
  ``dof`` (e.g. ``rx ry rz``, any subset/order) give the motion rotation ``M`` composed the
  same way in dof order.
* The bone's rotation in the world is ``L = C M C^-1``; globally ``R_b = R_parent L`` and the
  bone's far end is ``p_b = p_parent + R_b (direction * length)`` (direction is in the world
  frame of the rest pose). The root: ``R_root = C_root M_root C_root^-1`` with ``C_root`` from
  ``orientation``/``axis`` and ``M_root`` from the AMC root rotation values in ``order``.

A bone's position is its far end: ``lfemur`` ends at the knee, ``ltibia`` at the ankle, etc.
The world frame of CMU and HDM05 files is already +y up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..skeleton import H36M17
from .motion import Motion
from .stature import check_stature
from .rotations import euler_to_matrix, parse_axis_order
from .textfile import read_text

__all__ = ["AsfBone", "AsfSkeleton", "read_asf", "read_amc", "ASF_TO_H36M17"]

INCH = 0.0254

MOTION_TEXT = "motion data"
"""What the motion text files (ASF/AMC, BVH, exp-map) hold, as the error for an empty one says."""
MOTION_ENCODING = "latin-1"
"""Their text encoding: Latin-1 never fails to decode, and their keywords and numbers are ASCII."""

#: h36m17 joint -> ASF bone whose far end it is (``root`` is the root position).
ASF_TO_H36M17 = {
    "pelvis": "root", "r_hip": "rhipjoint", "r_knee": "rfemur", "r_ankle": "rtibia",
    "l_hip": "lhipjoint", "l_knee": "lfemur", "l_ankle": "ltibia", "spine": "upperback",
    "thorax": "thorax", "neck": "upperneck", "head": "head", "l_shoulder": "lclavicle",
    "l_elbow": "lhumerus", "l_wrist": "lradius", "r_shoulder": "rclavicle",
    "r_elbow": "rhumerus", "r_wrist": "rradius",
}


def _floats(path, tokens, lineno, what):
    try:
        vals = [float(t) for t in tokens]
    except ValueError:
        raise FormatError(path, f"non-numeric value in {what}: {' '.join(tokens)!r} (expected numbers)", lineno) from None
    if not all(np.isfinite(vals)):
        raise FormatError(path, f"non-finite value in {what}: {' '.join(tokens)!r} (expected finite numbers)", lineno)
    return vals


@dataclass
class AsfBone:
    name: str
    direction: np.ndarray  # unit vector, world rest frame
    length: float  # metres
    axis: np.ndarray  # 3 angles, radians
    axis_order: str  # e.g. "XYZ"
    dof: tuple[str, ...] = ()  # e.g. ("rx", "ry", "rz")
    parent: str = "root"

    @property
    def C(self) -> np.ndarray:
        return euler_to_matrix(self.axis, self.axis_order, intrinsic=False)


@dataclass
class AsfSkeleton:
    """A parsed ASF file. Lengths in metres, angles in radians."""

    path: str
    bones: dict[str, AsfBone]  # in topological order (parents first)
    root_order: tuple[str, ...]  # e.g. ("TX", "TY", "TZ", "RX", "RY", "RZ")
    root_axis: str
    root_position: np.ndarray  # metres
    root_orientation: np.ndarray  # radians
    length_scale: float  # file units -> metres
    degrees: bool
    meta: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return ("root",) + tuple(self.bones)


def read_asf(path: str | os.PathLike) -> AsfSkeleton:
    """Parse an Acclaim ASF skeleton file."""
    p = Path(path)
    lines = read_text(p, MOTION_TEXT, MOTION_ENCODING).splitlines()
    section = None
    length_unit = 1.0
    degrees = True
    root = {}
    bones: dict[str, dict] = {}
    cur: dict | None = None
    children: dict[str, list[str]] = {}
    in_begin = False
    for i, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tok = line.split()
        if tok[0].startswith(":"):
            section = tok[0][1:].lower()
            in_begin = False
            if len(tok) > 1 and section == "units":
                tok = tok[1:]
            else:
                continue
        key = tok[0].lower()
        if section == "units":
            if key == "length":
                if len(tok) < 2:
                    raise FormatError(p, "':units length' needs a value", i)
                length_unit = _floats(p, tok[1:2], i, "units length")[0]
                if length_unit <= 0:
                    raise FormatError(p, f"':units length' must be positive, got {tok[1]}", i)
            elif key == "angle":
                if len(tok) < 2 or tok[1].lower() not in ("deg", "rad"):
                    raise FormatError(p, "':units angle' must be 'deg' or 'rad'", i)
                degrees = tok[1].lower() == "deg"
        elif section == "root":
            if key == "order":
                root["order"] = tuple(t.upper() for t in tok[1:])
            elif key == "axis":
                if len(tok) != 2:
                    raise FormatError(p, "root 'axis' needs one order such as XYZ", i)
                root["axis"] = tok[1].upper()
            elif key in ("position", "orientation"):
                if len(tok) != 4:
                    raise FormatError(p, f"root {key!r} needs 3 values, got {len(tok) - 1}", i)
                root[key] = _floats(p, tok[1:], i, f"root {key}")
        elif section == "bonedata":
            if key == "begin":
                if cur is not None:
                    raise FormatError(p, "'begin' inside a bone block (expected 'end' first)", i)
                cur = {"line": i}
            elif key == "end":
                if cur is None:
                    raise FormatError(p, "'end' without 'begin'", i)
                for req in ("name", "direction", "length"):
                    if req not in cur:
                        raise FormatError(p, f"bone block starting on line {cur['line']} has no {req!r}", i)
                if cur["name"] in bones or cur["name"] == "root":
                    raise FormatError(p, f"bone {cur['name']!r} defined twice", i)
                bones[cur["name"]] = cur
                cur = None
            elif cur is None:
                raise FormatError(p, f"unexpected {tok[0]!r} outside a bone block (expected 'begin')", i)
            elif key == "name":
                if len(tok) != 2:
                    raise FormatError(p, "bone 'name' needs one word", i)
                cur["name"] = tok[1]
            elif key == "direction":
                if len(tok) != 4:
                    raise FormatError(p, f"bone 'direction' needs 3 values, got {len(tok) - 1}", i)
                cur["direction"] = _floats(p, tok[1:], i, "direction")
            elif key == "length":
                if len(tok) != 2:
                    raise FormatError(p, "bone 'length' needs one value", i)
                cur["length"] = _floats(p, tok[1:], i, "length")[0]
            elif key == "axis":
                if len(tok) != 5:
                    raise FormatError(p, "bone 'axis' needs 3 angles and an order such as XYZ", i)
                cur["axis"] = _floats(p, tok[1:4], i, "axis")
                cur["axis_order"] = tok[4].upper()
                try:
                    if len(parse_axis_order(cur["axis_order"])) != 3:
                        raise ValueError
                except ValueError:
                    raise FormatError(p, f"bad axis order {tok[4]!r} (expected e.g. XYZ)", i) from None
            elif key == "dof":
                dof = tuple(t.lower() for t in tok[1:])
                for d in dof:
                    if d not in ("rx", "ry", "rz", "tx", "ty", "tz", "l"):
                        raise FormatError(p, f"unknown dof {d!r} (expected rx ry rz tx ty tz l)", i)
                cur["dof"] = dof
            # id, limits, bodymass, cofmass: ignored
        elif section == "hierarchy":
            if key == "begin":
                in_begin = True
            elif key == "end":
                in_begin = False
            elif in_begin:
                children.setdefault(tok[0], []).extend(tok[1:])
    if cur is not None:
        raise FormatError(p, f"bone block starting on line {cur['line']} has no 'end'", len(lines))
    if not bones:
        raise FormatError(p, "no ':bonedata' bones found (expected an ASF skeleton)", None)
    scale = INCH / length_unit
    ang = np.deg2rad if degrees else (lambda x: np.asarray(x, float))
    # hierarchy -> topological order
    parent_of: dict[str, str] = {}
    order: list[str] = []
    queue = ["root"]
    seen = {"root"}
    while queue:
        b = queue.pop(0)
        for c in children.get(b, []):
            if c not in bones:
                raise FormatError(p, f"hierarchy names unknown bone {c!r}", ":hierarchy")
            if c in seen:
                raise FormatError(p, f"bone {c!r} appears twice in the hierarchy", ":hierarchy")
            seen.add(c)
            parent_of[c] = b
            order.append(c)
            queue.append(c)
    for b in children:
        if b != "root" and b not in bones:
            raise FormatError(p, f"hierarchy names unknown bone {b!r}", ":hierarchy")
    missing = [b for b in bones if b not in seen]
    if missing:
        raise FormatError(p, f"bones not reachable from root in ':hierarchy': {', '.join(missing)}", ":hierarchy")
    out: dict[str, AsfBone] = {}
    for name in order:
        d = bones[name]
        direction = np.asarray(d["direction"], float)
        n = np.linalg.norm(direction)
        direction = direction / n if n > 0 else direction
        for dd in d.get("dof", ()):
            if dd not in ("rx", "ry", "rz"):
                raise FormatError(p, f"bone {name!r}: dof {dd!r} is not supported (only rotations)", d["line"])
        out[name] = AsfBone(name, direction, float(d["length"]) * scale,
                            ang(np.asarray(d.get("axis", [0.0, 0.0, 0.0]), float)),
                            d.get("axis_order", "XYZ"), d.get("dof", ()), parent_of[name])
    rorder = root.get("order", ("TX", "TY", "TZ", "RX", "RY", "RZ"))
    for t in rorder:
        if t not in ("TX", "TY", "TZ", "RX", "RY", "RZ"):
            raise FormatError(p, f"unknown root order entry {t!r} (expected TX TY TZ RX RY RZ)", ":root")
    raxis = root.get("axis", "XYZ")
    try:
        if len(parse_axis_order(raxis)) != 3:
            raise ValueError
    except ValueError:
        raise FormatError(p, f"bad root axis {raxis!r} (expected e.g. XYZ)", ":root") from None
    return AsfSkeleton(str(p), out, tuple(rorder), raxis,
                       np.asarray(root.get("position", [0, 0, 0]), float) * scale,
                       ang(np.asarray(root.get("orientation", [0, 0, 0]), float)), scale, degrees)


def _parse_amc(p: Path, lines: list[str], asf: AsfSkeleton):
    ndof = {"root": len(asf.root_order)}
    ndof.update({n: len(b.dof) for n, b in asf.bones.items() if b.dof})
    rows: dict[str, list] = {n: [] for n in ndof}
    rowlines: dict[str, list] = {n: [] for n in ndof}
    degrees = asf.degrees
    frame_line = None
    seen: set[str] = set()
    nframes = 0

    def close(at):
        if frame_line is not None and len(seen) != len(ndof):
            miss = [n for n in ndof if n not in seen]
            raise FormatError(p, f"frame starting on line {frame_line} has no line for bone(s) "
                                 f"{', '.join(miss)} (expected one line per bone with dofs)", at)

    for i, raw in enumerate(lines, 1):
        s = raw.split()
        if not s:
            continue
        first = s[0]
        if first[0] in "#:":
            if frame_line is not None and first[0] == ":":
                raise FormatError(p, f"header keyword {first!r} after the first frame", i)
            up = first.upper()
            if up == ":DEGREES":
                degrees = True
            elif up == ":RADIANS":
                degrees = False
            continue
        if len(s) == 1 and first.isdigit():
            close(i)
            frame_line = i
            seen = set()
            nframes += 1
            continue
        if frame_line is None:
            raise FormatError(p, f"unexpected {first!r} before the first frame number", i)
        if first not in ndof:
            if first in asf.bones:
                raise FormatError(p, f"bone {first!r} has no dof in the ASF but has values here", i)
            raise FormatError(p, f"unknown bone {first!r} (not in the ASF {os.path.basename(asf.path)})", i)
        if first in seen:
            raise FormatError(p, f"bone {first!r} appears twice in the frame starting on line {frame_line}", i)
        if len(s) - 1 != ndof[first]:
            raise FormatError(p, f"bone {first!r} has {len(s) - 1} values (expected {ndof[first]})", i)
        seen.add(first)
        rows[first].append(s[1:])
        rowlines[first].append(i)
    close(len(lines))
    if nframes == 0:
        raise FormatError(p, "no frames found (expected a frame number line followed by bone lines)", len(lines))
    arrays = {}
    for n, r in rows.items():
        try:
            a = np.array(r, dtype=np.float64).reshape(nframes, ndof[n])
        except ValueError:
            for vals, ln in zip(r, rowlines[n]):
                _floats(p, vals, ln, f"bone {n!r}")
            raise FormatError(p, f"bad values for bone {n!r}", rowlines[n][0]) from None
        bad = ~np.isfinite(a).all(1)
        if bad.any():
            ln = rowlines[n][int(np.argmax(bad))]
            raise FormatError(p, f"non-finite value for bone {n!r} (expected finite numbers)", ln)
        arrays[n] = a
    return arrays, nframes, degrees


def read_amc(path: str | os.PathLike, asf: str | os.PathLike | AsfSkeleton, fps: float = 120.0) -> Motion:
    """Read an AMC motion with its ASF skeleton and run forward kinematics.

    Returns a :class:`Motion` with ``h36m17`` positions (metres, +y up) and, in
    ``all_positions``, the root and every bone's far end (names ``("root", *bones)``).
    """
    if not isinstance(asf, AsfSkeleton):
        asf = read_asf(asf)
    p = Path(path)
    lines = read_text(p, MOTION_TEXT, MOTION_ENCODING).splitlines()
    vals, F, degrees = _parse_amc(p, lines, asf)
    to_rad = np.deg2rad if degrees else (lambda x: x)
    # root
    rv = vals["root"]
    trans = np.zeros((F, 3))
    rot_cols, rot_axes = [], []
    for k, ch in enumerate(asf.root_order):
        if ch[0] == "T":
            trans[:, "XYZ".index(ch[1])] = rv[:, k] * asf.length_scale
        else:
            rot_cols.append(k)
            rot_axes.append(ch[1])
    Croot = euler_to_matrix(asf.root_orientation, asf.root_axis, intrinsic=False)
    if rot_cols:
        M = euler_to_matrix(to_rad(rv[:, rot_cols]), rot_axes, intrinsic=False)
        Rroot = Croot @ M @ Croot.T
    else:
        Rroot = np.broadcast_to(np.eye(3), (F, 3, 3))
    pos = {"root": asf.root_position + trans}
    rot = {"root": Rroot}
    for name, b in asf.bones.items():
        Rp = rot[b.parent]
        if b.dof:
            C = b.C
            M = euler_to_matrix(to_rad(vals[name]), b.dof, intrinsic=False)
            R = Rp @ (C @ M @ C.T)
        else:
            R = Rp
        rot[name] = R
        pos[name] = pos[b.parent] + R @ (b.direction * b.length)
    names = asf.names
    allpos = np.stack([np.broadcast_to(pos[n], (F, 3)) for n in names], axis=1)
    if not np.isfinite(allpos).all():
        raise FormatError(p, "forward kinematics gave non-finite positions (values out of range?)", None)
    idx = []
    for j in H36M17.joints:
        bn = ASF_TO_H36M17[j]
        if bn not in pos:
            raise FormatError(asf.path, f"skeleton has no bone {bn!r} (needed for h36m17 joint {j!r})", ":bonedata")
        idx.append(names.index(bn))
    allpos = allpos.astype(np.float32)
    return check_stature(Motion(positions=allpos[:, idx].copy(), fps=float(fps), path=str(p),
                  all_positions=allpos, all_joint_names=names,
                  meta={"format": "amc", "asf": asf.path}))
