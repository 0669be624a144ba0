"""Cameras, projection, screen normalisation and Procrustes alignment.

Conventions:

* World frame: metres, **+y up** (x and z span the ground plane).
* Camera frame: OpenCV, x right, y down, z forward. A camera holds ``R`` (3x3, world to
  camera) and ``t`` (3,), so that ``X_cam = R @ X_world + t``; its centre in the world is
  ``-R.T @ t``.
* Pixels: u to the right, v downwards, origin at the top-left corner of the image.
* Normalised screen coordinates (VideoPose3D's): ``xy = px / w * 2 - [1, h / w]``, so x spans
  ``[-1, 1]`` across the width and the aspect ratio is kept.

Every numpy function works in float64 and is batched over leading dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .errors import ShapeError

__all__ = [
    "Camera",
    "normalize_screen",
    "unnormalize_screen",
    "ring_cameras",
    "mocap_lift_cameras",
    "random_cameras",
    "project_to_screen_torch",
    "mirror",
    "procrustes_align",
    "look_at_rotation",
]

WORLD_UP = (0.0, 1.0, 0.0)


def _points(X, name: str = "X", last: int = 3) -> np.ndarray:
    a = np.asarray(X, dtype=np.float64)
    if a.ndim < 1 or a.shape[-1] != last:
        raise ShapeError(f"{name} must have shape (..., {last}), got {a.shape}")
    return a


def look_at_rotation(position, target, up=WORLD_UP) -> np.ndarray:
    """World-to-camera rotation of a camera at ``position`` looking at ``target``, no roll.

    The camera z axis points at the target, its x axis is horizontal (perpendicular to
    ``up``) and its y axis points "down" (negative component along ``up``).
    """
    position = _points(position, "position").reshape(3)
    target = _points(target, "target").reshape(3)
    up = _points(up, "up").reshape(3)
    z = target - position
    nz = np.linalg.norm(z)
    if not np.isfinite(nz) or nz == 0:
        raise ShapeError(f"look_at: position and target coincide or are not finite ({position}, {target})")
    z = z / nz
    x = np.cross(z, up)
    nx = np.linalg.norm(x)
    if nx < 1e-9:
        raise ShapeError("look_at: the viewing direction is parallel to 'up'; the roll is undefined")
    x = x / nx
    y = np.cross(z, x)
    return np.stack([x, y, z])


@dataclass(eq=False)
class Camera:
    """A pinhole camera (OpenCV convention) with Human3.6M's optional lens distortion.

    Attributes:
        R: (3, 3) world-to-camera rotation.
        t: (3,) translation, ``X_cam = R @ X_world + t``.
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels.
        width, height: image size in pixels.
        k: (3,) radial distortion coefficients.
        p: (2,) tangential distortion coefficients.
    """

    R: np.ndarray
    t: np.ndarray
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    k: np.ndarray = field(default_factory=lambda: np.zeros(3))
    p: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def __post_init__(self):
        self.R = np.asarray(self.R, dtype=np.float64)
        self.t = np.asarray(self.t, dtype=np.float64).reshape(-1)
        self.k = np.asarray(self.k, dtype=np.float64).reshape(-1)
        self.p = np.asarray(self.p, dtype=np.float64).reshape(-1)
        if self.R.shape != (3, 3):
            raise ShapeError(f"Camera.R must be 3x3, got {self.R.shape}")
        if self.t.shape != (3,):
            raise ShapeError(f"Camera.t must have 3 values, got {self.t.shape}")
        if self.k.shape != (3,):
            raise ShapeError(f"Camera.k must have 3 radial coefficients, got {self.k.shape}")
        if self.p.shape != (2,):
            raise ShapeError(f"Camera.p must have 2 tangential coefficients, got {self.p.shape}")
        for a in (self.R, self.t, self.k, self.p):
            if not np.all(np.isfinite(a)):
                raise ShapeError("Camera parameters must be finite")
        self.fx, self.fy, self.cx, self.cy = (float(v) for v in (self.fx, self.fy, self.cx, self.cy))
        self.width, self.height = int(self.width), int(self.height)

    # -- frames -----------------------------------------------------------------------
    def world_to_camera(self, X) -> np.ndarray:
        """World points ``(..., 3)`` to the camera frame."""
        return _points(X) @ self.R.T + self.t

    def camera_to_world(self, X) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` to the world frame."""
        return (_points(X) - self.t) @ self.R

    @property
    def position(self) -> np.ndarray:
        """The camera centre in world coordinates."""
        return -self.R.T @ self.t

    @property
    def K(self) -> np.ndarray:
        """The 3x3 intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.k != 0) or np.any(self.p != 0))

    # -- projection -------------------------------------------------------------------
    def project(self, X_cam) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` (z > 0) to pixels ``(..., 2)``.

        With non-zero ``k``/``p`` the Human3.6M distortion model is applied to the normalised
        image coordinates ``(x, y) = (X/Z, Y/Z)``, ``r2 = x^2 + y^2``::

            radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3
            tan    = p1 x + p2 y
            (x, y) <- (x, y) * (radial + tan) + (p2, p1) * r2
        """
        X = _points(X_cam, "X_cam")
        xy = X[..., :2] / X[..., 2:3]
        if self.has_distortion:
            r2 = np.sum(xy * xy, axis=-1, keepdims=True)
            radial = 1.0 + self.k[0] * r2 + self.k[1] * r2 ** 2 + self.k[2] * r2 ** 3
            tan = self.p[0] * xy[..., 0:1] + self.p[1] * xy[..., 1:2]
            xy = xy * (radial + tan) + self.p[::-1] * r2
        return xy * np.array([self.fx, self.fy]) + np.array([self.cx, self.cy])

    def project_world(self, X_world) -> np.ndarray:
        """World points ``(..., 3)`` straight to pixels ``(..., 2)``."""
        return self.project(self.world_to_camera(X_world))

    # -- (de)serialisation ------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "R": self.R.tolist(), "t": self.t.tolist(),
            "fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
            "width": self.width, "height": self.height,
            "k": self.k.tolist(), "p": self.p.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Camera":
        try:
            return cls(R=d["R"], t=d["t"], fx=d["fx"], fy=d["fy"], cx=d["cx"], cy=d["cy"],
                       width=d["width"], height=d["height"],
                       k=d.get("k", (0.0, 0.0, 0.0)), p=d.get("p", (0.0, 0.0)))
        except KeyError as e:
            raise ShapeError(f"camera dict lacks key {e.args[0]!r}") from None

    @classmethod
    def look_at(cls, position, target, up=WORLD_UP, f: float = 1145.0, width: int = 1000,
                height: int = 1000, cx: float | None = None, cy: float | None = None) -> "Camera":
        """A camera at ``position`` (world) aimed at ``target`` with no roll.

        ``f`` is the focal length in pixels (``fx = fy = f``); the principal point defaults
        to the image centre.
        """
        R = look_at_rotation(position, target, up)
        pos = np.asarray(position, dtype=np.float64).reshape(3)
        return cls(R=R, t=-R @ pos, fx=f, fy=f,
                   cx=width / 2.0 if cx is None else cx, cy=height / 2.0 if cy is None else cy,
                   width=width, height=height)

    def __repr__(self) -> str:
        pos = np.round(self.position, 3).tolist()
        return (f"Camera(position={pos}, f=({self.fx:g}, {self.fy:g}), c=({self.cx:g}, {self.cy:g}), "
                f"size={self.width}x{self.height}{', distorted' if self.has_distortion else ''})")


