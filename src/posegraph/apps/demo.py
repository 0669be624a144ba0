"""``posegraph demo``: the main job on the bundled data, nothing from outside the repository.

Evaluates the no-training floors and every shipped pretrained model on the committed
benchmarks, prints one summary table, lifts a test take and draws 2D input, predicted 3D
and ground truth side by side into the output folder.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import torch

from ..data.forecast import load_forecast
from ..data.lift import load_lift
from ..evaluate import evaluate_forecast, evaluate_lift
from ..fileio import save_json, write_text
from ..pipeline import Pipeline, list_pretrained, pretrained, run_batched
from ..skeleton import H36M17
from ..tasks import FORECAST, LIFT, get_task

MARKER = ".posegraph-demo"


def _prepare_out(out: Path) -> Path:
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            from ..errors import PosegraphError

            raise PosegraphError(f"{out}: exists and was not written by `posegraph demo`; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_text(out / MARKER, "written by posegraph demo; overwritten on every run\n")
    return out


def run_demo(out: str | Path = "posegraph-demo", quick: bool = False) -> dict:
    t0 = time.time()
    out = _prepare_out(Path(out))
    torch.set_grad_enabled(False)
    lift_test = load_lift("test", "gt")
    lift_noisy = load_lift("test", "noisy")
    fc_test = load_forecast("test").to_samples()
    if quick:
        lift_test, lift_noisy = lift_test.subset(slice(None, None, 8)), lift_noisy.subset(slice(None, None, 8))

    lift_models: list[tuple[str, Pipeline]] = []
    mean = Pipeline("mean-pose", {"skeleton": "h36m17"})
    tr = load_lift("train", "gt", validation="exclude")
    mean.model.prepare(tr.p3d)
    lift_models.append(("mean-pose (floor)", mean))
    fc_models: list[tuple[str, Pipeline]] = [("zero-velocity (floor)", Pipeline("zero-velocity")),
                                             ("constant-velocity", Pipeline("constant-velocity"))]
    for name in list_pretrained():
        p = pretrained(name)
        {LIFT: lift_models, FORECAST: fc_models}[get_task(p)].append((name, p))

    rows, results = [], {}

    def shown(name, p):  # * marks test-time mirroring (pipeline.Pipeline.flip_test)
        return name + (" *" if p.flip_test else "")

    for name, p in lift_models:
        g, n = evaluate_lift(p, lift_test), evaluate_lift(p, lift_noisy)
        results[name] = {"gt": g, "noisy": n}
        rows.append(f"| {shown(name, p)} | lift | {p.num_parameters():,} | {g['mpjpe']:.1f} | {g['p_mpjpe']:.1f} | {n['mpjpe']:.1f} | | |")
    for name, p in fc_models:
        r = evaluate_forecast(p, fc_test)
        results[name] = {"gt": r}
        rows.append(f"| {shown(name, p)} | forecast | {p.num_parameters():,} | | | | {r['mpjpe_at']['400']:.1f} | {r['mpjpe_at']['1000']:.1f} |")
    table = "\n".join([
        f"posegraph demo: mocap-lift test ({len(lift_test)} samples), mocap-forecast test ({len(fc_test)} windows)", "",
        "| model | task | params | MPJPE gt (mm) | P-MPJPE gt (mm) | MPJPE noisy (mm) | MPJPE @400 ms | MPJPE @1000 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|", *rows]
        + (["", "* test-time mirroring: the prediction is averaged with that of the mirrored input "
            "(`posegraph eval --no-mirror` gives one pass)."]
           if any(p.flip_test for _, p in lift_models + fc_models) else []))
    print(table)

    # Lift one test take with the best lifting model and draw it.
    best_name, best = min(lift_models, key=lambda m: results[m[0]]["gt"]["mpjpe"])
    sel = np.flatnonzero((lift_test.seq == "walking_1") & (lift_test.cam == 0))
    if len(sel) == 0:
        sel = np.flatnonzero(lift_test.cam == 0)[:200]
    frames = sel[np.linspace(0, len(sel) - 1, 4).astype(int)]
    idx = H36M17.subset_indices(best.skeleton)
    pred = run_batched(best, lift_test.p2d[frames][:, idx])["pose"]
    from ..viz import lift_figure

    png = lift_figure(lift_test.p2d[frames][:, idx], pred, lift_test.p3d[frames][:, idx], skeleton=best.skeleton,
                      titles=("2D input", f"predicted 3D ({best_name})", "ground-truth 3D"),
                      path=out / "lift_walking.png",
                      row_labels=[f"{lift_test.seq[f]} frame {lift_test.frame[f]}" for f in frames])
    write_text(out / "summary.md", table + "\n")
    save_json(out / "summary.json", {k: {s: {kk: vv for kk, vv in v.items() if not isinstance(vv, dict) or kk.startswith("mpjpe")}
                                          for s, v in r.items()} for k, r in results.items()})
    print(f"\nwrote {out / 'summary.md'}, {out / 'lift_walking.png'} in {time.time() - t0:.0f} s")
    return results
