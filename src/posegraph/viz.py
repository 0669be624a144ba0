"""Skeleton plots (matplotlib, Agg): 2D inputs, 3D poses, side-by-side comparisons, and the
video of a ``posegraph lift`` result (:func:`render_lift_video`)."""

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


# ---------------------------------------------------------------------------------------
# The video of a lift result (posegraph lift --render)
# ---------------------------------------------------------------------------------------


def _frame_source(video, image, images, frame_ids):
    """Yield an RGB frame (or None) per entry of ``frame_ids``, streamed."""
    from .detect import IMAGE_EXTENSIONS
    from .video import iter_frames, read_image

    if video is not None:
        got = iter_frames(video, sorted(set(int(f) for f in frame_ids)))
        pending = next(got, None)
        for fid in frame_ids:
            fid = int(fid)
            while pending is not None and pending[0] < fid:
                pending = next(got, None)
            yield pending[1] if pending is not None and pending[0] == fid else None
    elif image is not None:
        img = read_image(image)
        for _ in frame_ids:
            yield img
    elif images is not None:
        names = sorted(q for q in Path(images).iterdir() if q.suffix.lower() in IMAGE_EXTENSIONS)
        for fid in frame_ids:
            yield read_image(names[int(fid)]) if int(fid) < len(names) else None
    else:
        for _ in frame_ids:
            yield None