# ---------------------------------------------------------------------------------------
# Screen normalisation
# ---------------------------------------------------------------------------------------


def normalize_screen(px, width, height) -> np.ndarray:
    """Pixels ``(..., 2)`` to VideoPose3D's normalised screen coordinates ``px/w*2 - [1, h/w]``."""
    px = _points(px, "px", 2)
    return px / width * 2.0 - np.array([1.0, height / width])


def unnormalize_screen(xy, width, height) -> np.ndarray:
    """Inverse of :func:`normalize_screen`."""
    xy = _points(xy, "xy", 2)
    return (xy + np.array([1.0, height / width])) * width / 2.0


# ---------------------------------------------------------------------------------------
# Camera rigs
# ---------------------------------------------------------------------------------------


def _center_xz(center) -> tuple[float, float]:
    c = np.asarray(center, dtype=np.float64).reshape(-1)
    if c.shape == (2,):
        return float(c[0]), float(c[1])
    if c.shape == (3,):
        return float(c[0]), float(c[2])
    raise ShapeError(f"center must be (x, z) or (x, y, z), got shape {c.shape}")


def ring_cameras(center, radius: float, azimuths_deg: Sequence[float], heights, look_height: float,
                 focal: float, width: int, height: int) -> list[Camera]:
    """Cameras on a horizontal ring, all aimed at one point, no roll.

    Camera ``i`` stands at world ``(cx + r cos a_i, heights[i], cz + r sin a_i)`` and looks at
    ``(cx, look_height, cz)``. ``center`` is ``(x, z)`` or ``(x, y, z)`` (y ignored);
    ``heights`` is one value per azimuth or a single value. Principal point = image centre.
    """
    cx, cz = _center_xz(center)
    az = np.deg2rad(np.asarray(azimuths_deg, dtype=np.float64).reshape(-1))
    hs = np.broadcast_to(np.asarray(heights, dtype=np.float64), az.shape) if np.ndim(heights) == 0 \
        else np.asarray(heights, dtype=np.float64).reshape(-1)
    if hs.shape != az.shape:
        raise ShapeError(f"ring_cameras: {len(hs)} heights for {len(az)} azimuths")
    target = np.array([cx, float(look_height), cz])
    cams = []
    for a, h in zip(az, hs):
        pos = np.array([cx + radius * np.cos(a), h, cz + radius * np.sin(a)])
        cams.append(Camera.look_at(pos, target, f=focal, width=width, height=height))
    return cams


