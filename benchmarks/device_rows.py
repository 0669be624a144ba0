"""Train many benchmark rows at once on one accelerator, inside a fixed wall-clock budget.

Each row is a ``posegraph train`` process of its own (one CPU thread each, all sharing the
accelerator). A short calibration pass first trains every row for ``--calib-steps`` steps, all
at once, so that the step rate is measured under the same contention as the real run; the
schedule length is then the longest of ``--steps`` (e.g. 18000,9000,6000) that every row
finishes inside the budget, so that all rows share one protocol. What finished is packed
(model.pt, metrics.json, config.yaml, logs, test curve; no checkpoints) into one tar split into
parts of at most ``--part-mb`` MiB:

    python benchmarks/device_rows.py --rows abl/semgcn=configs/lift/ablations_long/semgcn.yaml,... \\
        --budget 430 --steps 18000,12000,9000,6000 --pack $OUT

Unpack here with ``cat rows.tar.* | tar x`` in the repository root (the runs land in runs/<row>).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def launch(rows: dict, out_root: Path, extra: list[str], env: dict, logs: Path) -> dict:
    procs = {}
    for rid, cfg in rows.items():
        out = out_root / rid
        out.parent.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "posegraph.cli", "train", "--no-progress", "--config", str(REPO / cfg),
                "--out", str(out), "--overwrite"] + extra
        log = open(logs / (rid.replace("/", "_") + ".log"), "w")
        procs[rid] = (subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env), log)
    return procs


def wait(procs: dict, deadline: float) -> dict:
    """Exit code of each process; those still running at the deadline are killed (code None)."""
    codes = {}
    while len(codes) < len(procs):
        for rid, (p, log) in procs.items():
            if rid not in codes and p.poll() is not None:
                codes[rid] = p.returncode
                log.close()
                print(f"  {rid}: exit {p.returncode} at {time.strftime('%H:%M:%S')}", flush=True)
        if time.time() > deadline:
            for rid, (p, log) in procs.items():
                if rid not in codes:
                    p.kill()
                    codes[rid] = None
                    print(f"  {rid}: killed at the deadline", flush=True)
            break
        time.sleep(1)
    return codes


def step_seconds(run: Path) -> float | None:
    """Seconds per step between the two validations of a calibration run (test_curve.csv)."""
    f = run / "test_curve.csv"
    if not f.exists():
        return None
    rows = list(csv.DictReader(f.open()))
    if len(rows) < 2:
        return None
    a, b = rows[-2], rows[-1]
    return (float(b["train_seconds"]) - float(a["train_seconds"])) / max(int(b["step"]) - int(a["step"]), 1)


def pack(out_root: Path, rids: list[str], dest: Path, part_mb: int) -> None:
    keep = ("model.pt", "metrics.json", "config.yaml", "report.md", "test_curve.csv", "logs/metrics.csv")
    tar_path = dest / "rows.tar"
    with tarfile.open(tar_path, "w") as tar:
        for rid in rids:
            for k in keep:
                f = out_root / rid / k
                if f.exists():
                    tar.add(f, arcname=f"runs/{rid}/{k}")
    data = tar_path.read_bytes()
    tar_path.unlink()
    size = part_mb * 2**20
    for i in range(0, max(len(data), 1), size):
        (dest / f"rows.tar.{i // size:02d}").write_bytes(data[i:i + size])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", required=True, help="comma-separated ROW=CONFIG (the run lands in runs/ROW)")
    ap.add_argument("--budget", type=float, required=True, help="seconds from now by which every row must be done")
    ap.add_argument("--steps", default="18000,12000,9000,6000,3000", help="schedule lengths to choose from, longest first")
    ap.add_argument("--calib-steps", type=int, default=500, help="0: no calibration (train at the first of --steps)")
    ap.add_argument("--startup", type=float, default=45.0, help="seconds a process needs before its first step and "
                                                               "after its last (imports, K-means, final evaluation)")
    ap.add_argument("--margin", type=float, default=0.85, help="fraction of the measured rate to plan with")
    ap.add_argument("--runs", default="runs", help="where the runs go (relative to the repository)")
    ap.add_argument("--pack", default=None, help="folder for the packed results (rows.tar.NN)")
    ap.add_argument("--part-mb", type=int, default=15)
    a = ap.parse_args()
    t_end = time.time() + a.budget
    rows = dict(x.split("=", 1) for x in a.rows.split(","))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)}
    runs = REPO / a.runs
    logs = runs / "device_logs"
    logs.mkdir(parents=True, exist_ok=True)
    if a.calib_steps <= 0:  # rates already known: the first length asked for, no calibration
        steps = int(a.steps.split(",")[0])
        print(f"no calibration: {len(rows)} rows x {steps} steps at once", flush=True)
        return finish(a, rows, runs, logs, env, t_end, steps)
    calib = runs / "device_calib"
    half = a.calib_steps // 2
    print(f"calibration: {len(rows)} rows x {a.calib_steps} steps at once", flush=True)
    t0 = time.time()
    codes = wait(launch(rows, calib, ["--set", f"train.max_steps={a.calib_steps}", "--set", f"train.val_every_steps={half}",
                                      "--set", "train.test_curve=true"], env, logs), t_end)
    calib_wall = time.time() - t0
    rates = {rid: step_seconds(calib / rid) for rid in rows}
    print("seconds per step:", json.dumps({k: (round(v, 4) if v else None) for k, v in rates.items()}), flush=True)
    ok = {rid: cfg for rid, cfg in rows.items() if codes.get(rid) == 0 and rates[rid]}
    if not ok:
        print("no row calibrated; nothing trained", flush=True)
        return 1
    left = t_end - time.time() - a.startup
    slowest = max(rates[r] for r in ok)
    steps = next((s for s in (int(x) for x in a.steps.split(",")) if s * slowest / a.margin <= left), None)
    print(f"calibration took {calib_wall:.0f} s; {left:.0f} s left for training; slowest {slowest * 1000:.1f} ms/step "
          f"-> {steps} steps", flush=True)
    if steps is None:
        return 1
    return finish(a, ok, runs, logs, env, t_end, steps)


def finish(a, ok: dict, runs: Path, logs: Path, env: dict, t_end: float, steps: int) -> int:
    """Train the rows at ``steps`` and pack what finished."""
    codes = wait(launch(ok, runs, ["--set", f"train.max_steps={steps}"], env, logs), t_end)
    done = [rid for rid, c in codes.items() if c == 0]
    print(f"finished {len(done)}/{len(ok)} rows at {steps} steps", flush=True)
    if a.pack:
        dest = Path(a.pack)
        dest.mkdir(parents=True, exist_ok=True)
        pack(runs, list(ok), dest, a.part_mb)  # a row killed at the deadline still brings its curves
        with tarfile.open(dest / "logs.tar.gz", "w:gz") as tar:
            tar.add(logs, arcname="device_logs")
        print("packed:", sorted(p.name for p in dest.iterdir()), flush=True)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
