"""Forecasting on mocap-forecast: reference predictors, the shipped STS-GCN and SeS-GCN, and the
ablation rows of their training recipe.

Writes benchmarks/results/forecast.md, forecast.json and forecast_horizons.png: MPJPE (mm) at and
averaged up to 40 (the first predicted frame) / 80 / 160 / 320 / 400 / 560 / 1000 ms, overall and
per action, the validation MPJPE each run was selected on, parameter counts, sparsity, training
wall time and forward-pass runtime.

    python benchmarks/forecast.py              # evaluate what exists (runs/ and shipped weights)
    python benchmarks/forecast.py --train      # train missing runs first (teacher before student)
    python benchmarks/forecast.py --ship       # copy the shipped rows' runs into the package
    python benchmarks/forecast.py --report     # only rewrite forecast.md from forecast.json

Measuring writes forecast.json; forecast.md is :func:`markdown` of it (``tests/test_benchmark_reports.py``
checks that).

Reference rows need no network: zero velocity (repeat the last observed pose), constant velocity,
and a linear least-squares map (ridge, the penalty chosen on the validation takes) from the past
displacements to the future displacements, relative to the last observed pose, on raw windows and
on heading-canonicalised ones.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalogue  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
RUNS = REPO / "runs"
HORIZONS = ("40", "80", "160", "320", "400", "560", "1000")
HORIZONS_MS = tuple(int(h) for h in HORIZONS)

# row id -> (label, config, run folder, shipped name, table)
ROWS = {
    "zero-velocity": ("Zero velocity (repeat the last pose)", None, None, None, "main"),
    "constant-velocity": ("Constant velocity", None, None, None, "main"),
    "linear": ("Linear least squares (raw windows)", None, None, None, "main"),
    "linear-heading": ("Linear least squares (canonical heading)", None, None, None, "main"),
    "sts-gcn": ("STS-GCN (shipped `sts-gcn`)", "configs/forecast/sts_gcn.yaml", "fc/sts-gcn", "sts-gcn", "main"),
    "ses-teacher": ("SeS-GCN teacher (dense)", "configs/forecast/ses_gcn_teacher.yaml", "ses-teacher", None, "main"),
    "ses-gcn": ("SeS-GCN student (sparse, shipped `ses-gcn`)", "configs/forecast/ses_gcn.yaml", "fc/ses-gcn", "ses-gcn", "main"),
    "sts_absolute": ("absolute output (the paper's), own heading, no augmentation",
                     "configs/forecast/ablations/sts_absolute.yaml", "fc-abl/sts_absolute", None, "ablation"),
    "sts_absolute_heading": ("absolute output, canonical heading, mirroring",
                             "configs/forecast/ablations/sts_absolute_heading.yaml", "fc-abl/sts_absolute_heading", None, "ablation"),
    "sts_residual_metres": ("residual output in metres (output scale 1), own heading",
                            "configs/forecast/ablations/sts_residual_metres.yaml", "fc-abl/sts_residual_metres", None, "ablation"),
    "sts_residual": ("residual output (mm units), own heading, no augmentation",
                     "configs/forecast/ablations/sts_residual.yaml", "fc-abl/sts_residual", None, "ablation"),
    "sts_residual_flip": ("residual (mm), own heading, mirroring",
                          "configs/forecast/ablations/sts_residual_flip.yaml", "fc-abl/sts_residual_flip", None, "ablation"),
    "sts_residual_rotate": ("residual (mm), random vertical rotations + mirroring",
                            "configs/forecast/ablations/sts_residual_rotate.yaml", "fc-abl/sts_residual_rotate", None, "ablation"),
    "sts_residual_heading": ("residual (mm), canonical heading, mirroring (the shipped recipe)",
                             "configs/forecast/ablations/sts_residual_heading.yaml", "fc-abl/sts_residual_heading", None, "ablation"),
    "sts_2500": ("STS-GCN, shipped recipe, 2500 steps (the release before)",
                 "configs/forecast/ablations/sts_2500.yaml", "fc-abl/sts_2500", None, "schedule"),
    "ses_2500": ("SeS-GCN student without playback speed, 2500 steps (the release before)",
                 "configs/forecast/ablations/ses_2500.yaml", "fc-abl/ses_2500", None, "schedule"),
    "sts_speed": ("STS-GCN, shipped recipe + playback speed U(0.75, 1.25)",
                  "configs/forecast/ablations/sts_speed.yaml", "fc-abl/sts_speed", None, "speed"),
    "ses_teacher_nospeed": ("SeS-GCN teacher (dense), without playback speed",
                            "configs/forecast/ablations/ses_teacher_nospeed.yaml", "fc-abl/ses_teacher_nospeed", None, "speed"),
    "ses_nospeed": ("SeS-GCN student, without playback speed (the previous release; its teacher: the dense one without it)",
                    "configs/forecast/ablations/ses_nospeed.yaml", "fc-abl/ses_nospeed", None, "speed"),
    "ses_teacher_3000": ("SeS-GCN teacher (dense), 3000 steps",
                         "configs/forecast/ablations/ses_teacher_3000.yaml", "fc-abl/ses_teacher_3000", None, "teacher"),
    "ses_long_teacher": ("SeS-GCN student from the 3000-step teacher's masks",
                         "configs/forecast/ablations/ses_long_teacher.yaml", "fc-abl/ses_long_teacher", None, "teacher"),
    "ses_teacher_scale": ("SeS-GCN teacher (dense) + body size U(0.9, 1.1)",
                          "configs/forecast/ablations/ses_teacher_scale.yaml", "fc-abl/ses_teacher_scale", None, "teacher"),
    "ses_scale": ("SeS-GCN student + body size U(0.9, 1.1) (its teacher: the dense one with it)",
                  "configs/forecast/ablations/ses_scale.yaml", "fc-abl/ses_scale", None, "teacher"),
}
TEACHER = {"ses-gcn": "ses-teacher", "ses_2500": "ses_teacher_nospeed", "ses_nospeed": "ses_teacher_nospeed",
           "ses_long_teacher": "ses_teacher_3000", "ses_scale": "ses_teacher_scale"}
"""Students and the row that trains their teacher."""
# the speed table: each recipe without and with the playback-speed augmentation
SPEED_ROWS = ("sts-gcn", "sts_speed", "ses_teacher_nospeed", "ses-teacher", "ses_nospeed", "ses-gcn")
# the schedule-length table: each short-schedule row above the shipped row it shortens
SCHEDULE_ROWS = ("sts_2500", "sts-gcn", "ses_2500", "ses_nospeed")
# the SeS-GCN variants table: each teacher, then the student trained from its masks
TEACHER_ROWS = ("ses-teacher", "ses_teacher_3000", "ses_teacher_scale", "ses-gcn", "ses_long_teacher", "ses_scale")
REFERENCE = ("zero-velocity", "constant-velocity", "linear", "linear-heading")


# ------------------------------------------------------------------------------- training

def _train_args(rid: str) -> list[str]:
    _, cfg, folder, _, _ = ROWS[rid]
    run = RUNS / folder
    args = [sys.executable, "-m", "posegraph.cli", "train", "--no-progress"]
    if (run / "checkpoints" / "last.ckpt").exists():
        return args + ["--resume", str(run)]
    args += ["--config", str(REPO / cfg), "--out", str(run), "--overwrite"]
    if rid in TEACHER:
        args += ["--set", f"model.teacher={RUNS / ROWS[TEACHER[rid]][2] / 'model.pt'}"]
    return args


def train(ids: list[str], jobs: int = 2) -> None:
    """Train missing rows, `jobs` at a time; the student (ses-gcn) after its teacher."""
    trainable = [r for r in ids if ROWS[r][1]]
    students = tuple(TEACHER)
    waves = [[r for r in trainable if r not in students], [r for r in trainable if r in students]]
    for wave in waves:
        todo = [r for r in wave if not (RUNS / ROWS[r][2] / "model.pt").exists()]
        running = []
        while todo or running:
            while todo and len(running) < jobs:
                rid = todo.pop(0)
                print("training", rid, flush=True)
                (RUNS / ROWS[rid][2]).parent.mkdir(parents=True, exist_ok=True)
                log = open(RUNS / f"{rid}.log", "w")
                running.append((rid, subprocess.Popen(_train_args(rid), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)))
            time.sleep(5)
            for rid, p in list(running):
                if p.poll() is not None:
                    running.remove((rid, p))
                    print(f"finished {rid}: exit {p.returncode}", flush=True)


# ------------------------------------------------------------------------------- reference rows

def canonical_rotations(past: np.ndarray, skeleton) -> np.ndarray:
    """(N, 3, 3) rotations about +y turning each window's last hip vector to +x: the models'
    :func:`posegraph.models.forecast_base.heading_rotation`, on numpy windows."""
    import torch

    from posegraph.models.forecast_base import heading_rotation

    R = heading_rotation(torch.as_tensor(past), skeleton.index("l_hip"), skeleton.index("r_hip"))
    return R.numpy()


class LinearForecaster:
    """Ridge regression from past to future displacements relative to the last observed pose."""

    def __init__(self, skeleton, canonical: bool):
        self.skeleton, self.canonical = skeleton, canonical

    def _features(self, past):
        R = canonical_rotations(past, self.skeleton) if self.canonical else np.broadcast_to(np.eye(3), (len(past), 3, 3))
        p = np.einsum("nij,ntvj->ntvi", R, past)
        last = p[:, -1:]
        return (p[:, :-1] - last).reshape(len(p), -1), last, R

    def fit(self, past, future, val_past, val_future, lambdas=(1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)):
        X, last, R = self._features(past)
        Y = (np.einsum("nij,ntvj->ntvi", R, future) - last).reshape(len(past), -1)
        X1 = np.hstack([X, np.ones((len(X), 1))])
        G, B = X1.T @ X1, X1.T @ Y
        best = None
        self.val = {}
        for lam in lambdas:
            reg = lam * len(X) * np.eye(G.shape[0])
            reg[-1, -1] = 0.0
            self.W = np.linalg.solve(G + reg, B)
            err = float(np.linalg.norm(self.predict(val_past) - val_future, axis=-1).mean() * 1000.0)
            self.val[lam] = err
            if best is None or err < best[0]:
                best = (err, lam, self.W)
        self.val_mpjpe, self.lam, self.W = best
        return self

    def predict(self, past):
        X, last, R = self._features(past)
        d = (np.hstack([X, np.ones((len(X), 1))]) @ self.W).reshape(len(past), -1, past.shape[2], 3)
        return np.einsum("nji,ntvj->ntvi", R, d + last)  # back to the window's heading


def reference_rows(test):
    from posegraph.data.forecast import load_forecast
    from posegraph.metrics import forecast_report
    from posegraph.skeleton import get_skeleton

    sk = get_skeleton("h36m17")
    tr = load_forecast("train", validation="exclude")
    va = load_forecast("train", validation="only")
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(tr), min(len(tr), 30000), replace=False))
    past, fut = (a.astype(np.float64) for a in tr.gather(idx))
    vpast, vfut = (a.astype(np.float64) for a in va.gather())
    groups = {"source": test.source, "action": test.action}
    out = {}
    for rid, canonical in (("linear", False), ("linear-heading", True)):
        m = LinearForecaster(sk, canonical).fit(past, fut, vpast, vfut)
        pred = m.predict(test.past.astype(np.float64))
        rep = forecast_report(pred, test.future.astype(np.float64), horizons_ms=HORIZONS_MS, groups=groups)
        out[rid] = {"report": rep, "params": int(m.W.size), "best_val_mpjpe": m.val_mpjpe,
                    "detail": {"ridge_lambda": m.lam, "val_mpjpe_per_lambda": {str(k): v for k, v in m.val.items()},
                               "train_windows": int(len(idx))}}
    return out


# ------------------------------------------------------------------------------- evaluation

def load(rid: str):
    from posegraph.pipeline import Pipeline, load_model_file, read_model_file

    if rid in ("zero-velocity", "constant-velocity"):
        return Pipeline(rid), "no training", {}
    f = RUNS / ROWS[rid][2] / "model.pt"
    shipped = ROWS[rid][3]
    if not f.exists() and shipped:
        from posegraph.pipeline import pretrained_dir

        f = pretrained_dir() / f"{shipped}.pt"
    if f.exists():
        meta = read_model_file(f).get("metrics", {})
        run_metrics = RUNS / ROWS[rid][2] / "metrics.json"
        if run_metrics.exists():
            meta = {**json.loads(run_metrics.read_text()), **meta}
        return load_model_file(f), str(f.relative_to(REPO)), meta
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

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for rid, r in results.items():
        if ROWS[rid][4] != "main":
            continue
        at = r["report"]["mpjpe_at"]
        ax.plot([int(h) for h in at], list(at.values()), marker="o", ms=3, label=r["label"],
                ls="--" if rid in REFERENCE else "-")
    ax.set(xlabel="horizon (ms)", ylabel="MPJPE at horizon (mm)", title="mocap-forecast test (492 windows)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    from posegraph.fileio import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def fmt(x, nd=1):
    return "–" if x is None else f"{x:.{nd}f}"


def _steps(r):
    return r.get("steps") or "–"


def _table(results, ids, kind, with_meta=True):
    head = "| method | " + ("steps | val ≤1000 | " if with_meta else "") + " | ".join(
        (f"{h} ms" if kind == "mpjpe_at" else f"≤{h} ms") for h in HORIZONS) + " |"
    md = [head, "|---|" + ("---:|---:|" if with_meta else "") + "---:|" * len(HORIZONS)]
    zv = results.get("zero-velocity")
    for rid in ids:
        if rid not in results:
            continue
        r = results[rid]
        cells = []
        for h in HORIZONS:
            v = r["report"][kind].get(h)
            better = zv is not None and rid != "zero-velocity" and v is not None and v < zv["report"][kind][h]
            cells.append(("**" + fmt(v) + "**") if better else fmt(v))
        meta = f"{_steps(r)} | {fmt(r.get('best_val_mpjpe'))} | " if with_meta else ""
        md.append(f"| {r['label']} | {meta}" + " | ".join(cells) + " |")
    return md


def _command(rid: str) -> str:
    """A markdown bullet: the row's label and the command that trains it."""
    _, cfg, folder, _, _ = ROWS[rid]
    teacher = f" --set model.teacher=runs/{ROWS[TEACHER[rid]][2]}/model.pt" if rid in TEACHER else ""
    return f"- {ROWS[rid][0]}: `posegraph train --config {cfg} --out runs/{folder}{teacher}`"


