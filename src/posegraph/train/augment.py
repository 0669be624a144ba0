"""Training augmentation, one function per task, applied to a batch on its device.

Every random draw uses the global torch generator, which the trainer reseeds per step
(:func:`posegraph.train.module.step_seed`), so a resumed run repeats the draws of an
uninterrupted one.
"""

from __future__ import annotations

import torch

from ..geometry import MOCAP_LIFT, mirror, project_to_screen_torch
from ..skeleton import topological_order

__all__ = ["augment_lift", "augment_forecast"]


def augment_lift(x: torch.Tensor, y: torch.Tensor, world: torch.Tensor | None, d: dict, flip_perm: torch.Tensor,
                 parents=None):
    """Lifting augmentation of 2D ``x`` (B, J, 2) and 3D ``y`` (B, J, 3): random virtual
    cameras, other people's proportions, left/right flips, 2D noise (``d`` is the config's
    ``data`` section; ``parents`` the skeleton's parent table, for ``data.bone_scale``).

    ``data.random_cameras`` (a probability): re-render a sample from its world pose ``world``
    through a random camera (azimuth U(0, 360 deg), height U(1.0, 2.2) m, distance U(4, 7) m from
    the pelvis, looking at the pelvis at 1 m; the benchmark's intrinsics,
    :data:`posegraph.geometry.MOCAP_LIFT`). ``data.bone_scale`` (c > 0): every sample becomes a
    person of other proportions making the same movement, seen by the same camera (see
    :func:`rescale_bones`). ``data.flip``: mirror half the samples (x -> -x in 2D
    and 3D, left/right joints swapped). ``data.noise_px``: Gaussian noise on the 2D, in pixels of
    the benchmark's image width, on a share ``data.noise_prob`` (default 1) of the samples.
    """
    cam = MOCAP_LIFT
    p = float(d.get("random_cameras") or 0.0)
    if p > 0 and world is not None:
        from ..geometry import random_look_at_torch

        R, t = random_look_at_torch(world[:, 0, [0, 2]])
        xy, xc = project_to_screen_torch(world, R, t, float(cam["focal"]), (cam["width"] / 2, cam["height"] / 2),
                                         float(cam["width"]), float(cam["height"]))
        m = (torch.rand(x.shape[0], device=x.device) < p)[:, None, None]
        x = torch.where(m, xy.to(x.dtype), x)
        y = torch.where(m, (xc - xc[:, :1]).to(y.dtype), y)
    c = float(d.get("bone_scale") or 0.0)
    if c > 0:
        if parents is None:
            raise ValueError("data.bone_scale needs the skeleton's parents")
        x, y = rescale_bones(x, y, c, parents, flip_perm)
    if d.get("flip"):
        m = torch.rand(x.shape[0], device=x.device) < 0.5
        xf, yf = mirror(x, flip_perm), mirror(y, flip_perm)
        x = torch.where(m[:, None, None], xf, x)
        y = torch.where(m[:, None, None], yf, y)
    if d.get("noise_px", 0):
        noise = torch.randn_like(x) * (float(d["noise_px"]) * 2.0 / float(cam["width"]))
        p_noise = float(d.get("noise_prob", 1.0))
        if p_noise < 1.0:  # a share of the samples stays exact, so clean inputs are seen too
            noise = noise * (torch.rand(x.shape[0], 1, 1, device=x.device) < p_noise)
        x = x + noise
    return x, y


