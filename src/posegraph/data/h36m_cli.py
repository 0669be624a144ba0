"""``posegraph data build h36m|h36m-forecast``: run a Human3.6M build and say what it did."""

from __future__ import annotations

from pathlib import Path

from ..errors import PosegraphError

TARGETS = ("h36m", "h36m-forecast")


def _list(items, limit: int = 6) -> str:
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def build_target(target: str, out, data_3d=None, data_2d=None, root=None) -> list[str]:
    """Build ``target`` into ``out``; returns the lines to print (summary and quirks)."""
    if target not in TARGETS:
        raise PosegraphError(f"unknown build target {target!r}; known: {', '.join(TARGETS)} "
                             "(or none, for the mocap benchmarks)")
    if out is None:
        raise PosegraphError(f"posegraph data build {target} needs --out DIR")
    if target == "h36m":
        if data_3d is None:
            raise PosegraphError("posegraph data build h36m needs --data-3d data_3d_h36m.npz (VideoPose3D's layout)")
        if root is not None:
            raise PosegraphError("--root is for h36m-forecast; h36m takes --data-3d [--data-2d]")
        from .h36m import build_h36m_lift

        path, s = build_h36m_lift(data_3d, data_2d, out)
        lines = [f"wrote {path} ({Path(path).stat().st_size / 1e6:.1f} MB)"]
        for subj, d in s["subjects"].items():
            lines.append(f"  {subj} ({d['split']}): {d['takes']} takes, {d['frames']} frames x 4 cameras")
        lines.append("  dropped: " + (_list(s["dropped"]) or "nothing") + " (S11 'Directions' is discarded as VideoPose3D does)")
        if s["unknown_subjects"]:
            lines.append("  skipped subjects outside the protocol: " + _list(s["unknown_subjects"]))
        if data_2d is not None:
            lines.append(f"  2D: {data_2d}: " + (f"frame counts differ in {len(s['trimmed'])} takes, cut to the shorter: "
                                                 + _list(s["trimmed"], 3) if s["trimmed"] else "frame counts match the 3D"))
            if s["missing_cameras"]:
                lines.append("  2D cameras missing (those samples are left out of the det setting): " + _list(s["missing_cameras"], 3))
            if s["missing_2d"]:
                lines.append("  takes without 2D (left out of the det setting): " + _list(s["missing_2d"]))
        return lines
    if root is None:
        raise PosegraphError("posegraph data build h36m-forecast needs --root PATH/h3.6m/dataset")
    if data_3d is not None or data_2d is not None:
        raise PosegraphError("--data-3d/--data-2d are for h36m; h36m-forecast takes --root")
    from .h36m_forecast import build_h36m_forecast

    path, s = build_h36m_forecast(root, out)
    lines = [f"wrote {path} ({Path(path).stat().st_size / 1e6:.1f} MB): "
             + ", ".join(f"{k} {v} takes" for k, v in s["takes"].items())
             + " (train S1 S6 S7 S8 S9, val S11, test S5; 25 fps; root position and rotation removed)"]
    if s["missing"]:
        lines.append(f"  {len(s['missing'])} of 210 files missing from {root}: " + _list(s["missing"]))
    return lines
