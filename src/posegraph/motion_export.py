"""``posegraph export-motion``: a ``posegraph lift`` result as a motion file (BVH)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import FormatError, PosegraphError

__all__ = ["export_motion", "read_lift_result"]


def read_lift_result(result: str | os.PathLike) -> dict:
    """The arrays of a lift result (folder or ``lift.npz``) needed to export its motion."""
    from .skeleton import Skeleton, get_skeleton

    p = Path(result)
    npz = p / "lift.npz" if p.is_dir() else p
    if not npz.exists():
        raise PosegraphError(f"{npz}: no such file (expected a posegraph lift output folder or its lift.npz)")
    try:
        with np.load(npz, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise PosegraphError(f"{npz}: cannot read as an npz file ({type(e).__name__})") from None
    for k in ("joints_3d", "joint_names_3d"):
        if k not in d:
            raise FormatError(npz, "missing array (not a posegraph lift result?)", k)
    pose = np.asarray(d["joints_3d"], dtype=np.float64)
    names = tuple(str(n) for n in d["joint_names_3d"])
    if pose.ndim != 3 or pose.shape[1:] != (len(names), 3) or len(pose) == 0:
        raise FormatError(npz, f"shape {pose.shape}, expected (frames, {len(names)}, 3)", "joints_3d")
    if "parents_3d" in d:
        sk = Skeleton("lift", names, tuple(int(v) for v in d["parents_3d"]))
    else:
        sk = next((get_skeleton(n) for n in ("h36m17", "h36m16") if get_skeleton(n).joints == names), None)
        if sk is None:
            raise FormatError(npz, "joint names of no known skeleton and no parents_3d", "joint_names_3d")
    F = len(pose)
    track = d.get("track_id")
    if track is None:
        track = np.where(np.isfinite(pose).all((1, 2)), 0, -1)
    root = d.get("root_cam")
    fps = float(d["fps"]) if "fps" in d and float(d["fps"]) > 0 else 30.0
    return {"path": npz, "pose": pose, "skeleton": sk, "track_id": np.asarray(track).reshape(F),
            "root_cam": None if root is None else np.asarray(root, dtype=np.float64), "fps": fps}


def export_motion(result, format: str = "bvh", out=None, overwrite: bool = False) -> list[Path]:
    """Write the tracks of a lift result as BVH (see :func:`posegraph.io.bvh_write.write_lift_bvh`)."""
    from .io.bvh_write import write_lift_bvh

    if str(format).lower() != "bvh":
        raise PosegraphError(f"--format {format!r} is not supported; use bvh")
    r = read_lift_result(result)
    if not (r["track_id"] >= 0).any():
        raise PosegraphError(f"{r['path']}: no frame with a detected person; nothing to export")
    if out is not None and Path(out).suffix.lower() != ".bvh":
        raise PosegraphError(f"--out {out}: expected a .bvh file name")
    return write_lift_bvh(r["path"].parent, r["pose"], r["skeleton"], root_cam=r["root_cam"], track_id=r["track_id"],
                          fps=r["fps"], path=out, overwrite=overwrite)