def camera_root(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The root's camera-frame position ``t`` (B, 3) that projects the root-relative 3D ``y``
    (B, J, 3) onto its normalised 2D ``x`` (B, J, 2) through the benchmark's intrinsics
    (:data:`~posegraph.geometry.MOCAP_LIFT`, no distortion).

    With ``(u_j, v_j)`` the 2D in focal units (pixels minus the principal point at the image
    centre, over the focal length: normalised screen units times ``w / 2 f``), ``u_j = (X_j + t_x) / (Z_j + t_z)`` is linear in ``t``:
    ``t_x - u_j t_z = u_j Z_j - X_j`` (and the same in ``y``); ``t`` is the least-squares
    solution over the joints (exact for exact 2D)."""
    cam = MOCAP_LIFT
    dt = torch.float64
    uv = x.to(dt) * (float(cam["width"]) / (2.0 * float(cam["focal"])))  # (B, J, 2)
    Y = y.to(dt)
    B, J = x.shape[:2]
    A = torch.zeros(B, J, 2, 3, dtype=dt, device=x.device)
    A[:, :, 0, 0] = 1.0
    A[:, :, 1, 1] = 1.0
    A[:, :, :, 2] = -uv
    b = uv * Y[:, :, 2:3] - Y[:, :, :2]  # (B, J, 2)
    A, b = A.reshape(B, 2 * J, 3), b.reshape(B, 2 * J, 1)
    t = torch.linalg.solve(A.transpose(1, 2) @ A, A.transpose(1, 2) @ b)  # normal equations, 3x3
    return t[..., 0]


def rescale_bones(x: torch.Tensor, y: torch.Tensor, c: float, parents, flip_perm: torch.Tensor):
    """The same movement by a person of other proportions, seen by the same camera.

    Every bone (joint minus its parent, root-relative 3D ``y``) is multiplied by
    ``g * r_k``: ``g ~ U(1 - c, 1 + c)`` per sample (stature), ``r_k ~ U(1 - c/2, 1 + c/2)``
    per bone, the same for a left bone and its right twin (proportions). The joints are
    rebuilt from the root along the skeleton, put back at the root position the 2D was seen
    at (:func:`camera_root`) and projected again, so ``x`` stays the exact view of the new ``y``
    (2D noise is added afterwards). Returns ``(x, y)``."""
    B, J = y.shape[:2]
    par = [int(p) for p in parents]
    if len(par) != J:
        raise ValueError(f"parents has {len(par)} joints, the poses {J}")
    t = camera_root(x, y)
    g = (1 - c) + 2 * c * torch.rand(B, 1, device=y.device, dtype=y.dtype)
    r = (1 - c / 2) + c * torch.rand(B, J, device=y.device, dtype=y.dtype)
    twin = torch.minimum(torch.arange(J, device=y.device), flip_perm.to(y.device))
    factor = (g * r[:, twin])[..., None]
    new = [None] * J
    for k in topological_order(par):
        new[k] = y[:, k] if par[k] < 0 else new[par[k]] + (y[:, k] - y[:, par[k]]) * factor[:, k]
    y2 = torch.stack(new, dim=1)
    cam = MOCAP_LIFT
    eye = torch.eye(3, dtype=torch.float64, device=y.device).expand(B, 3, 3)
    xy, _ = project_to_screen_torch(y2.to(torch.float64), eye, t, float(cam["focal"]),
                                    torch.tensor([cam["width"] / 2, cam["height"] / 2], dtype=torch.float64),
                                    float(cam["width"]), float(cam["height"]))
    return xy.to(x.dtype), y2


def augment_forecast(x: torch.Tensor, y: torch.Tensor, world: torch.Tensor | None, d: dict, flip_perm: torch.Tensor,
                     parents=None):
    """Forecasting augmentation of past ``x`` (B, T_in, J, 3) and future ``y`` (B, T_out, J, 3),
    the same transform for both: ``data.rotate`` turns a window about the vertical (+y) axis
    by an angle drawn from U(0, 360 deg); ``data.flip`` mirrors half the windows (x -> -x,
    left/right joints swapped). ``data.speed`` (s > 0): each window is replayed at a speed drawn
    from U(1 - s, 1 + s) (capped where its take ends): frame ``k`` of the resampled window is the
    take at time ``r k`` from the window's start, linearly interpolated; ``world`` then holds the
    take from the window's start (NaN past its end, :class:`posegraph.train.data.ForecastTensors`).
    Without it, ``world`` is unused. ``data.scale`` (c > 0): each window (past and future alike)
    is scaled about the pelvis by a factor drawn from U(1 - c, 1 + c), as if a taller or shorter
    person made the same movement (the windows are pelvis-relative, so bone lengths and
    displacements scale together)."""
    s = float(d.get("speed") or 0.0)
    if s > 0 and world is not None:
        x, y = _replay(x.shape[1], x.shape[1] + y.shape[1], world, s)
    c = float(d.get("scale") or 0.0)
    if c > 0:
        f = ((1 - c) + 2 * c * torch.rand(x.shape[0], device=x.device, dtype=x.dtype))[:, None, None, None]
        x, y = x * f, y * f
    if d.get("rotate"):
        a = torch.rand(x.shape[0], device=x.device) * (2 * torch.pi)
        from ..models.forecast_base import yaw_matrices

        R = yaw_matrices(torch.cos(a), torch.sin(a)).to(x.dtype)
        x = torch.einsum("bij,btvj->btvi", R, x)
        y = torch.einsum("bij,btvj->btvi", R, y)
    if d.get("flip"):
        m = (torch.rand(x.shape[0], device=x.device) < 0.5)[:, None, None, None]
        x = torch.where(m, mirror(x, flip_perm), x)
        y = torch.where(m, mirror(y, flip_perm), y)
    return x, y


def _replay(past: int, length: int, take: torch.Tensor, s: float):
    """Windows of ``length`` frames (``past`` observed) resampled at random speeds (see
    :func:`augment_forecast`); ``take`` (B, L_max, J, 3), NaN past the take's end."""
    B, L_max = take.shape[:2]
    valid = (~torch.isnan(take[:, :, 0, 0])).sum(dim=1)  # frames before the take's end
    r_max = (valid - 1).to(take.dtype) / (length - 1)
    r = (1 - s) + 2 * s * torch.rand(B, device=take.device, dtype=take.dtype)
    r = torch.minimum(r, r_max)
    t = r[:, None] * torch.arange(length, device=take.device, dtype=take.dtype)  # (B, length)
    lo = t.floor().long().clamp(max=L_max - 1)
    hi = (lo + 1).clamp(max=L_max - 1)
    hi = torch.minimum(hi, (valid - 1)[:, None])
    a = (t - lo.to(t.dtype))[:, :, None, None]
    bi = torch.arange(B, device=take.device)[:, None]
    w = take[bi, lo] * (1 - a) + take[bi, hi] * a
    return w[:, :past], w[:, past:]