MOCAP_LIFT = dict(width=1000, height=1000, focal=1145.0, base_radius=5.0,
                  azimuths=(45.0, 135.0, 225.0, 315.0), heights=(1.4, 1.6, 1.8, 2.0), look_height=1.0)


def mocap_lift_cameras(pelvis_xyz_frames) -> list[Camera]:
    """The 4 cameras of the ``mocap-lift`` benchmark for one sequence.

    ``pelvis_xyz_frames`` is ``(T, 3)`` world pelvis positions (metres, y up). The ring is
    centred on the mean pelvis position in the ground plane, with radius 5 m plus the largest
    horizontal distance of the pelvis from that mean; azimuths 45/135/225/315 degrees, heights
    1.4/1.6/1.8/2.0 m, all aimed at the mean pelvis position at 1.0 m height; 1000x1000 images,
    focal 1145 px, principal point (500, 500), no distortion.
    """
    P = _points(pelvis_xyz_frames, "pelvis_xyz_frames").reshape(-1, 3)
    if len(P) == 0 or not np.all(np.isfinite(P)):
        raise ShapeError("mocap_lift_cameras needs at least one finite pelvis position")
    mx, mz = P[:, 0].mean(), P[:, 2].mean()
    spread = float(np.max(np.hypot(P[:, 0] - mx, P[:, 2] - mz)))
    c = MOCAP_LIFT
    return ring_cameras((mx, mz), c["base_radius"] + spread, c["azimuths"], c["heights"],
                        c["look_height"], c["focal"], c["width"], c["height"])


def _uniform(rng: np.random.Generator, r, n: int) -> np.ndarray:
    if np.ndim(r) == 0:
        return np.full(n, float(r))
    lo, hi = (float(v) for v in r)
    return rng.uniform(lo, hi, size=n)


