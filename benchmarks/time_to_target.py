"""Wall-clock training time of the shipped lifters to the official SemGCN code's test MPJPE, each
trained alone on the machine.

Each row's config (benchmarks/catalogue.py, or table 1b's exact-2D rows of benchmarks/lift.py) is
trained from scratch with ``train.test_curve`` (the test MPJPE, gt inputs, after each validation;
never used for any choice) with nothing else running; the run stops as soon as the test error
reaches the target (56.0 mm: the official SemGCN code on these training samples, 1,529 s on this
machine), or when its schedule ends. The time counted is the training's own wall clock up to that
validation (imports, data loading and K-means are not counted, as in lift.md's train times).

    python benchmarks/time_to_target.py --rows semgcn,modulated-gcn   # measure, write time_to_56.json/.md
    python benchmarks/time_to_target.py --rows global-node --from-run runs/long/global-node
        # read a full training's test curve instead (it must have been trained alone, with train.test_curve)
    python benchmarks/time_to_target.py --report                       # only rewrite the .md from the .json

Run it on an otherwise idle machine: the point is the time alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import LIFTERS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
RUNS = REPO / "runs" / "time"
TARGET_MM = 56.0
TARGET_SECONDS = 1529


def rows() -> dict:
    """Row id -> (label, config) of every shipped lifter (table 1 and table 1b)."""
    from lift import EXACT, exact_ship_names, shipped_label

    out = {m.row: (m.label, m.config) for m in LIFTERS if m.shipped}
    for rid, name in exact_ship_names(from_record=True).items():  # table 1b's rows under their shipped names
        label, cfg = next((e[1], e[2]) for e in EXACT if e[0] == rid)
        out[name] = (shipped_label(label, name), cfg)
    return out


def read_curve(run: Path) -> list[tuple[int, float, float]]:
    f = run / "test_curve.csv"
    if not f.exists():
        return []
    return [(int(a), float(b), float(c)) for a, b, c in
            (line.split(",") for line in f.read_text().splitlines()[1:] if line.strip())]


def measure(rid: str, config: str, target: float, max_minutes: float) -> dict:
    """Train ``config`` alone until its test MPJPE reaches ``target`` (or its schedule ends)."""
    run = RUNS / rid
    args = [sys.executable, "-m", "posegraph.cli", "train", "--no-progress", "--config", str(REPO / config),
            "--out", str(run), "--overwrite", "--set", "train.test_curve=true"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)}
    run.parent.mkdir(parents=True, exist_ok=True)
    with open(RUNS / f"{rid}.log", "w") as log:
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        t0, hit = time.time(), None
        while p.poll() is None and time.time() - t0 < max_minutes * 60:
            time.sleep(5)
            hit = next((c for c in read_curve(run) if c[2] <= target), None)
            if hit:
                break
        if p.poll() is None:
            p.kill()
            p.wait()
    return reached(read_curve(run), target)


def reached(curve: list, target: float) -> dict:
    """A row's record from its test curve: the curve, and the first validation at or below ``target``."""
    res = {"curve": curve, "cpu_count": os.cpu_count()}
    hit = next((c for c in curve if c[2] <= target), None)
    if hit:
        res.update(step=hit[0], seconds=hit[1], test_mpjpe=hit[2])
    return res


def from_run(run: Path, target: float) -> dict:
    """The time to ``target`` read from a finished training's ``test_curve.csv`` (a run trained alone
    with ``train.test_curve``, e.g. the shipped row's own training: it is not stopped at the target)."""
    curve = read_curve(run)
    if not curve:
        raise SystemExit(f"--from-run: {run} has no test_curve.csv (train it with --set train.test_curve=true)")
    return {**reached(curve, target), "run": str(run.relative_to(REPO) if run.is_relative_to(REPO) else run)}


def markdown(report: dict) -> str:
    target = report.get("target_mm", TARGET_MM)
    md = ["# Time to the official SemGCN code's test MPJPE, each model trained alone", "",
          f"Each shipped lifter trained from scratch with its shipped config, alone on the measuring machine "
          f"({report.get('cpu_count', '?')} CPU cores; the configs train on one thread), until its test MPJPE (gt inputs, "
          f"measured after each validation, reported only) first reached {target} mm, the official SemGCN code's on "
          f"these samples, which took {TARGET_SECONDS:,} s on this machine. Time: the training's own wall clock up to "
          "that validation, the validations and test measurements on the way included (imports, data loading and "
          "K-means not). Regenerate: `python benchmarks/time_to_target.py --rows ROW,...`.", "",
          "| model | time to target | step | test MPJPE there | config |", "|---|---|---|---|---|"]
    for rid, r in report.get("rows", {}).items():
        if r.get("seconds") is not None:
            when, step, err = f"{r['seconds'] / 60:.1f} min ({r['seconds']:.0f} s)", str(r["step"]), f"{r['test_mpjpe']:.1f}"
        else:
            best = min(r["curve"], key=lambda c: c[2]) if r.get("curve") else None
            when = "not reached" + (f" (best {best[2]:.1f} mm at step {best[0]})" if best else "")
            step, err = "–", "–"
        run = f" (read from the curve of its full training, `{r['run']}`)" if r.get("run") else ""
        md.append(f"| {r['label']} | {when} | {step} | {err} | `{r['config']}`{run} |")
    return "\n".join(md) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default=None, help="comma-separated row ids (default: every shipped lifter)")
    ap.add_argument("--target", type=float, default=TARGET_MM)
    ap.add_argument("--max-minutes", type=float, default=60.0, help="stop a row that has not reached the target by then")
    ap.add_argument("--from-run", type=Path, default=None,
                    help="with one row: read the time from this run's test_curve.csv instead of training")
    ap.add_argument("--report", action="store_true", help="only rewrite the .md from the .json")
    a = ap.parse_args()
    if a.from_run is not None and (not a.rows or "," in a.rows):
        print("--from-run: give exactly one row with --rows", file=sys.stderr)
        return 2
    from posegraph.fileio import save_json, write_text

    jf = OUT / "time_to_56.json"
    report = json.loads(jf.read_text()) if jf.exists() else {"target_mm": a.target, "rows": {}}
    if not a.report:
        known = rows()
        for rid in (a.rows.split(",") if a.rows else list(known)):
            if rid not in known:
                print(f"--rows: no shipped lifter {rid!r} (known: {', '.join(known)})", file=sys.stderr)
                return 2
            label, cfg = known[rid]
            if a.from_run is not None:
                r = from_run(a.from_run.resolve(), a.target)
            else:
                print(f"training {rid} alone until test MPJPE <= {a.target} mm ...", flush=True)
                r = measure(rid, cfg, a.target, a.max_minutes)
            report["rows"][rid] = {"label": label, "config": cfg, **r}
            report["cpu_count"] = r["cpu_count"]
            print(f"  {rid}: " + (f"{r['seconds']:.0f} s (step {r['step']})" if "seconds" in r else "not reached"), flush=True)
            save_json(jf, report)
    write_text(OUT / "time_to_56.md", markdown(report))
    print(f"wrote {OUT / 'time_to_56.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
