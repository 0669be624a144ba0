"""Rotation helpers shared by the motion readers (batched numpy, column-vector matrices).

All functions take arrays with arbitrary leading (batch) dimensions and return ``(..., 3, 3)``
float64 matrices that act on column vectors (``v' = R @ v``); for the row-vector convention
use ``v @ R`` with the same matrix, which applies ``R.T``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["axis_rotation", "euler_to_matrix", "expmap_to_matrix", "parse_axis_order"]

_AXES = {"X": 0, "Y": 1, "Z": 2}


def parse_axis_order(order: str | Sequence[str]) -> tuple[int, ...]:
    """Axis indices (0=x, 1=y, 2=z) of an order given as ``"ZXY"``, ``["rx", "rz"]`` or
    ``["Zrotation", "Xrotation"]``. Raises ``ValueError`` on anything else."""
    if isinstance(order, str):
        items = list(order.strip())
    else:
        items = list(order)
    out = []
    for it in items:
        s = str(it).strip().upper()
        if s.startswith("R") and len(s) == 2:  # rx / RX
            s = s[1]
        elif s.endswith("ROTATION") and len(s) == 9:  # Xrotation
            s = s[0]
        if s not in _AXES:
            raise ValueError(f"not a rotation axis: {it!r}")
        out.append(_AXES[s])
    return tuple(out)


def axis_rotation(angle: np.ndarray, axis: int) -> np.ndarray:
    """Rotation by ``angle`` (radians, any shape) about coordinate axis 0, 1 or 2."""
    a = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[..., axis, axis] = 1.0
    R[..., i, i] = c
    R[..., j, j] = c
    R[..., i, j] = -s
    R[..., j, i] = s
    return R


def euler_to_matrix(angles: np.ndarray, order: str | Sequence[str] = "XYZ", degrees: bool = False,
                    intrinsic: bool = True) -> np.ndarray:
    """Rotation matrices from Euler angles with any axis order (any number of axes).

    Args:
        angles: ``(..., n)``; ``angles[..., k]`` is the angle about axis ``order[k]``.
        order: ``n`` axes, e.g. ``"ZYX"``, ``["rx", "rz"]``; axes may repeat.
        degrees: angles are in degrees.
        intrinsic: ``True`` gives ``R = R_{order[0]} @ R_{order[1]} @ ...`` (BVH channels:
            rotations about the moving axes, in listed order). ``False`` gives the reverse
            product ``R = ... @ R_{order[1]} @ R_{order[0]}`` (Acclaim ASF/AMC: rotations about
            the fixed axes, the first listed applied first).
    """
    axes = parse_axis_order(order)
    a = np.asarray(angles, dtype=np.float64)
    if a.shape[-1:] != (len(axes),):
        raise ValueError(f"angles of shape {a.shape} do not match order {order!r}")
    if degrees:
        a = np.deg2rad(a)
    R = np.broadcast_to(np.eye(3), a.shape[:-1] + (3, 3)).copy()
    for k, ax in enumerate(axes):
        Rk = axis_rotation(a[..., k], ax)
        R = R @ Rk if intrinsic else Rk @ R
    return R


def expmap_to_matrix(r: np.ndarray) -> np.ndarray:
    """Rodrigues' formula: ``R = I + sin(t) K + (1 - cos(t)) K^2`` for ``r = t * axis``.

    ``K`` is the cross-product matrix of the unit axis; a zero vector gives the identity.
    """
    r = np.asarray(r, dtype=np.float64)
    theta = np.linalg.norm(r, axis=-1)
    safe = np.where(theta > 1e-12, theta, 1.0)
    k = r / safe[..., None]
    K = np.zeros(r.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2] = -k[..., 2], k[..., 1]
    K[..., 1, 0], K[..., 1, 2] = k[..., 2], -k[..., 0]
    K[..., 2, 0], K[..., 2, 1] = -k[..., 1], k[..., 0]
    s = np.sin(theta)[..., None, None]
    c = np.cos(theta)[..., None, None]
    return np.eye(3) + s * K + (1.0 - c) * (K @ K)