def random_cameras(n: int, center_xz, rng=None, radius=(4.0, 7.0), height=(1.0, 2.2),
                   focal: float = MOCAP_LIFT["focal"], width: int = MOCAP_LIFT["width"],
                   height_px: int = MOCAP_LIFT["height"], look_height=1.0) -> list[Camera]:
    """``n`` random no-roll cameras around ``center_xz`` for augmentation.

    Azimuth is uniform on [0, 360); ``radius``, ``height`` (camera y) and ``look_height`` are
    each a ``(low, high)`` range drawn uniformly or a fixed value. Every camera looks at
    ``(center_x, look_height, center_z)``. ``rng`` is a ``numpy.random.Generator``, a seed or None.
    """
    rng = np.random.default_rng(rng)
    cx, cz = _center_xz(center_xz)
    az = rng.uniform(0.0, 2 * np.pi, size=n)
    rad = _uniform(rng, radius, n)
    hs = _uniform(rng, height, n)
    lh = _uniform(rng, look_height, n)
    return [Camera.look_at((cx + r * np.cos(a), h, cz + r * np.sin(a)), (cx, l, cz), f=focal,
                           width=width, height=height_px)
            for a, r, h, l in zip(az, rad, hs, lh)]


# ---------------------------------------------------------------------------------------
# Torch projection (batched, device-agnostic)
# ---------------------------------------------------------------------------------------


def mirror(t, perm):
    """Poses ``(..., J, D)`` (torch) mirrored: joints swapped by ``perm`` (a long tensor, left <->
    right: :attr:`posegraph.skeleton.Skeleton.flip_permutation`), the first coordinate negated (the
    image's x about its centre for 2D, the lateral axis for 3D). The one mirror of the library:
    training's flips (:mod:`posegraph.train.augment`) and test-time mirroring
    (:class:`posegraph.pipeline.Pipeline`) use it."""
    import torch

    t = t.index_select(-2, perm)
    return torch.cat([-t[..., :1], t[..., 1:]], dim=-1)


def project_to_screen_torch(X_world, R, t, f, c, w, h):
    """Project world joints to normalised screen coordinates, batched, on any device.

    Args:
        X_world: ``(B, J, 3)`` tensor.
        R: ``(B, 3, 3)`` world-to-camera rotations; ``t``: ``(B, 3)``.
        f: focal length in pixels: a number, a ``(B,)`` tensor (one per camera), or
            ``(B, 2)`` / ``(1, 2)`` for ``(fx, fy)``.
        c: principal point: ``(2,)``, ``(1, 2)`` or ``(B, 2)``.
        w, h: image size in pixels: numbers or ``(B,)`` tensors.

    Returns:
        ``(xy, X_cam)``: normalised screen coordinates ``(B, J, 2)`` (see
        :func:`normalize_screen`) and camera-frame points ``(B, J, 3)``. No lens distortion.
    """
    import torch

    if not torch.is_tensor(X_world):
        X_world = torch.as_tensor(X_world)
    if X_world.ndim != 3 or X_world.shape[-1] != 3:
        raise ShapeError(f"X_world must be (B, J, 3), got {tuple(X_world.shape)}")
    B = X_world.shape[0]
    if tuple(R.shape) != (B, 3, 3) or tuple(t.shape) != (B, 3):
        raise ShapeError(f"R must be (B, 3, 3) and t (B, 3) with B={B}, got {tuple(R.shape)} and {tuple(t.shape)}")
    dt, dev = X_world.dtype, X_world.device

    def as_t(v):
        return torch.as_tensor(v, dtype=dt, device=dev)

    R, t = as_t(R), as_t(t)
    X_cam = torch.matmul(X_world, R.transpose(1, 2)) + t[:, None, :]

    f = as_t(f)
    if f.ndim == 1:  # one focal length per camera
        if f.numel() not in (1, B):
            raise ShapeError(f"f must be a number, (B,), (1, 2) or (B, 2); got {tuple(f.shape)} with B={B}")
        f = f.reshape(-1, 1, 1)
    elif f.ndim == 2:  # (B or 1, 2)
        f = f[:, None, :]
    c = as_t(c)
    c = c.reshape(1, 1, 2) if c.ndim == 1 else c[:, None, :]
    w = as_t(w).reshape(-1, 1, 1)  # (1 or B, 1, 1)
    h = as_t(h).reshape(-1, 1, 1)

    px = X_cam[..., :2] / X_cam[..., 2:3] * f + c
    ratio = h / w
    offset = torch.cat([torch.ones_like(ratio), ratio], dim=-1)
    xy = px / w * 2.0 - offset
    return xy, X_cam