def _commands_and_tables(results: dict, ids: list[str]) -> list[str]:
    """The command of each row, then its two tables (at, and averaged up to, each horizon)."""
    md = [_command(rid) for rid in ids] + ["", "### MPJPE at each horizon (mm)", ""]
    md += _table(results, ids, "mpjpe_at")
    md += ["", "### MPJPE averaged up to each horizon (mm)", ""]
    return md + _table(results, ids, "mpjpe_upto")


def markdown(results: dict, before: dict) -> str:
    """forecast.md from forecast.json (``results``) and forecast_before.json (``before``) alone."""
    missing = [rid for rid in ROWS if rid not in results and ROWS[rid][1]]
    return render(results, before, missing)


def _speed_range() -> str:
    """The playback-speed range of the speed rows, read from their configs."""
    from posegraph.config import load_config

    speeds = sorted({load_config(REPO / ROWS[r][1])["data"].get("speed") or 0.0 for r in SPEED_ROWS})
    s = max(speeds)
    return f"U({1 - s:g}, {1 + s:g})"


def against_zero(r: dict, zv: dict) -> str:
    """A bullet: the horizons where ``r`` does not beat zero velocity, and its gain up to 1000 ms."""
    worse = [f"{h} ms ({kind})" for kind in ("mpjpe_at", "mpjpe_upto")
             for h in HORIZONS if r["report"][kind][h] >= zv["report"][kind][h]]
    gain = 100 * (1 - r["report"]["mpjpe_upto"]["1000"] / zv["report"]["mpjpe_upto"]["1000"])
    return (f"- {r['label']}: " + ("beats zero velocity at every horizon in both variants"
                                   if not worse else "does **not** beat zero velocity at " + ", ".join(worse))
            + f"; averaged up to 1000 ms it is {abs(gain):.1f}% {'below' if gain > 0 else 'above'} zero velocity.")


