"""Frames per second of `posegraph lift VIDEO` on walk_demo.mp4: detector, lifter, renderer, end to end.

Usage::

    .venv/bin/python benchmarks/video_fps.py [--video ../shared/media/walk_demo.mp4]
        [--checkpoint semgcn] [--max-frames N]

Writes ``benchmarks/results/video_fps.md`` and ``.json``. Needs the detect environment
(``make detect-env``). Timings are wall-clock on this machine (whatever else runs on it
counts too); the detector is timed as the subprocess ``posegraph lift`` launches, so its
figure includes starting Python and loading the BlazePose models (given separately as the
time for a one-frame run).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from posegraph.apps.detect.runner import run_detector  # noqa: E402
from posegraph.pipeline import run_batched  # noqa: E402
from posegraph.fileio import save_json, write_text  # noqa: E402
from posegraph.io.keypoints import read_keypoints, fill_missing  # noqa: E402
from posegraph.apps.lift import lift_input, render_lift_video, to_model_input  # noqa: E402
from posegraph.pipeline import Pipeline, list_pretrained, load_model_file, resolve_checkpoint, save_model_file  # noqa: E402
from posegraph.skeleton import H36M17  # noqa: E402


def _timed(fn, *a, **k):
    t = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", default=os.environ.get("POSEGRAPH_SHARED", str(REPO.parent / "shared")) + "/media/walk_demo.mp4")
    ap.add_argument("--checkpoint", default=None, help="default: shipped 'semgcn' if present, else an untrained SemGCN")
    ap.add_argument("--max-frames", type=int, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        if args.checkpoint:
            ckpt = resolve_checkpoint(args.checkpoint)
        elif "semgcn" in list_pretrained():
            ckpt = resolve_checkpoint("semgcn")
        else:
            ckpt = td / "semgcn_untrained.pt"
            save_model_file(ckpt, Pipeline("semgcn", {"skeleton": "h36m16"}))
        pipe = load_model_file(ckpt)

        _, t_start = _timed(run_detector, args.video, td / "one.npz", max_frames=1, progress=False)
        det, t_det = _timed(run_detector, args.video, td / "det.npz", max_frames=args.max_frames, progress=False)
        kp = read_keypoints(det)
        F = kp.num_frames
        xy, conf = kp.to_h36m17()
        xy, filled = fill_missing(xy, conf)
        x = to_model_input(xy, kp.image_size)[0][:, H36M17.subset_indices(pipe.skeleton)].astype(np.float32)
        run_batched(pipe, x[:8])  # warm-up
        res, t_batch = _timed(run_batched, pipe, x)
        t = time.perf_counter()
        for i in range(F):
            run_batched(pipe, x[i:i + 1])
        t_single = time.perf_counter() - t
        pose = res["pose"]
        _, t_render = _timed(render_lift_video, td / "r.mp4", xy, pose, pipe.skeleton, image_size=kp.image_size,
                             video=args.video, filled=filled, fps=30.0, progress=False)
        _, t_e2e = _timed(lift_input, args.video, ckpt, td / "e2e", max_frames=args.max_frames, progress=False)
        _, t_e2e_r = _timed(lift_input, args.video, ckpt, td / "e2e_r", max_frames=args.max_frames,
                            progress=False, render=True)

    rows = {
        "detector (BlazePose full, subprocess, incl. start-up)": (t_det, F / t_det),
        "detector start-up (one-frame run)": (t_start, None),
        "lifter, all frames in one batch": (t_batch, F / t_batch),
        "lifter, one frame at a time": (t_single, F / t_single),
        "renderer (frame and 2D beside 3D, MP4)": (t_render, F / t_render),
        "end to end, `posegraph lift VIDEO`": (t_e2e, F / t_e2e),
        "end to end with --render": (t_e2e_r, F / t_e2e_r),
    }
    result = {
        "video": os.path.basename(args.video), "frames": F, "image_size": list(kp.image_size),
        "model": pipe.model_name, "checkpoint": ckpt.name, "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
        "torch": torch.__version__,
        "timings": {k: {"seconds": round(s, 3), "fps": None if f is None else round(f, 1)} for k, (s, f) in rows.items()},
    }
    lines = [f"# `posegraph lift` speed on {result['video']}", "",
             f"{F} frames, {kp.image_size[0]}x{kp.image_size[1]}; lifter `{pipe.model_name}` ({ckpt.name}); "
             f"CPU only, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads. "
             f"Wall-clock; other jobs on the machine count too. Made by `benchmarks/video_fps.py`.", "",
             "| stage | seconds | frames / s |", "| --- | ---: | ---: |"]
    for k, (s, f) in rows.items():
        lines.append(f"| {k} | {s:.2f} | {'' if f is None else f'{f:.1f}'} |")
    out = HERE / "results"
    save_json(out / "video_fps.json", result)
    write_text(out / "video_fps.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
