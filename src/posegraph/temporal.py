"""Temporal post-processing of frame-by-frame lifted 3D: tracks, gaps, steady bones, smoothing, root.

A frame-by-frame lifter gives a new skeleton every frame: bone lengths wobble and joints
jitter. For one *tracked person* (:func:`split_tracks`) this module

1. **cuts tracks** where the 2D jumps to someone else: between two consecutive detected frames
   the keypoints' bounding box moves by more than ``jump`` times its size (the larger of the two
   boxes' diagonals), or its diagonal changes by more than a factor ``size_ratio``
   (:func:`split_tracks`);
2. **marks gaps**: frames without a detection stay NaN (never an invented pose); gaps of at
   most ``max_gap`` frames inside a track may be linearly interpolated, and are flagged
   (:func:`interpolate_gaps`);
3. **smooths** every run of consecutive valid frames with a Savitzky-Golay filter
   (:func:`smooth_segments`: a least-squares polynomial of degree ``order`` fitted in a centred
   window of ``window`` frames, :func:`scipy.signal.savgol_filter`) or a Gaussian, **robust to
   outliers** (``robust=k``): a value whose residual from the smooth curve is more than ``k``
   robust standard deviations (1.4826 x the median absolute deviation of the run's residuals,
   per coordinate) is replaced by the curve and the run is smoothed again,
   :data:`ROBUST_ITERATIONS` times (iteratively reweighted smoothing with 0/1 weights, as in
   robust LOWESS). A frame-by-frame lifter sometimes flips a limb for a single frame; a plain
   linear smoother would spread that frame over its whole window. (At a run's first and last
   frames the Savitzky-Golay polynomial leans heavily on the outlier itself, so there it is only
   reduced.);
4. **fixes the bone lengths**: the person's bone lengths are the median over the track's
   frames, left and right averaged (:func:`robust_bone_lengths`), and every frame's bones are re-scaled to them along
   their predicted directions, from the root outwards (:func:`apply_bone_lengths`), so the
   joint angles of the prediction are kept and every bone has one length for the whole track;
5. **solves the root** in camera coordinates (:func:`solve_root`): with the pelvis-relative
   metric pose ``P_j`` and pixels ``(u_j, v_j)``, a pinhole camera (focal ``f``, principal
   point ``c``) gives ``u_j - c_x = f (P_jx + t_x) / (P_jz + t_z)``, which is linear in the
   root ``t``: ``f t_x - (u_j - c_x) t_z = (u_j - c_x) P_jz - f P_jx`` (same for y). Two rows
   per joint, weighted by confidence, solved by least squares per frame; the trajectory is then
   smoothed like the joints.

:func:`accel_error` is the temporal-lifting literature's acceleration error: the mean over
joints and frames of ``|| (p_{t+1} - 2 p_t + p_{t-1}) - (g_{t+1} - 2 g_t + g_{t-1}) ||``.
"""

from __future__ import annotations

import numpy as np

from .errors import PosegraphError, ShapeError
from .skeleton import topological_order

__all__ = ["SMOOTHERS", "segments", "split_tracks", "interpolate_gaps", "smooth_segments",
           "robust_bone_lengths", "apply_bone_lengths", "solve_root", "accel_error",
           "postprocess_track", "postprocess"]

SMOOTHERS = ("savgol", "gaussian", "none")
SAVGOL_WINDOW = 15
"""Default Savitzky-Golay window (frames): chosen on the mocap-lift validation takes (see
:data:`ROBUST_K`); 0.5 s at 30 fps."""
SAVGOL_ORDER = 2
ROBUST_K = 5.0
"""Default outlier threshold of the robust smoothing (robust standard deviations of the residuals;
None: a plain linear smoother): chosen with the window on the mocap-lift validation takes
(``benchmarks/video.py``: the lowest MPJPE among the settings that at least halve the
acceleration error)."""
ROBUST_ITERATIONS = 3
ROOT_WINDOW = 31
"""Default Savitzky-Golay window (frames) for the root trajectory, whose depth is noisier."""