MIRRORED = ("sts-gcn", "ses-gcn")
"""Rows also measured with test-time mirroring (the shipped forecasters)."""


def flip_configured(rid: str) -> bool:
    """Whether a row's config switches test-time mirroring on (``model.flip_test``)."""
    return bool(ROWS[rid][1]) and catalogue.flip_configured(ROWS[rid][1])


def mirroring(results: dict) -> list[str]:
    """Test-time mirroring of the shipped forecasters: the validation evidence, the test tables
    and the checks against zero velocity and between the two models, with it."""
    ids = [rid for rid in MIRRORED if rid in results and results[rid].get("mirrored")]
    zv = results.get("zero-velocity")
    if not ids or zv is None:
        return []
    sub = {"zero-velocity": zv}
    for rid in ids:
        r, m = results[rid], results[rid]["mirrored"]
        sub[rid] = {**r, "best_val_mpjpe": m["val_plain"]}
        sub[rid + "+mirror"] = {"label": r["label"] + ", test-time mirroring", "report": m["report"],
                                "steps": r.get("steps"), "best_val_mpjpe": m["val_mirrored"]}
    rows = list(sub)
    md = ["", "## Test-time mirroring", "",
          "Each window run once more mirrored (left/right joints swapped, the lateral axis negated: the mirror that "
          "training's `data.flip` uses), the second forecast mirrored back and the two averaged. Chosen on the "
          "validation takes (`val ≤1000`, both measured here with and without it); the tables above are single passes. "
          "Shipped with it where the row's config sets `model.flip_test`: "
          + ", ".join(f"{rid} {'on' if flip_configured(rid) else 'off'}" for rid in ids) + ".", "",
          "### MPJPE at each horizon (mm)", ""]
    md += _table(sub, rows, "mpjpe_at")
    md += ["", "### MPJPE averaged up to each horizon (mm)", ""]
    md += _table(sub, rows, "mpjpe_upto")
    md += ["", "### Against zero velocity, with mirroring", ""]
    md += [against_zero(sub[rid + "+mirror"], zv) for rid in ids]
    if "sts-gcn+mirror" in sub and "ses-gcn+mirror" in sub:
        a, b = sub["ses-gcn+mirror"]["report"], sub["sts-gcn+mirror"]["report"]
        d = a["mpjpe_at"]["1000"] - b["mpjpe_at"]["1000"]
        md += [f"- SeS-GCN against STS-GCN, both mirrored: at 1000 ms {fmt(a['mpjpe_at']['1000'])} vs "
               f"{fmt(b['mpjpe_at']['1000'])} mm ({fmt(abs(d))} mm {'below' if d <= 0 else 'above'}); averaged up to "
               f"1000 ms {fmt(a['mpjpe_upto']['1000'])} vs {fmt(b['mpjpe_upto']['1000'])} mm."]
    return md


