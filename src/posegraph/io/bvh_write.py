"""BVH writer: joint positions -> a hierarchy with the person's bone lengths and per-frame rotations.

:func:`write_bvh` turns positions ``(T, J, 3)`` of a kinematic tree (metres, Y up) into a
BVH file that :func:`posegraph.io.bvh.read_bvh` (with ``scale=1``) and Blender read back to the
same positions:

* **Rest pose** (the hierarchy's offsets): a T-pose facing +Z with the person's left on +X
  (legs down, spine and head up, arms out to the sides), every bone as long as its median
  length over the frames. A joint whose name the T-pose does not know gets the direction of its
  bone's median in the data.
* **Channels**: the root has ``Xposition Yposition Zposition Zrotation Xrotation Yrotation``,
  every other joint ``Zrotation Xrotation Yrotation`` (degrees; ``L = Rz Rx Ry`` about the
  moving axes, the reader's convention). Units: metres.
* **Rotations solved from positions**: a joint with one child turns its rest bone direction onto
  the observed one by the *smallest* rotation relative to its parent's frame (swing only: the
  twist about the bone is chosen as none, i.e. the bone's roll follows its parent's frame; a
  position-only input says nothing about roll). A joint with several children (pelvis: hips and
  spine; thorax: neck/head and shoulders) takes the rotation that best maps its rest child
  vectors onto the observed ones (orthogonal Procrustes/Kabsch), which gives the body's
  orientation and twist; then, so that every child lands exactly where it was observed, each
  child hangs from a zero-length helper joint ``<parent>_<child>`` (as CMU's ``LHipJoint``)
  carrying the small remaining swing.
* **Root translation**: the root's positions as given.

Forward kinematics of the written file reproduces the input positions exactly (to the printed
precision, 1e-6 m and 1e-6 degrees) when every bone keeps one length over the frames, as after
:mod:`posegraph.temporal`'s bone-length step.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import PosegraphError, ShapeError

__all__ = ["write_bvh", "write_lift_bvh", "camera_to_bvh", "bvh_mapping", "REST_DIRECTIONS"]

_LEFT, _RIGHT, _UP, _DOWN = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, -1.0, 0.0)
REST_DIRECTIONS = {
    "r_hip": _RIGHT, "l_hip": _LEFT, "r_knee": _DOWN, "l_knee": _DOWN, "r_ankle": _DOWN, "l_ankle": _DOWN,
    "spine": _UP, "thorax": _UP, "neck": _UP, "head": _UP,
    "l_shoulder": _LEFT, "l_elbow": _LEFT, "l_wrist": _LEFT,
    "r_shoulder": _RIGHT, "r_elbow": _RIGHT, "r_wrist": _RIGHT,
}
"""Rest (T-pose) direction of the bone that ends at each joint, BVH axes (Y up, facing +Z, left +X)."""


def camera_to_bvh(x: np.ndarray) -> np.ndarray:
    """Camera coordinates (x right, y down, z forward) -> Y up, Z towards the camera: ``(x, -y, -z)``
    (a proper rotation: 180 degrees about x). The camera sits at the origin looking down -Z."""
    x = np.asarray(x, dtype=np.float64)
    return x * np.array([1.0, -1.0, -1.0])


def _min_rotation(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Smallest rotations ``(..., 3, 3)`` taking unit vectors ``u`` onto unit vectors ``v``."""
    u, v = np.broadcast_arrays(np.asarray(u, np.float64), np.asarray(v, np.float64))
    k = np.cross(u, v)
    c = np.einsum("...i,...i->...", u, v)
    s2 = np.einsum("...i,...i->...", k, k)
    K = np.zeros(k.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    K[..., 1, 0], K[..., 2, 0], K[..., 2, 1] = k[..., 2], -k[..., 1], k[..., 0]
    small = s2 < 1e-18
    f = np.where(small, 0.5, (1.0 - c) / np.where(small, 1.0, s2))
    R = np.eye(3) + K + (K @ K) * f[..., None, None]
    opp = small & (c < 0)
    if np.any(opp):  # antiparallel: half a turn about an axis perpendicular to u
        uu = u[opp]
        a = np.where(np.abs(uu[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
        n = np.cross(uu, a)
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        R[opp] = 2 * n[:, :, None] * n[:, None, :] - np.eye(3)
    return R


def _kabsch(rest: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Rotations ``(T, 3, 3)`` best mapping rest vectors ``(C, 3)`` onto observed ``(T, C, 3)``."""
    Hm = np.einsum("ci,tcj->tij", rest, obs)
    U, _, Vt = np.linalg.svd(Hm)
    d = np.sign(np.linalg.det(np.swapaxes(Vt, 1, 2) @ np.swapaxes(U, 1, 2)))
    D = np.zeros_like(Hm)
    D[:, 0, 0] = D[:, 1, 1] = 1.0
    D[:, 2, 2] = np.where(d == 0, 1.0, d)
    return np.swapaxes(Vt, 1, 2) @ D @ np.swapaxes(U, 1, 2)


def _euler_zxy(R: np.ndarray) -> np.ndarray:
    """Degrees ``(T, 3)`` (z, x, y) with ``R = Rz(a) Rx(b) Ry(c)``; unwrapped over time."""
    b = np.arcsin(np.clip(R[:, 2, 1], -1.0, 1.0))
    a = np.arctan2(-R[:, 0, 1], R[:, 1, 1])
    c = np.arctan2(-R[:, 2, 0], R[:, 2, 2])
    return np.degrees(np.unwrap(np.stack([a, b, c], axis=1), axis=0))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n < 1e-12, 1.0, n)


def write_bvh(path: str | os.PathLike, positions: np.ndarray, parents, names, fps: float,
              overwrite: bool = False) -> Path:
    """Write positions ``(T, J, 3)`` (metres, Y up) of the tree ``parents``/``names`` as BVH.

    See the module docstring for the hierarchy, the channels and how rotations (and twist) are
    chosen. Written atomically; an existing ``path`` is refused unless ``overwrite``.
    """
    from ..fileio import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise PosegraphError(f"{path}: exists (pass --overwrite to replace it)")
    P = np.asarray(positions, dtype=np.float64)
    parents = [int(p) for p in parents]
    names = [str(n) for n in names]
    if P.ndim != 3 or P.shape[1:] != (len(parents), 3) or len(P) == 0:
        raise ShapeError(f"positions must be (frames, {len(parents)}, 3), got shape {P.shape}")
    if not np.isfinite(P).all():
        raise ShapeError("positions must be finite in every frame (bridge gaps before writing BVH)")
    if not (np.isfinite(fps) and fps > 0):
        raise PosegraphError(f"frame rate must be > 0, not {fps!r}")
    J, T = len(parents), len(P)
    root = parents.index(-1)
    children = {j: [c for c in range(J) if parents[c] == j] for j in range(J)}
    lengths = np.zeros(J)
    rest = np.zeros((J, 3))
    for c in range(J):
        if parents[c] >= 0:
            bone = P[:, c] - P[:, parents[c]]
            lengths[c] = float(np.median(np.linalg.norm(bone, axis=-1)))
            d = REST_DIRECTIONS.get(names[c])
            rest[c] = _unit(np.asarray(d if d is not None else np.median(_unit(bone), axis=0), np.float64))
            if not np.linalg.norm(rest[c]) > 0:
                rest[c] = _UP

    # nodes: (name, parent node, offset, channels); rotations per node (T, 3, 3) local
    nodes: list[tuple[str, int, np.ndarray, bool]] = []
    local: list[np.ndarray] = []
    glob: dict[int, np.ndarray] = {}  # joint -> global rotation of the node its children hang from
    node_of: dict[int, int] = {}
    eye = np.broadcast_to(np.eye(3), (T, 3, 3))

    def obs_dir(j, c):
        return _unit(P[:, c] - P[:, j])

    def add(name, pnode, offset, Lrot):
        nodes.append((name, pnode, offset, pnode < 0))
        local.append(Lrot)
        return len(nodes) - 1

    order = []
    stack = [root]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(children[j]))
    hang: dict[int, tuple[int, np.ndarray]] = {}  # child joint -> (parent node, that node's global rotation)
    for j in order:
        pnode, Gp = hang.get(j, (-1, eye))
        offset = np.zeros(3) if parents[j] < 0 else rest[j] * lengths[j]
        ch = children[j]
        if len(ch) == 1:
            c = ch[0]
            Lr = _min_rotation(rest[c], np.einsum("tji,tj->ti", Gp, obs_dir(j, c)))
            n = add(names[j], pnode, offset, Lr)
            G = Gp @ Lr
            hang[c] = (n, G)
        elif len(ch) > 1:
            G = _kabsch(rest[ch], np.stack([obs_dir(j, c) for c in ch], axis=1))
            n = add(names[j], pnode, offset, np.swapaxes(Gp, 1, 2) @ G)
            for c in ch:
                Lh = _min_rotation(rest[c], np.einsum("tji,tj->ti", G, obs_dir(j, c)))
                h = add(f"{names[j]}_{names[c]}", n, np.zeros(3), Lh)
                hang[c] = (h, G @ Lh)
        else:
            n = add(names[j], pnode, offset, eye)
        node_of[j] = n
    kids = {i: [k for k, nd in enumerate(nodes) if nd[1] == i] for i in range(len(nodes))}
    leaf_site = {node_of[j]: rest[j] * max(lengths[j], 0.05) * 0.5 for j in range(J) if not children[j]}

    lines = ["HIERARCHY"]

    def emit(i, depth):
        name, pnode, off, is_root = nodes[i]
        ind = "  " * depth
        lines.append(f"{ind}{'ROOT' if is_root else 'JOINT'} {name}")
        lines.append(f"{ind}{{")
        lines.append(f"{ind}  OFFSET {off[0]:.6f} {off[1]:.6f} {off[2]:.6f}")
        lines.append(f"{ind}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" if is_root
                     else f"{ind}  CHANNELS 3 Zrotation Xrotation Yrotation")
        for k in kids[i]:
            emit(k, depth + 1)
        if not kids[i]:
            e = leaf_site.get(i, np.array([0.0, 0.05, 0.0]))
            lines.append(f"{ind}  End Site")
            lines.append(f"{ind}  {{")
            lines.append(f"{ind}    OFFSET {e[0]:.6f} {e[1]:.6f} {e[2]:.6f}")
            lines.append(f"{ind}  }}")
        lines.append(f"{ind}}}")

    emit(node_of[root], 0)
    cols = [P[:, root]]
    preorder = []

    def walk(i):
        preorder.append(i)
        for k in kids[i]:
            walk(k)

    walk(node_of[root])
    cols += [_euler_zxy(local[i]) for i in preorder]
    data = np.concatenate(cols, axis=1)
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {1.0 / float(fps):.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in data]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path


def bvh_mapping(names) -> dict:
    """The h36m17 -> BVH joint mapping for :func:`posegraph.io.bvh.read_bvh` of a file written
    here (a skeleton without ``neck``, e.g. h36m16, maps it to ``thorax``)."""
    from ..skeleton import H36M17

    names = list(names)
    return {j: (j if j in names else "thorax") for j in H36M17.joints}


def _bridge(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN frames of ``(T, ...)``; ends hold the nearest value."""
    x = np.array(x, dtype=np.float64, copy=True)
    ok = np.isfinite(x.reshape(len(x), -1)).all(1)
    if ok.all() or not ok.any():
        return x
    t = np.arange(len(x))
    flat = x.reshape(len(x), -1)
    for k in range(flat.shape[1]):
        flat[~ok, k] = np.interp(t[~ok], t[ok], flat[ok, k])
    return flat.reshape(x.shape)


def write_lift_bvh(out, pose: np.ndarray, skeleton, *, root_cam: np.ndarray | None, track_id: np.ndarray,
                   fps: float = 30.0, path: str | os.PathLike | None = None,
                   overwrite: bool = False) -> list[Path]:
    """One BVH per track of a lift result: ``lift.bvh`` (one track) or ``lift_track<k>.bvh``.

    ``pose`` ``(F, J, 3)`` pelvis-relative camera-frame metres (NaN where not detected),
    ``root_cam`` ``(F, 3)`` or None (then the pelvis stays above the origin, the lowest joint of
    the clip on the floor). A track spans its first to last frame; frames inside it without a
    pose (no detection) are bridged linearly, since a BVH needs a pose per frame. ``path``
    overrides the file name (``<stem>_track<k>.bvh`` for several tracks).
    """
    out = Path(out)
    pose = np.asarray(pose, dtype=np.float64)
    tid = np.asarray(track_id)
    tracks = sorted(int(k) for k in np.unique(tid) if k >= 0)
    base = Path(path) if path is not None else out / "lift.bvh"
    files = {k: base if len(tracks) == 1 else base.with_name(f"{base.stem}_track{k}{base.suffix}") for k in tracks}
    clash = [f for f in files.values() if f.exists()]
    if clash and not overwrite:
        raise PosegraphError(f"{clash[0]}: exists (pass --overwrite to replace it)")
    written = []
    for k in tracks:
        idx = np.flatnonzero(tid == k)
        s, e = int(idx[0]), int(idx[-1]) + 1
        p = camera_to_bvh(_bridge(pose[s:e]))
        if root_cam is not None and np.isfinite(np.asarray(root_cam[s:e], dtype=np.float64)).any():
            r = camera_to_bvh(_bridge(np.asarray(root_cam[s:e], dtype=np.float64)))
        else:
            r = np.zeros((e - s, 3))
            r[:, 1] = -float(np.min(p[..., 1]))
        p = p + r[:, None]
        written.append(write_bvh(files[k], p, skeleton.parents, skeleton.joints, fps, overwrite=True))
    return written
