"""Skeleton plots (matplotlib, Agg): 2D inputs, 3D poses, side-by-side comparisons.

The video of a ``posegraph lift`` result is drawn by :mod:`posegraph.apps.render` with these
colours (:func:`bone_colors`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .skeleton import Skeleton, get_skeleton

_LEFT, _RIGHT, _MID = "tab:blue", "tab:red", "0.25"


def bone_colors(sk: Skeleton) -> list[str]:
    """One matplotlib colour per bone of ``sk`` (``sk.edges`` order): left blue, right red, middle grey."""
    cols = []
    for p, c in sk.edges:
        name = sk.joints[c]
        cols.append(_LEFT if name.startswith("l_") else _RIGHT if name.startswith("r_") else _MID)
    return cols


def draw_2d(ax, p2d: np.ndarray, skeleton="h36m17", invert_y: bool = True, alpha: float = 1.0):
    """Draw a ``(J, 2)`` pose (image-like axes: y down)."""
    sk = get_skeleton(skeleton)
    for (p, c), col in zip(sk.edges, bone_colors(sk)):
        ax.plot(p2d[[p, c], 0], p2d[[p, c], 1], color=col, lw=2, alpha=alpha)
    ax.scatter(p2d[:, 0], p2d[:, 1], s=6, color="k", alpha=alpha)
    ax.set_aspect("equal")
    if invert_y and not ax.yaxis_inverted():
        ax.invert_yaxis()


def draw_3d(ax, p3d: np.ndarray, skeleton="h36m17", camera_frame: bool = True, alpha: float = 1.0,
            radius: float = 1.0, color: str | None = None):
    """Draw a ``(J, 3)`` pose on a 3D axis. Camera-frame poses (y down, z forward) are shown upright."""
    sk = get_skeleton(skeleton)
    P = np.asarray(p3d, dtype=np.float64)
    if camera_frame:  # plot x right, z (depth) into the screen, -y up
        P = np.stack([P[:, 0], P[:, 2], -P[:, 1]], axis=1)
    else:  # world +y up
        P = np.stack([P[:, 0], -P[:, 2], P[:, 1]], axis=1)
    for (p, c), col in zip(sk.edges, bone_colors(sk)):
        ax.plot(P[[p, c], 0], P[[p, c], 1], P[[p, c], 2], color=color or col, lw=2, alpha=alpha)
    r = P[0]
    ax.set_xlim(r[0] - radius, r[0] + radius)
    ax.set_ylim(r[1] - radius, r[1] + radius)
    ax.set_zlim(r[2] - radius, r[2] + radius)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=15, azim=-70)
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])


def lift_figure(p2d: np.ndarray, pred: np.ndarray, gt: np.ndarray | None, skeleton="h36m17",
                titles=("2D input", "predicted 3D", "ground-truth 3D"), path: str | os.PathLike | None = None,
                row_labels: list[str] | None = None):
    """Rows of [2D input | predicted 3D | ground truth 3D] for ``(R, J, ...)`` arrays; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p2d, pred = np.atleast_3d(p2d), np.asarray(pred)
    if pred.ndim == 2:
        p2d, pred = p2d[None], pred[None]
        gt = None if gt is None else np.asarray(gt)[None]
    R = len(pred)
    cols = 3 if gt is not None else 2
    fig = plt.figure(figsize=(3.2 * cols, 3.0 * R))
    for r in range(R):
        ax = fig.add_subplot(R, cols, r * cols + 1)
        draw_2d(ax, p2d[r], skeleton)
        ax.set_xticks([]), ax.set_yticks([])
        if r == 0:
            ax.set_title(titles[0])
        if row_labels:
            ax.set_ylabel(row_labels[r], fontsize=8)
        for k, pose in enumerate([pred[r]] + ([gt[r]] if gt is not None else [])):
            ax3 = fig.add_subplot(R, cols, r * cols + 2 + k, projection="3d")
            draw_3d(ax3, pose, skeleton, radius=0.85)
            if r == 0:
                ax3.set_title(titles[1 + k])
    fig.tight_layout()
    if path is not None:
        from .fileio import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=90, format=Path(path).suffix.lstrip(".") or "png")
        plt.close(fig)
    return fig


def forecast_animation(past: np.ndarray, pred: np.ndarray, true: np.ndarray | None, skeleton="h36m17",
                       path: str | os.PathLike = "forecast.gif", fps: float = 25.0, radius: float = 1.0):
    """GIF of a forecast: the observed frames (grey), then the prediction (red) beside the true
    continuation (green) where available. Poses are world-frame (+y up), pelvis-relative."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    sk = get_skeleton(skeleton)
    frames = [("observed", p, None) for p in past]
    for k, p in enumerate(pred):
        frames.append((f"+{1000 * (k + 1) / fps:.0f} ms", p, None if true is None or k >= len(true) else true[k]))
    fig = plt.figure(figsize=(4.2, 4.2))
    ax = fig.add_subplot(111, projection="3d")

    def draw(i):
        ax.cla()
        label, p, t = frames[i]
        if label == "observed":
            draw_3d(ax, p, sk, camera_frame=False, color="0.35", radius=radius)
        else:
            draw_3d(ax, p, sk, camera_frame=False, color="tab:red", radius=radius)
            if t is not None:
                draw_3d(ax, t, sk, camera_frame=False, color="tab:green", alpha=0.6, radius=radius)
        ax.set_title(f"{label}   (grey: observed, red: predicted, green: true)", fontsize=7)
        return []

    anim = FuncAnimation(fig, draw, frames=len(frames), blit=False)
    from .fileio import atomic_path

    with atomic_path(path) as tmp:
        anim.save(tmp, writer=PillowWriter(fps=fps / 2))
    plt.close(fig)
    return Path(path)