def render(results: dict, before: dict, missing: list[str]) -> str:
    main_ids = [r for r in ROWS if ROWS[r][4] == "main"]
    abl_ids = [r for r in ROWS if ROWS[r][4] == "ablation"]
    md = ["# Forecasting on mocap-forecast", "",
          "10 past frames (400 ms) → 25 future frames (1 s) at 25 fps, 17 joints, pelvis-relative; "
          f"{results['zero-velocity']['report']['n'] if 'zero-velocity' in results else '–'} test windows "
          "(start frames 0, 10, 20, … of every test take). MPJPE in mm over all 17 joints. Trained on the training split; "
          "every run keeps the checkpoint with the lowest MPJPE on the **validation takes** (whole held-out training "
          "takes; `val ≤1000` is that MPJPE averaged over the 25 future frames), and every choice of recipe below was made "
          "on that column, never on the test split. Regenerate: `python benchmarks/forecast.py --train`.", "",
          "Two variants of the metric are reported, labelled: **at** a horizon (the error of that one frame) and "
          "**averaged up to** a horizon (the mean over the frames up to it; the papers' single number is the average "
          "over all 25 frames, i.e. `≤1000 ms`). 40 ms is the first predicted frame. **Bold**: better than zero "
          "velocity at that horizon. Every row is one pass of its network; the shipped models also average the "
          "forecast of the mirrored window (section \"Test-time mirroring\").", "",
          "## The shipped recipe and the reference predictors", "",
          "### MPJPE at each horizon (mm)", ""]
    md += _table(results, main_ids, "mpjpe_at")
    md += ["", "### MPJPE averaged up to each horizon (mm)", ""]
    md += _table(results, main_ids, "mpjpe_upto")
    zv = results.get("zero-velocity")
    if zv:
        md += ["", "### Against zero velocity", ""]
        for rid in main_ids + abl_ids:
            if rid not in results or rid == "zero-velocity":
                continue
            md.append(against_zero(results[rid], zv))
    sts, ses = results.get("sts-gcn"), results.get("ses-gcn")
    if sts and ses:
        d = ses["report"]["mpjpe_at"]["1000"] - sts["report"]["mpjpe_at"]["1000"]
        du = ses["report"]["mpjpe_upto"]["1000"] - sts["report"]["mpjpe_upto"]["1000"]
        md += ["", "### SeS-GCN against STS-GCN (the SeS-GCN paper's claim: better, with fewer effective parameters)", "",
               f"At 1000 ms SeS-GCN (student) is {fmt(abs(d))} mm {'below' if d < 0 else 'above'} STS-GCN "
               f"({fmt(ses['report']['mpjpe_at']['1000'])} vs {fmt(sts['report']['mpjpe_at']['1000'])}); averaged up to "
               f"1000 ms {fmt(abs(du))} mm {'below' if du < 0 else 'above'} ({fmt(ses['report']['mpjpe_upto']['1000'])} vs "
               f"{fmt(sts['report']['mpjpe_upto']['1000'])}), with {ses.get('effective_params', ses['params']):,} effective "
               f"parameters against STS-GCN's {sts['params']:,} (sparsity of the student's adjacencies: "
               f"{ses.get('sparsity', '–')}). The claim is checked on these numbers: "
               + ("it holds here." if d <= 0 and ses.get("effective_params", ses["params"]) < sts["params"] else
                  "it does **not** fully hold here (see the numbers).")]
    lin, linh = results.get("linear"), results.get("linear-heading")
    if lin and linh:
        md += ["", f"The linear maps are fitted on {lin['detail']['train_windows']:,} training windows with the ridge "
               f"penalty chosen on the validation takes (raw: λ = {lin['detail']['ridge_lambda']:g}, canonical: "
               f"λ = {linh['detail']['ridge_lambda']:g}). A graph model that does not beat the canonical-heading linear "
               "map has learned nothing graph-specific."]
    abl_steps = sorted({results[r].get("steps") for r in abl_ids if r in results and results[r].get("steps")})
    steps_txt = "/".join(str(x) for x in abl_steps) or "–"
    md += ["", f"## Ablations of the recipe (short schedule: {steps_txt} steps, STS-GCN)", "",
           "Each row changes one thing; all use STS-GCN's architecture, Adam 1e-2, the multistep decay scaled to "
           f"{steps_txt} steps, batch 256 (the commands are listed below the tables). The schedule-length row is the shipped STS-GCN "
           "(same recipe as the last ablation row, longer schedule).", "",
           "### MPJPE at each horizon (mm)", ""]
    rows = abl_ids + ["sts-gcn"]
    md += _table(results, rows, "mpjpe_at")
    md += ["", "### MPJPE averaged up to each horizon (mm)", ""]
    md += _table(results, rows, "mpjpe_upto")
    md += ["", "Command of each row:", ""] + [_command(rid) for rid in abl_ids if rid in results]
    sched = [r for r in SCHEDULE_ROWS if r in results]
    if sched:
        md += ["", "## Schedule length", "",
               "Each recipe (without playback speed) on the release-before-last's 2500-step schedule against 5000 "
               "steps (same data, same teacher for the students; the multistep milestones scale with the length). "
               "Command of each row:", ""]
        md += _commands_and_tables(results, sched)
    speed = [r for r in SPEED_ROWS if r in results]
    if any(ROWS[r][4] == "speed" for r in speed):
        md += ["", "## Playback-speed augmentation", "",
               f"Each recipe without and with replaying every training window at a speed drawn from {_speed_range()} "
               "(linear interpolation within its take; `data.speed: 0.25`), same schedule and seed: meant to cover "
               "people who move faster or slower than the training takes. Command of each row:", ""]
        md += _commands_and_tables(results, speed)
    md += mirroring(results)
    teach = [r for r in TEACHER_ROWS if r in results]
    if any(ROWS[r][4] == "teacher" for r in teach):
        md += ["", "## SeS-GCN: teacher length and body-size augmentation", "",
               "The SeS-GCN teacher as shipped, trained twice as long (the multistep decay scaled with it), and with "
               "body-size augmentation (`data.scale`: each window scaled about the pelvis by a factor from U(0.9, 1.1), "
               "as if a taller or shorter person made the same movement); then the student trained from each teacher's "
               "masks with the same recipe and seed. Chosen on `val ≤1000`. Command of each row:", ""]
        md += _commands_and_tables(results, teach)
    if before:
        md += ["", "## Before this recipe (the previously shipped models)", "",
               before["what"], "", "| method | " + " | ".join(f"{h} ms" for h in HORIZONS[1:]) + " | ≤1000 ms |",
               "|---|" + "---:|" * len(HORIZONS)]
        for rid, r in before["rows"].items():
            md.append(f"| {r['label']} | " + " | ".join(fmt(r["mpjpe_at"][h]) for h in HORIZONS[1:])
                      + f" | {fmt(r['mpjpe_upto']['1000'])} |")
    md += ["", "## Cost", "",
           "| method | params (effective) | sparsity | train time | forward b=1 eager | b=1 ONNX RT | b=256 eager | b=256 ONNX RT |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for rid in main_ids:
        r = results.get(rid)
        if r is None or rid in REFERENCE:
            continue
        rt = r.get("runtime", {})
        wall = r.get("train_wall_seconds")
        md.append(f"| {r['label']} | {r.get('effective_params', r['params']):,} | {r.get('sparsity', '–')} | "
                  f"{fmt(wall / 60 if wall else None)} min | " + " | ".join(
                      f"{fmt(rt.get(f'{b}_{k}'), 2)} ms" if rt.get(f"{b}_{k}") is not None else "–"
                      for b in (1, 256) for k in ("torch", "onnx")) + " |")
    cores = next((r["runtime"].get("cpu_cores") for r in results.values() if r and r.get("runtime", {}).get("cpu_cores")), None)
    where = f"on a machine with {cores} CPU cores" if cores else "on the machine that ran the benchmark"
    md += ["", f"Runtime: median of 200 (batch 1) or 20+ (batch 256) forward passes after warm-up, {where}, of each "
           "model as shipped (with test-time mirroring where its config sets it: two passes of the network); "
           "SeS-GCN's paper reports 2.3 ms per forward pass (on its own hardware). Train time: wall clock "
           "of the training run, which shared the machine with one other training.", ""]
    actions = sorted({a for rid in main_ids if rid in results for a in results[rid]["report"].get("action", {})})
    shown = [rid for rid in ("zero-velocity", "linear-heading", "sts-gcn", "ses-gcn") if rid in results]
    md += ["## Per action: MPJPE at 400 ms / 1000 ms (mm)", "", "| action | " + " | ".join(results[r]["label"] for r in shown) + " |",
           "|---|" + "---:|" * len(shown)]
    for a in actions:
        cells = []
        for rid in shown:
            v = results[rid]["report"].get("action", {}).get(a, {})
            cells.append(f"{fmt(v.get('mpjpe_at', {}).get('400'))} / {fmt(v.get('mpjpe_at', {}).get('1000'))}")
        md.append(f"| {a} | " + " | ".join(cells) + " |")
    if missing:
        md += ["", "Not trained yet: " + ", ".join(missing)]
    md += ["", "![MPJPE against horizon](forecast_horizons.png)", ""]
    return "\n".join(md)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--ship", action="store_true")
    ap.add_argument("--no-runtime", action="store_true")
    ap.add_argument("--report", action="store_true", help="only rewrite forecast.md from forecast.json (no measuring)")
    a = ap.parse_args()
    if a.report:
        from posegraph.fileio import write_text

        before_file = OUT / "forecast_before.json"
        results = json.loads((OUT / "forecast.json").read_text())
        write_text(OUT / "forecast.md", markdown(results, json.loads(before_file.read_text()) if before_file.exists() else {}))
        print(f"wrote {OUT / 'forecast.md'} from forecast.json")
        return 0
    if a.train:
        train(list(ROWS))
    if a.ship:
        from posegraph.pipeline import ship_model

        for rid, (_, _, folder, shipped, _) in ROWS.items():
            if shipped and (RUNS / folder / "model.pt").exists():
                print(f"shipped {rid} as {ship_model(RUNS / folder / 'model.pt', shipped, flip_test=flip_configured(rid))}")
    from posegraph.data.forecast import load_forecast
    from posegraph.evaluate import evaluate_forecast
    from posegraph.fileio import save_json, write_text

    test = load_forecast("test").to_samples()
    results = {}
    # a row whose run folder is gone (runs/ stays out of git) keeps its last measured result
    stored_file = OUT / "forecast.json"
    stored = json.loads(stored_file.read_text()) if stored_file.exists() else {}
    refs = reference_rows(test)
    val = None
    for rid, (label, cfg, folder, shipped, _) in ROWS.items():
        if rid in refs:
            results[rid] = {"label": label, "source": "fitted here", **refs[rid]}
            continue
        pipe, source, meta = load(rid)
        if pipe is None:
            if rid in stored and "report" in stored[rid]:
                results[rid] = {**stored[rid], "label": label}
                print(f"{rid:22s} kept from {stored_file.name} (no model file in {RUNS / folder})", flush=True)
            continue
        pipe.flip_test = False  # the tables are single passes; mirroring is measured separately
        rep = evaluate_forecast(pipe, test, horizons_ms=HORIZONS_MS)
        mirrored = None
        if rid in MIRRORED:
            if val is None:  # the validation windows, read once for every mirrored row
                val = load_forecast("train", validation="only").to_samples()
            mirrored = {"val_plain": evaluate_forecast(pipe, val)["mpjpe_upto"]["1000"]}
            pipe.flip_test = True
            mirrored["val_mirrored"] = evaluate_forecast(pipe, val)["mpjpe_upto"]["1000"]
            mirrored["report"] = evaluate_forecast(pipe, test, horizons_ms=HORIZONS_MS)
            pipe.flip_test = flip_configured(rid)  # the runtime of the model as shipped
        r = {"label": label, "source": source, "params": pipe.num_parameters(), "report": rep,
             "best_val_mpjpe": meta.get("best_val_mpjpe"), "steps": meta.get("steps"),
             "train_wall_seconds": meta.get("train_wall_seconds", meta.get("train_wall_seconds_this_session"))}
        if mirrored:
            r["mirrored"] = mirrored
        sp = getattr(pipe.model, "sparsity", None)
        if sp is not None and getattr(pipe.model, "sparse", False):
            s = sp()
            r["sparsity"] = f"{100 * s.get('overall', np.nan):.1f}%"
            r["sparsity_detail"] = s
            r["effective_params"] = int(pipe.model.num_parameters(effective=True))
        if not a.no_runtime and shipped:
            import os

            import torch

            r["runtime"] = {f"{b}_{k}": runtime(pipe, b, k) for b in (1, 256) for k in ("torch", "onnx")}
            r["runtime"].update(cpu_cores=os.cpu_count(), torch_threads=torch.get_num_threads())
        results[rid] = r
        print(f"{rid:22s} @40 {rep['mpjpe_at']['40']:.1f} @400 {rep['mpjpe_at']['400']:.1f} "
              f"@1000 {rep['mpjpe_at']['1000']:.1f} ≤1000 {rep['mpjpe_upto']['1000']:.1f} ({source})", flush=True)
    for rid in REFERENCE:
        if rid in results:
            rep = results[rid]["report"]
            print(f"{rid:22s} @40 {rep['mpjpe_at']['40']:.1f} @1000 {rep['mpjpe_at']['1000']:.1f} ≤1000 {rep['mpjpe_upto']['1000']:.1f}")
    before_file = OUT / "forecast_before.json"
    before = json.loads(before_file.read_text()) if before_file.exists() else {}
    plot(results, OUT / "forecast_horizons.png")
    save_json(OUT / "forecast.json", results)
    write_text(OUT / "forecast.md", markdown(results, before))
    print(f"wrote {OUT / 'forecast.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
