"""BVH (Biovision hierarchy) reader with forward kinematics.

Convention: a joint's rotation channels, in the order listed in ``CHANNELS``, compose as
``L = R_c1 R_c2 R_c3`` (rotations about the moving axes); the joint's global rotation is
``R_j = R_parent L`` and its position ``p_j = p_parent + R_parent (offset_j + t_j)`` where
``t_j`` comes from its position channels (if any). End sites are named ``<parent>_end``.
Angles are degrees.

CMU subject 131 (the "3ds Max friendly" conversion of CMU): a joint's *own* position is the
anatomical joint -- ``LeftHip`` sits at the hip (its offset from the zero-length
``LHipJoint`` is the pelvis-to-hip vector), ``LeftKnee`` at the knee (0.41 m below),
``LeftAnkle`` at the ankle, ``LeftShoulder`` at the shoulder (end of the clavicle),
``LeftElbow``/``LeftWrist`` at the elbow/wrist. Along the spine ``Chest`` is the end of CMU's
``lowerback``, ``Chest2`` the end of ``upperback`` (the file has no thorax bone), ``Neck`` the
end of ``lowerneck`` (base of the neck) and ``Head`` the end of ``upperneck``; the top of the
head is ``Head``'s end site. :data:`BVH_TO_H36M17` therefore takes ``neck`` from ``Head``,
the same point (end of ``upperneck``) that the ASF and exp-map readers use.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._numeric import numeric_rows
from ..errors import FormatError
from ..skeleton import H36M17
from .asf_amc import INCH, MOTION_ENCODING, MOTION_TEXT
from .motion import Motion
from .stature import check_stature
from .rotations import euler_to_matrix
from .textfile import read_text

__all__ = ["BvhJoint", "read_bvh", "BVH_TO_H36M17", "CMU_BVH_SCALE"]

#: CMU's length unit (1/0.45 inch) in metres; the CMU BVH files use it.
CMU_BVH_SCALE = INCH / 0.45

#: h36m17 joint -> BVH joint (the CMU 3ds-Max-friendly skeleton of subject 131).
BVH_TO_H36M17 = {
    "pelvis": "Hips", "r_hip": "RightHip", "r_knee": "RightKnee", "r_ankle": "RightAnkle",
    "l_hip": "LeftHip", "l_knee": "LeftKnee", "l_ankle": "LeftAnkle", "spine": "Chest",
    "thorax": "Chest2", "neck": "Head", "head": "Head_end", "l_shoulder": "LeftShoulder",
    "l_elbow": "LeftElbow", "l_wrist": "LeftWrist", "r_shoulder": "RightShoulder",
    "r_elbow": "RightElbow", "r_wrist": "RightWrist",
}

_CHANNELS = {"xposition", "yposition", "zposition", "xrotation", "yrotation", "zrotation"}


class BvhJoint:
    __slots__ = ("name", "parent", "offset", "channels", "line")

    def __init__(self, name, parent, line):
        self.name, self.parent, self.line = name, parent, line
        self.offset = np.zeros(3)
        self.channels: list[str] = []


def _parse_hierarchy(p, lines):
    toks = []  # (token, line)
    motion_at = None
    for i, raw in enumerate(lines, 1):
        s = raw.split()
        if s and s[0].upper() == "MOTION":
            motion_at = i
            break
        toks.extend((t, i) for t in s)
    if not toks or toks[0][0].upper() != "HIERARCHY":
        raise FormatError(p, "file does not start with HIERARCHY (expected a BVH file)", toks[0][1] if toks else 1)
    if motion_at is None:
        raise FormatError(p, "no MOTION section (expected 'MOTION' after the hierarchy)", len(lines))
    joints: list[BvhJoint] = []
    names = set()
    stack: list[int] = []  # indices of open joints
    k = 1
    n = len(toks)

    def need(count, what):
        if k + count > n:
            raise FormatError(p, f"hierarchy ends early (expected {what})", toks[-1][1])

    pending = None  # joint awaiting '{'
    while k < n:
        t, ln = toks[k]
        u = t.upper()
        if u in ("ROOT", "JOINT"):
            if (u == "ROOT") != (not stack):
                raise FormatError(p, f"{t} in the wrong place (expected one ROOT enclosing JOINTs)", ln)
            need(2, "a joint name and '{'")
            name = toks[k + 1][0]
            if name in names:
                raise FormatError(p, f"joint name {name!r} used twice", ln)
            names.add(name)
            pending = BvhJoint(name, stack[-1] if stack else -1, ln)
            k += 2
        elif u == "END":
            if not stack:
                raise FormatError(p, "End Site outside a joint", ln)
            need(2, "'Site' and '{'")
            parent = joints[stack[-1]]
            name = parent.name + "_end"
            pending = BvhJoint(name, stack[-1], ln)
            names.add(name)
            k += 2
        elif t == "{":
            if pending is None:
                raise FormatError(p, "'{' without a ROOT/JOINT/End Site", ln)
            joints.append(pending)
            stack.append(len(joints) - 1)
            pending = None
            k += 1
        elif t == "}":
            if not stack:
                raise FormatError(p, "unbalanced '}'", ln)
            stack.pop()
            k += 1
            if not stack and k < n:
                raise FormatError(p, f"unexpected {toks[k][0]!r} after the root's closing brace (one ROOT supported)", toks[k][1])
        elif u == "OFFSET":
            if not stack:
                raise FormatError(p, "OFFSET outside a joint", ln)
            need(4, "3 OFFSET values")
            vals = [x for x, _ in toks[k + 1:k + 4]]
            try:
                off = np.array([float(v) for v in vals])
            except ValueError:
                raise FormatError(p, f"non-numeric OFFSET {' '.join(vals)!r} (expected 3 numbers)", ln) from None
            if not np.isfinite(off).all():
                raise FormatError(p, "non-finite OFFSET (expected 3 finite numbers)", ln)
            joints[stack[-1]].offset = off
            k += 4
        elif u == "CHANNELS":
            if not stack:
                raise FormatError(p, "CHANNELS outside a joint", ln)
            need(2, "a channel count")
            try:
                c = int(toks[k + 1][0])
            except ValueError:
                raise FormatError(p, f"channel count {toks[k + 1][0]!r} is not an integer", ln) from None
            if c < 0 or c > 6:
                raise FormatError(p, f"channel count {c} out of range (expected 0-6)", ln)
            need(2 + c, f"{c} channel names")
            chans = [x for x, _ in toks[k + 2:k + 2 + c]]
            for ch in chans:
                if ch.lower() not in _CHANNELS:
                    raise FormatError(p, f"unknown channel {ch!r} (expected X/Y/Z position/rotation)", ln)
            joints[stack[-1]].channels = chans
            k += 2 + c
        else:
            raise FormatError(p, f"unexpected {t!r} in the hierarchy", ln)
    if stack or pending is not None:
        raise FormatError(p, "hierarchy ends with unclosed braces (expected '}')", motion_at)
    if not joints:
        raise FormatError(p, "no ROOT joint in the hierarchy", motion_at)
    return joints, motion_at


def _parse_motion(p, lines, start, nch):
    i = start  # 0-based index of the line after MOTION
    header = {}
    for key in ("frames:", "frame time:"):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines):
            raise FormatError(p, f"missing '{key.title()}' line after MOTION", len(lines))
        s = lines[i].strip()
        if not s.lower().startswith(key):
            raise FormatError(p, f"expected '{key.title()}' line, got {s[:40]!r}", i + 1)
        header[key] = (s[len(key):].strip(), i + 1)
        i += 1
    try:
        nframes = int(header["frames:"][0])
        if nframes < 0:
            raise ValueError
    except ValueError:
        raise FormatError(p, f"'Frames:' needs a non-negative integer, got {header['frames:'][0]!r}", header["frames:"][1]) from None
    try:
        ft = float(header["frame time:"][0])
        if not (np.isfinite(ft) and ft > 0):
            raise ValueError
    except ValueError:
        raise FormatError(p, f"'Frame Time:' needs a positive number, got {header['frame time:'][0]!r}", header["frame time:"][1]) from None
    data, dlines = [], []
    for j in range(i, len(lines)):
        s = lines[j].split()
        if not s:
            continue
        if len(s) != nch:
            raise FormatError(p, f"frame has {len(s)} values (expected {nch}, one per channel)", j + 1)
        data.append(s)
        dlines.append(j + 1)
    if len(data) != nframes:
        raise FormatError(p, f"{len(data)} frame lines but 'Frames: {nframes}'", dlines[-1] if dlines else len(lines))
    if nframes == 0:
        raise FormatError(p, "no frames (expected at least one)", header["frames:"][1])
    arr = numeric_rows(p, data, dlines, "numbers").reshape(nframes, nch)
    return arr, ft


HEADER_BYTES = 4096
"""Bytes read to check that a file starts with ``HIERARCHY`` before the whole file is read."""


def _check_header(path) -> None:
    """Refuse a file whose first word is not ``HIERARCHY`` from its first :data:`HEADER_BYTES`
    bytes: garbage is rejected at once, however large (a file of only blank space up to there
    is left to the full parse)."""
    p = Path(path)
    if not p.is_file():
        return  # read_text says what is wrong
    try:
        with open(p, "rb") as f:
            head = f.read(HEADER_BYTES)
    except OSError:
        return
    text = head.decode("latin-1")
    words = text.split(None, 1)
    complete = len(words) > 1 or len(head) < HEADER_BYTES  # the first word is not cut off
    if words and complete and words[0].upper() != "HIERARCHY":
        line = len((text[:text.index(words[0])] + "x").splitlines())  # the first word's line (any line ending)
        raise FormatError(p, "file does not start with HIERARCHY (expected a BVH file)", line)


def read_bvh(path: str | os.PathLike, scale: float = CMU_BVH_SCALE, mapping: dict | None = None,
             fps: float | None = None) -> Motion:
    """Read a BVH file and run forward kinematics.

    Args:
        scale: file length unit in metres (default: CMU's 1/0.45 inch).
        mapping: h36m17 joint -> BVH joint name (default :data:`BVH_TO_H36M17`); end sites
            are named ``<joint>_end``.
        fps: override the frame rate (default ``1 / Frame Time`` rounded to 0.01 Hz, so
            ``Frame Time: .0083333`` gives 120).
    """
    _check_header(path)
    p = Path(path)
    lines = read_text(p, MOTION_TEXT, MOTION_ENCODING).splitlines()
    joints, motion_at = _parse_hierarchy(p, lines)
    nch = sum(len(j.channels) for j in joints)
    data, ft = _parse_motion(p, lines, motion_at, nch)
    F = data.shape[0]
    pos, rot = [], []
    c = 0
    for j in joints:
        t = np.zeros((F, 3))
        rcols, raxes = [], []
        for ch in j.channels:
            a = ch[0].upper()
            if ch.lower().endswith("position"):
                t[:, "XYZ".index(a)] = data[:, c]
            else:
                rcols.append(c)
                raxes.append(a)
            c += 1
        L = euler_to_matrix(data[:, rcols], raxes, degrees=True) if rcols else None
        if j.parent < 0:
            R = L if L is not None else np.broadcast_to(np.eye(3), (F, 3, 3))
            x = j.offset + t
        else:
            Rp = rot[j.parent]
            x = pos[j.parent] + np.einsum("fij,fj->fi", np.broadcast_to(Rp, (F, 3, 3)), j.offset + t)
            R = Rp @ L if L is not None else Rp
        pos.append(x)
        rot.append(R)
    names = tuple(j.name for j in joints)
    allpos = np.stack(pos, axis=1) * scale
    if not np.isfinite(allpos).all():
        raise FormatError(p, "forward kinematics gave non-finite positions (values out of range?)", None)
    allpos = allpos.astype(np.float32)
    mp = mapping or BVH_TO_H36M17
    idx = []
    for jn in H36M17.joints:
        if mp.get(jn) not in names:
            raise FormatError(p, f"no joint {mp.get(jn)!r} for h36m17 joint {jn!r} (pass mapping=)", "HIERARCHY")
        idx.append(names.index(mp[jn]))
    return check_stature(Motion(positions=allpos[:, idx].copy(), fps=float(fps) if fps else round(1.0 / ft, 2), path=str(p),
                  all_positions=allpos, all_joint_names=names, meta={"format": "bvh", "frame_time": ft}))
