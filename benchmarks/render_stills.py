"""Stills of ``posegraph lift --render`` for the docs: frames of the rendered video as PNG.

``posegraph lift walk_demo.mp4 --checkpoint semgcn --render`` (unless ``--result`` names a lift
output folder that has ``lift.mp4``), then frames ``--frames`` of ``lift.mp4`` are written to
``docs/img/lift_walk_demo_frameNNN.png`` (the 3D panel's axes are labelled in metres).

Usage::

    .venv/bin/python benchmarks/render_stills.py [--result walk3d] [--frames 40 100 169 220]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from posegraph.apps.video import iter_frames  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--result", default=None, help="a lift output folder with lift.mp4 (default: lift the video now)")
    ap.add_argument("--video", default=str(REPO.parent / "shared/media/walk_demo.mp4"))
    ap.add_argument("--frames", type=int, nargs="+", default=[40, 100, 169, 220])
    args = ap.parse_args(argv)
    from PIL import Image

    with tempfile.TemporaryDirectory() as td:
        result = Path(args.result) if args.result else None
        if result is None:
            from posegraph.apps.lift import lift_input

            result = Path(lift_input(args.video, "semgcn", Path(td) / "lift", render=True, progress=False)["out"])
        mp4 = result / "lift.mp4"
        if not mp4.exists():
            print(f"{mp4}: absent (lift with --render)", file=sys.stderr)
            return 2
        for i, img in iter_frames(mp4, args.frames):
            png = REPO / "docs" / "img" / f"lift_walk_demo_frame{i:03d}.png"
            Image.fromarray(img).save(png, optimize=True)
            print(png.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
