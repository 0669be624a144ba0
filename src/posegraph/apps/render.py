"""The video of a ``posegraph lift`` result (:func:`render_lift_video`): the frame with its 2D
skeleton on the left, the 3D skeleton on fixed axes on the right, in the colours of
:func:`posegraph.viz.bone_colors`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..skeleton import get_skeleton
from ..viz import bone_colors

__all__ = ["render_lift_video"]


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