def _fit_rgba(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size = (w, h)`` pixels (the panel's size, so matplotlib need not resample) as RGBA."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(img[..., :3]))
    if im.size != size:
        im = im.resize(size, Image.BILINEAR)
    return np.asarray(im.convert("RGBA"))


def render_lift_video(path, p2d: np.ndarray, p3d: np.ndarray, skeleton3d, *, image_size, frame_ids=None,
                      video=None, image=None, images=None, filled=None, hypotheses=None, weights=None,
                      fps: float = 30.0, turn: float = 0.0, radius: float = 0.9, progress: bool = True,
                      width_px: int = 1120, detected=None, interpolated=None, track_id=None) -> Path:
    """Render [frame + 2D skeleton | 3D skeleton] per frame to an MP4 or GIF (by ``path``'s suffix).

    ``p2d`` ``(F, 17, 2)`` pixels (h36m17); ``p3d`` ``(F, J, 3)`` camera-frame metres in
    ``skeleton3d``; ``hypotheses`` ``(F, M, J, 3)`` with ``weights`` ``(F, J, M)`` are drawn
    with opacity proportional to their joint-averaged weight. The 3D axes are fixed
    (``radius`` metres around the pelvis); ``turn`` degrees per frame turns the view.
    Frames are streamed from ``video`` (or ``image``/``images``); without one, a grey canvas.
    A frame with ``detected`` False (and not ``interpolated``) shows no skeleton and "no
    detection"; interpolated frames and track ids are labelled. The 3D axes are in metres.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .video import VideoWriter

    sk2, sk3 = get_skeleton("h36m17"), get_skeleton(skeleton3d)
    F = len(p2d)
    frame_ids = np.arange(F) if frame_ids is None else np.asarray(frame_ids)
    W, H = image_size
    dpi = 100
    left_w = width_px - 420
    left_h = max(200, int(round(left_w * H / W)))
    fig_h = max(left_h, 420)
    fig_h += fig_h % 2
    fig = plt.figure(figsize=(width_px / dpi, fig_h / dpi), dpi=dpi)
    ax2 = fig.add_axes([0.0, 0.0, left_w / width_px, 1.0])
    ax3 = fig.add_axes([left_w / width_px, 0.0, 420 / width_px, 0.92], projection="3d")
    ax2.set_axis_off()
    canvas = np.full((8, 8, 3), 200, np.uint8)
    im = ax2.imshow(canvas, extent=(0, W, H, 0), interpolation="nearest")
    ax2.set_xlim(0, W), ax2.set_ylim(H, 0)
    cols2, cols3 = bone_colors(sk2), bone_colors(sk3)
    lines2 = [ax2.plot([], [], color=c, lw=2.5)[0] for c in cols2]
    dots2 = ax2.scatter(np.zeros(17), np.zeros(17), s=10, color="k", zorder=3)
    miss2 = ax2.scatter([], [], s=60, facecolors="none", edgecolors="red", linewidths=1.5, zorder=4)
    title = ax2.text(0.01, 0.99, "", transform=ax2.transAxes, va="top", ha="left", fontsize=9,
                     color="w", bbox=dict(facecolor="k", alpha=0.5, lw=0))

    def cam(P):  # camera frame (x right, y down, z forward) -> plot (x, depth, up)
        P = np.asarray(P, dtype=np.float64)
        return np.stack([P[..., 0], P[..., 2], -P[..., 1]], axis=-1)

    M = 0 if hypotheses is None else hypotheses.shape[1]
    hyp_lines = [[ax3.plot([], [], [], color="tab:purple", lw=1.2, alpha=0.3)[0] for _ in sk3.edges]
                 for _ in range(M)]
    lines3 = [ax3.plot([], [], [], color=c, lw=2.5)[0] for c in cols3]
    ax3.set_xlim(-radius, radius), ax3.set_ylim(-radius, radius), ax3.set_zlim(-radius, radius)
    ax3.set_box_aspect((1, 1, 1))
    ax3.set_xlabel("x (m)", fontsize=8), ax3.set_ylabel("depth (m)", fontsize=8), ax3.set_zlabel("up (m)", fontsize=8)
    ticks = [-0.5, 0.0, 0.5]
    ax3.set_xticks(ticks), ax3.set_yticks(ticks), ax3.set_zticks(ticks)
    ax3.tick_params(labelsize=7)
    nodet = ax3.text2D(0.5, 0.5, "", transform=ax3.transAxes, ha="center", va="center", fontsize=14, color="red")
    ax3.set_title("3D (camera frame, pelvis-relative)" + (f", {M} hypotheses" if M else ""), fontsize=9)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=F, desc="render", unit="frame")
    try:
        with VideoWriter(path, fps=fps) as wr:
            for i, frame in enumerate(_frame_source(video, image, images, frame_ids)):
                if frame is not None:
                    im.set_data(_fit_rgba(frame, (left_w, left_h)))
                elif i == 0:
                    im.set_data(canvas)
                shown = detected is None or bool(detected[i]) or (interpolated is not None and bool(interpolated[i]))
                P = p2d[i] if shown else np.full_like(np.asarray(p2d[i], dtype=np.float64), np.nan)
                for (a, b), ln in zip(sk2.edges, lines2):
                    ln.set_data(P[[a, b], 0], P[[a, b], 1])
                dots2.set_offsets(P)
                if shown and filled is not None and filled[i].any():
                    miss2.set_offsets(P[filled[i]])
                else:
                    miss2.set_offsets(np.zeros((0, 2)))
                nf = 0 if filled is None else int(filled[i].sum())
                label = f"frame {int(frame_ids[i])}"
                if not shown:
                    label += "  no detection"
                elif interpolated is not None and interpolated[i]:
                    label += "  interpolated (no detection)"
                elif nf:
                    label += f"  ({nf} joints filled)"
                if track_id is not None and track_id[i] >= 0:
                    label += f"  track {int(track_id[i])}"
                title.set_text(label)
                nodet.set_text("" if shown else "no detection")
                Q = cam(p3d[i])
                for (a, b), ln in zip(sk3.edges, lines3):
                    ln.set_data_3d(Q[[a, b], 0], Q[[a, b], 1], Q[[a, b], 2])
                if M and not np.isfinite(hypotheses[i]).all():
                    for m in range(M):
                        for ln in hyp_lines[m]:
                            ln.set_data_3d([], [], [])
                elif M:
                    wm = weights[i].mean(0) if weights is not None else np.full(M, 1.0 / M)
                    wm = wm / max(wm.max(), 1e-9)
                    Hq = cam(hypotheses[i])
                    for m in range(M):
                        for (a, b), ln in zip(sk3.edges, hyp_lines[m]):
                            ln.set_data_3d(Hq[m, [a, b], 0], Hq[m, [a, b], 1], Hq[m, [a, b], 2])
                            ln.set_alpha(float(0.05 + 0.6 * wm[m]))
                ax3.view_init(elev=15, azim=-70 + turn * i)
                fig.canvas.draw()
                wr.write(np.asarray(fig.canvas.buffer_rgba())[..., :3])
                if bar is not None:
                    bar.update(1)
    finally:
        plt.close(fig)
        if bar is not None:
            bar.close()
    return Path(path)
