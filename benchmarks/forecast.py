"""Forecasting on mocap-forecast: zero/constant velocity, STS-GCN, SeS-GCN teacher and student.

Writes benchmarks/results/forecast.md, forecast.json and forecast_horizons.png: MPJPE (mm) at and
averaged up to 80/160/320/400/560/1000 ms, per action and overall, parameter counts, sparsity,
training wall time, and forward-pass runtime (median of many runs after warm-up, batch 1 and
256, eager PyTorch / torch.compile / ONNX Runtime).

    python benchmarks/forecast.py            # evaluate what exists
    python benchmarks/forecast.py --train    # train missing runs first (teacher before student)
    python benchmarks/forecast.py --train --ship
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
RUNS = REPO / "runs" / "forecast"
HORIZONS = ("80", "160", "320", "400", "560", "1000")

# row id, label, config, shipped name
ROWS = [
    ("zero-velocity", "Zero velocity", None, None),
    ("constant-velocity", "Constant velocity", None, None),
    ("sts-gcn", "STS-GCN (shipped `sts-gcn`)", "configs/forecast/sts_gcn.yaml", "sts-gcn"),
    ("sts-gcn-residual", "STS-GCN, residual output (ablation)", "configs/forecast/ablations/sts_gcn_residual.yaml", None),
    ("ses-teacher", "SeS-GCN teacher (dense)", "configs/forecast/ses_gcn_teacher.yaml", None),
    ("ses-gcn", "SeS-GCN student (sparse, shipped `ses-gcn`)", "configs/forecast/ses_gcn.yaml", "ses-gcn"),
]


def _train_args(rid: str, cfg: str) -> list[str]:
    run = RUNS / rid
    args = [sys.executable, "-m", "posegraph.cli", "train", "--no-progress"]
    if (run / "checkpoints" / "last.ckpt").exists():
        return args + ["--resume", str(run)]
    args += ["--config", str(REPO / cfg), "--out", str(run), "--overwrite"]
    if rid == "ses-gcn":
        args += ["--set", f"model.teacher={RUNS / 'ses-teacher' / 'model.pt'}"]
    return args


def train(ids: list[str], jobs: int = 2) -> None:
    """Train missing rows, `jobs` at a time; the student (ses-gcn) after its teacher."""
    waves = [[r for r in ROWS if r[2] and r[0] != "ses-gcn"], [r for r in ROWS if r[0] == "ses-gcn"]]
    RUNS.mkdir(parents=True, exist_ok=True)
    for wave in waves:
        todo = [(rid, cfg) for rid, _, cfg, _ in wave if rid in ids and not (RUNS / rid / "model.pt").exists()]
        running = []
        while todo or running:
            while todo and len(running) < jobs:
                rid, cfg = todo.pop(0)
                print("training", rid, flush=True)
                log = open(RUNS / f"{rid}.log", "w")
                running.append((rid, subprocess.Popen(_train_args(rid, cfg), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)))
            time.sleep(5)
            for rid, p in list(running):
                if p.poll() is not None:
                    running.remove((rid, p))
                    print(f"finished {rid}: exit {p.returncode}", flush=True)


def load(rid: str, shipped: str | None):
    from posegraph.pipeline import Pipeline, list_pretrained, load_model_file, pretrained, pretrained_dir, read_model_file

    if rid in ("zero-velocity", "constant-velocity"):
        return Pipeline(rid), "no training", {}
    if shipped and shipped in list_pretrained():
        return pretrained(shipped), f"shipped `{shipped}`", read_model_file(pretrained_dir() / f"{shipped}.pt").get("metrics", {})
    f = RUNS / rid / "model.pt"
    if f.exists():
        return load_model_file(f), f"runs/forecast/{rid}/model.pt", read_model_file(f).get("metrics", {})
    return None, None, None


def runtime(pipe, batch: int, backend: str, runs: int = 200) -> float | None:
    """Median forward time in ms (after warm-up) of a (batch, 10, J, 3) input."""
    try:
        from posegraph.runtime import make_predictor
    except ImportError:
        return None
    J = pipe.skeleton.num_joints
    x = np.random.default_rng(0).standard_normal((batch, 10, J, 3)).astype(np.float32) * 0.3
    try:
        f = make_predictor(pipe, backend=backend)
    except Exception as e:  # a backend that is not available here
        print(f"  {backend}: unavailable ({e})")
        return None
    n = runs if batch == 1 else max(20, runs // 10)
    for _ in range(max(10, n // 10)):
        f(x)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f(x)
        ts.append(time.perf_counter() - t)
    return float(np.median(ts) * 1000.0)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for rid, r in results.items():
        at = r["report"]["mpjpe_at"]
        ax.plot([int(h) for h in at], list(at.values()), marker="o", label=r["label"])
    ax.set(xlabel="horizon (ms)", ylabel="MPJPE at horizon (mm)", title="mocap-forecast test (492 windows)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    from posegraph.fileio import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def fmt(x, nd=1):
    return "–" if x is None else f"{x:.{nd}f}"


def render(results: dict, missing: list[str]) -> str:
    md = ["# Forecasting on mocap-forecast", "",
          "10 past frames (400 ms) → 25 future frames (1 s) at 25 fps, 17 joints, pelvis-relative; 492 test windows "
          "(start frames 0, 10, 20, … of every test take). MPJPE in mm over all 17 joints. Trained on the training split; "
          "validation on whole held-out training takes. Regenerate: `python benchmarks/forecast.py --train`.", "",
          "## MPJPE at each horizon (mm)", "",
          "| method | params | " + " | ".join(f"{h} ms" for h in HORIZONS) + " | mean 0-1000 |",
          "|---|---:|" + "---:|" * (len(HORIZONS) + 1)]
    for rid, r in results.items():
        rep = r["report"]
        md.append(f"| {r['label']} | {r['params']:,} | " + " | ".join(fmt(rep["mpjpe_at"].get(h)) for h in HORIZONS)
                  + f" | {fmt(rep.get('mpjpe_mean'))} |")
    md += ["", "## MPJPE averaged over the frames up to each horizon (mm)", "",
           "| method | " + " | ".join(f"≤{h} ms" for h in HORIZONS) + " |", "|---|" + "---:|" * len(HORIZONS)]
    for rid, r in results.items():
        md.append(f"| {r['label']} | " + " | ".join(fmt(r["report"]["mpjpe_upto"].get(h)) for h in HORIZONS) + " |")
    md += ["", "## Cost", "",
           "| method | params (effective) | sparsity | train time | forward b=1 eager | b=1 compile | b=1 ONNX RT | b=256 eager | b=256 compile | b=256 ONNX RT |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for rid, r in results.items():
        rt = r.get("runtime", {})
        wall = r.get("train_wall_seconds")
        md.append(f"| {r['label']} | {r.get('effective_params', r['params']):,} | {r.get('sparsity', '–')} | "
                  f"{fmt(wall / 60 if wall else None)} min | " + " | ".join(
                      f"{fmt(rt.get(f'{b}_{k}'), 2)} ms" if rt.get(f"{b}_{k}") is not None else "–"
                      for b in (1, 256) for k in ("torch", "compile", "onnx")) + " |")
    md += ["", "Runtime: median of 200 (batch 1) or 20+ (batch 256) forward passes after warm-up, in this process, "
           "on this machine's 2 CPU cores; SeS-GCN's paper reports 2.3 ms per forward pass (on its own hardware).", ""]
    actions = sorted({a for r in results.values() for a in r["report"].get("action", {})})
    md += ["## Per action: MPJPE at 400 ms / 1000 ms (mm)", "", "| action | " + " | ".join(r["label"] for r in results.values()) + " |",
           "|---|" + "---:|" * len(results)]
    for a in actions:
        cells = []
        for r in results.values():
            v = r["report"].get("action", {}).get(a, {})
            cells.append(f"{fmt(v.get('mpjpe_at', {}).get('400'))} / {fmt(v.get('mpjpe_at', {}).get('1000'))}")
        md.append(f"| {a} | " + " | ".join(cells) + " |")
    zv = results.get("zero-velocity")
    if zv:
        md += ["", "## Against zero velocity", ""]
        for rid, r in results.items():
            if rid in ("zero-velocity", "constant-velocity"):
                continue
            worse = [h for h in HORIZONS if r["report"]["mpjpe_at"][h] >= zv["report"]["mpjpe_at"][h]]
            md.append(f"- {r['label']}: " + ("beats zero velocity at every horizon." if not worse else
                      f"does **not** beat zero velocity at {', '.join(h + ' ms' for h in worse)}; better at the others."))
        md += ["", "Why: the papers' models regress absolute future poses, so their first predicted frame is not "
               "anchored to the last observed pose and starts with an error of several centimetres, while zero "
               "velocity is exact at t = 0 and hard to beat at 80 ms on slow everyday motion. What was tried: a "
               "residual output (the network predicts displacements from the last observed pose, "
               "`configs/forecast/ablations/sts_gcn_residual.yaml`): it converged to zero velocity itself "
               "(its errors match the zero-velocity row within 0.3 mm up to 560 ms), a local minimum of the MPJPE "
               "loss at Adam 1e-2. The models were trained with short budgets (STS-GCN 2400 steps, SeS-GCN "
               "teacher and student 1000 steps each, so that the whole chain fit in this session); longer "
               "training, a lower learning rate for the residual variant, or blending the first frames with "
               "the last observed pose are the next things to try."]
    if missing:
        md += ["", "Not trained yet: " + ", ".join(missing)]
    md += ["", "![MPJPE against horizon](forecast_horizons.png)", ""]
    return "\n".join(md)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--ship", action="store_true")
    ap.add_argument("--no-runtime", action="store_true")
    a = ap.parse_args()
    ids = [r[0] for r in ROWS]
    if a.train:
        train(ids)
    if a.ship:
        from posegraph.pipeline import ship_model

        for rid, _, _, shipped in ROWS:
            if shipped and (RUNS / rid / "model.pt").exists():
                print(f"shipped {rid} as {ship_model(RUNS / rid / 'model.pt', shipped)}")
    from posegraph.data.forecast import load_forecast
    from posegraph.evaluate import evaluate_forecast
    from posegraph.fileio import save_json, write_text

    test = load_forecast("test").to_samples()
    results, missing = {}, []
    for rid, label, cfg, shipped in ROWS:
        pipe, source, meta = load(rid, shipped)
        if pipe is None:
            missing.append(rid)
            continue
        rep = evaluate_forecast(pipe, test)
        run_metrics = RUNS / rid / "metrics.json"
        if run_metrics.exists():  # the run's own record, for model files written before it carried these
            meta = {**json.loads(run_metrics.read_text()), **meta}
        r = {"label": label, "source": source, "params": pipe.num_parameters(), "report": rep,
             "train_wall_seconds": meta.get("train_wall_seconds", meta.get("train_wall_seconds_this_session"))}
        sp = getattr(pipe.model, "sparsity", None)
        if sp is not None and getattr(pipe.model, "sparse", False):
            s = sp()
            r["sparsity"] = f"{100 * s.get('overall', np.nan):.1f}%"
            r["sparsity_detail"] = s
            r["effective_params"] = int(pipe.model.num_parameters(effective=True)) if hasattr(pipe.model, "num_parameters") else r["params"]
        if not a.no_runtime and cfg is not None:
            r["runtime"] = {f"{b}_{k}": runtime(pipe, b, k) for b in (1, 256) for k in ("torch", "compile", "onnx")}
        results[rid] = r
        print(f"{rid:18s} @400 {rep['mpjpe_at']['400']:.1f} @1000 {rep['mpjpe_at']['1000']:.1f} ({source})", flush=True)
    plot(results, OUT / "forecast_horizons.png")
    write_text(OUT / "forecast.md", render(results, missing))
    save_json(OUT / "forecast.json", results)
    print(f"wrote {OUT / 'forecast.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