def segments(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the runs of True in a 1D bool ``mask``."""
    m = np.asarray(mask, dtype=bool).astype(np.int8)
    d = np.diff(np.concatenate([[0], m, [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _bbox(xy: np.ndarray) -> tuple[np.ndarray, float]:
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    return (lo + hi) / 2.0, float(np.hypot(*(hi - lo)))


def split_tracks(xy: np.ndarray, detected: np.ndarray, conf: np.ndarray | None = None, *,
                 jump: float = 0.5, size_ratio: float = 1.6, conf_threshold: float = 0.3) -> np.ndarray:
    """Track id per frame (``-1`` where nothing was detected), cut where the 2D jumps to someone else.

    ``xy`` ``(F, J, 2)`` pixels, ``detected`` ``(F,)``. The bounding box of a frame's confident
    joints (all finite ones if none is confident) is compared with that of the previous detected
    frame (across gaps): a new track starts when its centre moves by more than ``jump`` times the
    larger box diagonal, or the diagonal changes by more than ``size_ratio`` times.
    """
    xy = np.asarray(xy, dtype=np.float64)
    det = np.asarray(detected, dtype=bool) & np.isfinite(xy).all(-1).any(-1)
    F = len(xy)
    tid = np.full(F, -1, dtype=np.int64)
    cur, prev = -1, None
    for i in range(F):
        if not det[i]:
            continue
        ok = np.isfinite(xy[i]).all(-1)
        if conf is not None:
            good = ok & (np.asarray(conf[i]) >= conf_threshold)
            if good.sum() >= 2:
                ok = good
        c, d = _bbox(xy[i][ok])
        if prev is None:
            cur += 1
        else:
            pc, pd = prev
            big = max(d, pd, 1e-6)
            ratio = max(d, 1e-6) / max(pd, 1e-6)
            if np.hypot(*(c - pc)) > jump * big or ratio > size_ratio or ratio < 1.0 / size_ratio:
                cur += 1
        tid[i] = cur
        prev = (c, d)
    return tid


def interpolate_gaps(x: np.ndarray, valid: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate runs of at most ``max_gap`` invalid frames between valid ones.

    Returns ``(x, interpolated)``: a copy of ``x`` ``(F, ...)`` and the ``(F,)`` mask of the
    frames filled. Leading/trailing gaps and longer gaps are left as they are.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    valid = np.asarray(valid, dtype=bool)
    filled = np.zeros(len(x), dtype=bool)
    if max_gap <= 0:
        return x, filled
    for s, e in segments(~valid):
        if s == 0 or e == len(x) or e - s > max_gap:
            continue
        a, b = x[s - 1], x[e]
        w = (np.arange(s, e) - (s - 1)) / float(e - (s - 1))
        x[s:e] = a[None] + (b - a)[None] * w.reshape((-1,) + (1,) * (x.ndim - 1))
        filled[s:e] = True
    return x, filled


def _check_smoother(method: str, window: int, order: int) -> None:
    if method not in SMOOTHERS:
        raise PosegraphError(f"--smooth must be one of {', '.join(SMOOTHERS)}, not {method!r}")
    if method == "savgol":
        if isinstance(window, bool) or int(window) != window or window < 3 or window % 2 == 0:
            raise PosegraphError(f"--window must be an odd number of frames >= 3, not {window!r}")
        if isinstance(order, bool) or int(order) != order or not 0 <= order < window:
            raise PosegraphError(f"--order must be an integer in [0, window), not {order!r}")
    if method == "gaussian" and not (np.isfinite(window) and window > 0):
        raise PosegraphError(f"the Gaussian's sigma must be > 0 frames, not {window!r}")


def _smooth_run(x: np.ndarray, method: str, window, order: int) -> np.ndarray:
    n = len(x)
    if method == "none" or n < 3:
        return x.copy()
    if method == "gaussian":
        from scipy.ndimage import gaussian_filter1d

        return gaussian_filter1d(x, float(window), axis=0, mode="nearest", truncate=4.0)
    from scipy.signal import savgol_filter

    w = min(int(window), n if n % 2 else n - 1)
    if w <= order:
        return x.copy()
    return savgol_filter(x, w, order, axis=0, mode="interp")


def _robust_run(x: np.ndarray, method: str, window, order: int, k: float, iterations: int,
                floor: float) -> tuple[np.ndarray, np.ndarray]:
    sm = _smooth_run(x, method, window, order)
    out = np.zeros(x.shape, dtype=bool)
    if method == "none" or len(x) < 3:
        return sm, out
    for _ in range(iterations):
        r = x - sm
        sig = 1.4826 * np.median(np.abs(r - np.median(r, axis=0)), axis=0)
        out = np.abs(r) > k * np.maximum(sig, floor)
        sm = _smooth_run(np.where(out, sm, x), method, window, order)
    return sm, out


def smooth_segments(x: np.ndarray, valid: np.ndarray | None = None, method: str = "savgol",
                    window: float = SAVGOL_WINDOW, order: int = SAVGOL_ORDER, robust: float | None = None,
                    *, iterations: int = ROBUST_ITERATIONS, floor: float = 1e-3,
                    return_outliers: bool = False):
    """Smooth ``x`` ``(F, ...)`` over time, each run of valid frames on its own.

    ``method``: ``"savgol"`` (Savitzky-Golay, odd ``window`` frames, polynomial ``order``; a run
    shorter than the window uses the longest odd window that fits), ``"gaussian"`` (standard
    deviation ``window`` frames) or ``"none"``. Invalid frames are returned unchanged.
    ``robust=k``: outliers (residual above ``k`` x max(1.4826 MAD, ``floor``), per coordinate
    over the run; ``floor`` in the units of ``x``: 1 mm for metres) are replaced by the smooth
    curve and the run smoothed again, ``iterations`` times (module docstring).
    ``return_outliers``: also return the ``x``-shaped mask of the values replaced.
    """
    _check_smoother(method, window, order)
    if robust is not None and not (np.isfinite(robust) and robust > 0):
        raise PosegraphError(f"the outlier threshold must be > 0 robust standard deviations, not {robust!r}")
    x = np.asarray(x, dtype=np.float64)
    out = x.copy()
    hit = np.zeros(x.shape, dtype=bool)
    valid = np.isfinite(x.reshape(len(x), -1)).all(1) if valid is None else np.asarray(valid, dtype=bool)
    for s, e in segments(valid):
        if robust is None:
            out[s:e] = _smooth_run(x[s:e], method, window, order)
        else:
            out[s:e], hit[s:e] = _robust_run(x[s:e], method, window, order, float(robust), int(iterations), floor)
    return (out, hit) if return_outliers else out


def robust_bone_lengths(pose: np.ndarray, parents, valid: np.ndarray | None = None, symmetry=None) -> np.ndarray:
    """The median length of every bone ``(J,)`` (0 at the root) over the valid frames of ``pose`` ``(F, J, 3)``.

    ``symmetry``: pairs of joint indices ``(left, right)``; the bones ending at the two joints of a
    pair get the mean of their medians (a person's left and right limbs are as long).
    """
    pose = np.asarray(pose, dtype=np.float64)
    par = np.asarray(parents)
    valid = np.isfinite(pose).all((1, 2)) if valid is None else np.asarray(valid, dtype=bool) & np.isfinite(pose).all((1, 2))
    if not valid.any():
        raise ShapeError("no valid frame to measure bone lengths on")
    p = pose[valid]
    L = np.zeros(len(par))
    for j, q in enumerate(par):
        if q >= 0:
            L[j] = float(np.median(np.linalg.norm(p[:, j] - p[:, q], axis=-1)))
    for a, b in symmetry or ():
        L[a] = L[b] = (L[a] + L[b]) / 2.0
    return L


def apply_bone_lengths(pose: np.ndarray, parents, lengths: np.ndarray) -> np.ndarray:
    """Re-scale every bone of every frame of ``pose`` ``(..., J, 3)`` to ``lengths`` ``(J,)``
    along its predicted direction, root outwards (the root stays where it is).

    A zero-length predicted bone keeps the direction of the same bone in its median frame: it
    is the only case where a direction is not the prediction's own.
    """
    pose = np.asarray(pose, dtype=np.float64)
    out = pose.copy()
    for j in topological_order(parents):
        q = parents[j]
        if q < 0:
            continue
        v = pose[..., j, :] - pose[..., q, :]
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        tiny = n < 1e-9
        if np.any(tiny):
            fallback = np.nanmedian(v.reshape(-1, 3), axis=0)
            fallback = fallback / max(np.linalg.norm(fallback), 1e-9)
            v = np.where(tiny, fallback, v)
            n = np.where(tiny, 1.0, n)
        out[..., j, :] = out[..., q, :] + v / n * lengths[j]
    return out


def solve_root(pose_rel: np.ndarray, xy: np.ndarray, focal: float, principal_point, weights: np.ndarray | None = None) -> np.ndarray:
    """Root position ``(F, 3)`` in camera coordinates (metres) from the pelvis-relative metric pose.

    ``pose_rel`` ``(F, J, 3)`` camera frame (x right, y down, z forward), ``xy`` ``(F, J, 2)``
    pixels of the same joints, ``weights`` ``(F, J)`` (e.g. confidences; default 1). Each frame
    solves the 2J x 3 linear least-squares problem of the module docstring. Frames with NaN give
    NaN; a solution behind the camera (``t_z <= 0``) is NaN too.
    """
    P = np.asarray(pose_rel, dtype=np.float64)
    uv = np.asarray(xy, dtype=np.float64) - np.asarray(principal_point, dtype=np.float64)
    F, J = P.shape[:2]
    w = np.ones((F, J)) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    ok = np.isfinite(P).all(-1) & np.isfinite(uv).all(-1) & np.isfinite(w)
    w = np.where(ok, np.sqrt(np.clip(w, 0.0, None)), 0.0)
    P0, uv0 = np.where(ok[..., None], P, 0.0), np.where(ok[..., None], uv, 0.0)
    f = float(focal)
    A = np.zeros((F, 2 * J, 3))
    b = np.zeros((F, 2 * J))
    A[:, 0::2, 0] = f
    A[:, 0::2, 2] = -uv0[..., 0]
    b[:, 0::2] = uv0[..., 0] * P0[..., 2] - f * P0[..., 0]
    A[:, 1::2, 1] = f
    A[:, 1::2, 2] = -uv0[..., 1]
    b[:, 1::2] = uv0[..., 1] * P0[..., 2] - f * P0[..., 1]
    ww = np.repeat(w, 2, axis=1)
    A *= ww[..., None]
    b *= ww
    AtA = np.einsum("fki,fkj->fij", A, A)
    Atb = np.einsum("fki,fk->fi", A, b)
    good = (ok.sum(1) >= 2) & (np.abs(np.linalg.det(AtA)) > 1e-12)
    t = np.full((F, 3), np.nan)
    if good.any():
        t[good] = np.linalg.solve(AtA[good], Atb[good][..., None])[..., 0]
    t[~(t[:, 2] > 0)] = np.nan
    return t


def accel_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Acceleration error, in the units of the inputs per frame^2: mean over frames and joints of
    the norm of the difference of the second differences of ``pred`` and ``gt`` ``(F, J, 3)``."""
    a = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if len(a) < 3:
        return float("nan")
    da = a[2:] - 2 * a[1:-1] + a[:-2]
    dg = g[2:] - 2 * g[1:-1] + g[:-2]
    return float(np.linalg.norm(da - dg, axis=-1).mean())


def postprocess_track(pose: np.ndarray, parents, valid: np.ndarray | None = None, *, smooth: str = "savgol",
                      window: float = SAVGOL_WINDOW, order: int = SAVGOL_ORDER,
                      bones: bool = True, symmetry=None,
                      robust: float | None = ROBUST_K) -> tuple[np.ndarray, np.ndarray | None]:
    """Smooth one track's pelvis-relative poses ``(F, J, 3)`` (per run of valid frames; robust to
    outliers at ``robust`` robust standard deviations, None: a plain linear smoother), then fix
    its bone lengths to their median over the track (left and right averaged over the ``symmetry``
    pairs of joint indices, if given). Returns ``(pose, lengths)`` (``lengths``
    ``(J,)``, None without ``bones``); invalid frames stay NaN."""
    pose = np.asarray(pose, dtype=np.float64)
    valid = np.isfinite(pose).all((1, 2)) if valid is None else np.asarray(valid, dtype=bool)
    out = smooth_segments(pose, valid, smooth, window, order, robust)
    out[~valid] = np.nan
    lengths = None
    if bones and valid.any():
        lengths = robust_bone_lengths(out, parents, valid, symmetry)
        out[valid] = apply_bone_lengths(out[valid], parents, lengths)
    return out, lengths


def postprocess(pose_raw: np.ndarray, xy: np.ndarray, parents, *, detected: np.ndarray | None = None,
                conf: np.ndarray | None = None, joint_index: np.ndarray | None = None,
                focal: float | None = None, principal_point=None, smooth: str = "savgol",
                window: float = SAVGOL_WINDOW, order: int = SAVGOL_ORDER, bones: bool = True,
                max_gap: int = 0, root_window: int = ROOT_WINDOW, jump: float = 0.5,
                size_ratio: float = 1.6, conf_threshold: float = 0.3, symmetry=None,
                robust: float | None = ROBUST_K) -> dict:
    """Everything above for a whole clip of one detector track.

    Args:
        pose_raw: ``(F, J, 3)`` frame-by-frame pelvis-relative lifted poses (camera frame, metres).
        xy: ``(F, K, 2)`` pixels (h36m17), with ``joint_index`` ``(J,)`` selecting the lifted
            joints among the ``K`` (default: the same joints).
        detected: ``(F,)``, frames where the detector found a person (default: all).
        conf: ``(F, K)`` confidences (track cuts, root weights).
        focal, principal_point: the camera, in pixels; without ``focal`` no root is solved.
        max_gap: undetected runs of at most this many frames inside a track are interpolated
            (3D, 2D and root) and flagged.

    Returns a dict of ``pose`` ``(F, J, 3)`` (NaN where not detected and not interpolated),
    ``track_id`` ``(F,)`` (-1: none), ``detected``, ``interpolated`` ``(F,)``, ``bone_lengths``
    ``(T, J)`` one row per track, and with ``focal``: ``root_cam`` (smoothed, ``(F, 3)``),
    ``root_cam_raw`` and ``pose_cam`` ``(F, J, 3)`` (``pose + root_cam``).
    """
    pose_raw = np.asarray(pose_raw, dtype=np.float64)
    F, J = pose_raw.shape[:2]
    xy = np.asarray(xy, dtype=np.float64)
    det = np.ones(F, dtype=bool) if detected is None else np.asarray(detected, dtype=bool).copy()
    det &= np.isfinite(pose_raw).all((1, 2))
    jidx = np.arange(J) if joint_index is None else np.asarray(joint_index)
    tid = split_tracks(xy, det, conf, jump=jump, size_ratio=size_ratio, conf_threshold=conf_threshold)
    pose = np.full_like(pose_raw, np.nan)
    interp = np.zeros(F, dtype=bool)
    lengths = []
    root_raw = np.full((F, 3), np.nan)
    root = np.full((F, 3), np.nan)
    xyj = xy[:, jidx]
    w = None if conf is None else np.asarray(conf, dtype=np.float64)[:, jidx]
    ntracks = int(tid.max()) + 1 if (tid >= 0).any() else 0
    for k in range(ntracks):
        idx = np.flatnonzero(tid == k)
        s, e = int(idx[0]), int(idx[-1]) + 1
        valid = tid[s:e] == k
        seg, filled = interpolate_gaps(pose_raw[s:e], valid, max_gap)
        v2 = valid | filled
        seg[~v2] = np.nan
        out, L = postprocess_track(seg, parents, v2, smooth=smooth, window=window, order=order, bones=bones,
                                   symmetry=symmetry, robust=robust)
        pose[s:e][v2] = out[v2]
        interp[s:e] = filled
        lengths.append(L if L is not None else np.full(J, np.nan))
        if focal is not None:
            rr = np.full((e - s, 3), np.nan)
            rr[valid] = solve_root(out[valid], xyj[s:e][valid], focal, principal_point,
                                   None if w is None else w[s:e][valid])
            rr, rfill = interpolate_gaps(rr, np.isfinite(rr).all(1), max(max_gap, 0))
            okr = np.isfinite(rr).all(1)
            rs = smooth_segments(rr, okr, smooth, root_window if smooth == "savgol" else window, order)
            keep = v2 & okr
            root_raw[s:e][keep] = rr[keep]
            root[s:e][keep] = rs[keep]
    res = {"pose": pose, "track_id": tid, "detected": det, "interpolated": interp,
           "bone_lengths": np.array(lengths).reshape(-1, J)}
    if focal is not None:
        res.update(root_cam=root, root_cam_raw=root_raw, pose_cam=pose + root[:, None])
    return res
