"""Floors that need no training, on the committed benchmarks.

Writes benchmarks/results/baselines.md and baselines.json: sample counts per split and source,
the mean-pose floor for mocap-lift (gt and noisy inputs), and zero- and constant-velocity
for mocap-forecast (MPJPE at and up to each horizon, per action).

    python benchmarks/baselines.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from posegraph.data.forecast import load_forecast
from posegraph.data.info import benchmark_counts, counts_markdown
from posegraph.data.lift import load_lift
from posegraph.evaluate import evaluate_forecast, evaluate_lift
from posegraph.fileio import save_json, write_text
from posegraph.metrics import report_to_markdown
from posegraph.pipeline import Pipeline

OUT = Path(__file__).resolve().parent / "results"


def main() -> int:
    t0 = time.time()
    counts = benchmark_counts()
    mean = Pipeline("mean-pose", {"skeleton": "h36m17"})
    mean.model.prepare(load_lift("train", "gt", validation="exclude").p3d)
    lift = {s: evaluate_lift(mean, load_lift("test", s)) for s in ("gt", "noisy")}
    fc_test = load_forecast("test").to_samples()
    fc = {n: evaluate_forecast(Pipeline(n), fc_test) for n in ("zero-velocity", "constant-velocity")}

    md = ["# Floors: baselines that need no training", "",
          "Regenerate with `python benchmarks/baselines.py`. Every learned model must beat these.", "",
          "## Sample counts", "", counts_markdown(counts),
          "Note: `cmu8` test is not person-disjoint from training (the CMU 8-action set reuses takes of "
          "subjects that are also in its training folder); `cmu` and `hdm05` test are person-disjoint.", "",
          "## mocap-lift: mean training pose (17 joints, camera frame, pelvis-relative)", ""]
    for s in ("gt", "noisy"):
        md.append(report_to_markdown(lift[s], title=f"mean pose, {s} inputs"))
        md.append("")
    md += ["## mocap-forecast: zero velocity and constant velocity", ""]
    for n, rep in fc.items():
        md.append(report_to_markdown(rep, title=n, forecast_columns="both"))
        md.append("")
    write_text(OUT / "baselines.md", "\n".join(md) + "\n")
    save_json(OUT / "baselines.json", {"counts": counts, "lift_mean_pose": lift, "forecast": fc})
    print(f"mean pose MPJPE gt {lift['gt']['mpjpe']:.1f} mm, noisy {lift['noisy']['mpjpe']:.1f} mm")
    for n, rep in fc.items():
        print(f"{n}: " + ", ".join(f"{h} ms {v:.1f}" for h, v in rep["mpjpe_at"].items()))
    print(f"wrote {OUT / 'baselines.md'} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
