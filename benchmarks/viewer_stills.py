"""The viewer in a real headless browser: stills for the docs and a check that it plays.

``posegraph lift walk_demo.mp4 --checkpoint semgcn`` (unless ``--result`` names a lift output),
then ``posegraph view`` of its first ``--frames`` frames; Chromium's headless shell
(``make browser``; Debian's ``chromium-headless-shell``, WebGL through SwiftShader) opens
``view.html#frame=N`` (the page moves its animation and slider to frame N) for each of two
frames and takes a screenshot. Checked: the skeleton's pixels differ between the two frames, and
the page logs no error to the console. Writes ``docs/img/view_walk_demo_frameNNN.png`` and
``benchmarks/results/viewer_check.json``.

Usage::

    .venv/bin/python benchmarks/viewer_stills.py [--result walk3d] [--shots 40 100]

Each screenshot renders WebGL in software: 10-30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from posegraph.fileio import save_json  # noqa: E402
from posegraph.apps.viewer import BROWSER, browser_screenshot, find_browser, write_view  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--result", default=None, help="a lift output folder (default: lift walk_demo.mp4 now)")
    ap.add_argument("--video", default=str(REPO.parent / "shared/media/walk_demo.mp4"))
    ap.add_argument("--frames", type=int, default=120, help="frames in the viewer")
    ap.add_argument("--shots", type=int, nargs=2, default=(40, 100))
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args(argv)
    if find_browser() is None:
        print(f"{BROWSER} not found: run `make browser` first", file=sys.stderr)
        return 2
    from PIL import Image

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        result = Path(args.result) if args.result else None
        if result is None:
            from posegraph.apps.lift import lift_input

            result = lift_input(args.video, "semgcn", td / "lift", progress=False, max_frames=args.frames)["out"]
        html = write_view(result, td / "view.html", max_frames=args.frames, title=Path(args.video).name)
        shots, errors, secs = [], [], []
        for f in args.shots:
            png = REPO / "docs" / "img" / f"view_walk_demo_frame{f:03d}.png"
            t = time.perf_counter()
            errors += browser_screenshot(html, png, frame=f, size=(1400, 700), timeout=args.timeout)
            shots.append(png)
            secs.append(round(time.perf_counter() - t, 1))
        a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in shots)
        left = slice(0, a.shape[1] * 6 // 10)  # the 3D panel
        changed = float((np.abs(a[:, left] - b[:, left]).sum(-1) > 30).mean())
    res = {"browser": BROWSER, "frames_in_viewer": args.frames, "shots": list(args.shots),
           "files": [os.path.relpath(p, REPO) for p in shots], "changed_3d_pixel_fraction": changed,
           "console_errors": errors, "seconds_per_shot": secs,
           "ok": bool(changed > 1e-3 and not errors)}
    save_json(HERE / "results" / "viewer_check.json", res)
    print(json.dumps(res, indent=2))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