# ---------------------------------------------------------------------------------------
# Procrustes
# ---------------------------------------------------------------------------------------


def procrustes_align(pred, target, scale: bool = True, reflection: bool = False) -> np.ndarray:
    """Align ``pred`` to ``target`` by the best similarity transform, batched.

    For every pose in the stack ``(..., J, 3)`` finds the scale ``s``, rotation ``Q`` and
    translation ``b`` minimising ``sum_j |s Q p_j + b - t_j|^2`` (Umeyama's solution via the
    SVD of the 3x3 cross-covariance) and returns ``s Q p_j + b``. With ``reflection=False``
    ``Q`` is a proper rotation (if the SVD solution has det < 0 the last singular vector's
    sign is flipped); ``reflection=True`` allows improper orthogonal ``Q``. ``scale=False``
    fixes ``s = 1``.
    """
    P = np.asarray(pred, dtype=np.float64)
    T = np.asarray(target, dtype=np.float64)
    if P.shape != T.shape or P.ndim < 2 or P.shape[-1] != 3:
        raise ShapeError(f"procrustes_align needs matching (..., J, 3) arrays, got {P.shape} and {T.shape}")
    mu_p = P.mean(axis=-2, keepdims=True)
    mu_t = T.mean(axis=-2, keepdims=True)
    P0 = P - mu_p
    T0 = T - mu_t
    H = np.swapaxes(P0, -1, -2) @ T0  # (..., 3, 3) = sum_j p_j t_j^T
    U, S, Vt = np.linalg.svd(H)
    # Row-vector convention: aligned = s * P0 @ Q + mu_t with Q = U @ Vt (maximises tr(Q^T H)).
    d = np.ones(S.shape)
    if not reflection:
        det = np.linalg.det(U @ Vt)
        d[..., -1] = np.where(det < 0, -1.0, 1.0)
    Q = (U * d[..., None, :]) @ Vt
    if scale:
        var = np.sum(P0 * P0, axis=(-1, -2))
        tr = np.sum(S * d, axis=-1)
        s = np.where(var > 0, tr / np.where(var > 0, var, 1.0), 0.0)
        s = s[..., None, None]
    else:
        s = 1.0
    return s * (P0 @ Q) + mu_t


def random_look_at_torch(center_xz, generator=None, radius=(4.0, 7.0), height=(1.0, 2.2), look_height: float = 1.0):
    """Random cameras around subjects, batched in torch (training augmentation).

    For each centre ``(x, z)`` (e.g. the pelvis): azimuth ``a ~ U(0, 2 pi)``, distance
    ``r ~ U(radius)``, camera height ``~ U(height)``; the camera sits at
    ``(x + r cos a, height, z + r sin a)`` and looks at ``(x, look_height, z)`` with no roll
    (the same construction as :func:`look_at_rotation`).

    Returns:
        ``R (B, 3, 3)`` world-to-camera rotations and ``t (B, 3)``, with ``X_cam = R X + t``.
    """
    import math

    import torch

    c = torch.as_tensor(center_xz)
    B, dt, dev = c.shape[0], c.dtype, c.device

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(B, dtype=dt, device=dev, generator=generator)

    a, r, h = u(0.0, 2 * math.pi), u(*radius), u(*height)
    pos = torch.stack([c[:, 0] + r * torch.cos(a), h, c[:, 1] + r * torch.sin(a)], dim=1)
    target = torch.stack([c[:, 0], torch.full_like(h, look_height), c[:, 1]], dim=1)
    up = torch.tensor([0.0, 1.0, 0.0], dtype=dt, device=dev).expand(B, 3)
    z = torch.nn.functional.normalize(target - pos, dim=1)
    x = torch.nn.functional.normalize(torch.cross(z, up, dim=1), dim=1)
    y = torch.cross(z, x, dim=1)
    R = torch.stack([x, y, z], dim=1)
    t = -torch.einsum("bij,bj->bi", R, pos)
    return R, t
