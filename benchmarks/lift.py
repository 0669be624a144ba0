"""The lifting tables on mocap-lift: the shipped lifters on one long protocol, and the ablation rows.

Table 1's rows are configs in configs/lift/; each run lives in runs/long/<row>. A row is evaluated
from its run if there is one, else from the shipped weights (src/posegraph/assets/pretrained/<name>.pt),
so that after `--ship` `posegraph eval --checkpoint <name>` reproduces it exactly. Tables 2 and 3
(ablations and training options at 6000 steps, runs/abl/<row> and runs/opt/<row>) were trained all at
once on one GPU with benchmarks/device_rows.py; the exact-2D rows (table 1b) live in runs/exact2d/<row>.

    python benchmarks/lift.py                 # evaluate what exists, write benchmarks/results/lift.md/.json
    python benchmarks/lift.py --train         # first train the rows that have no model yet (2 at a time)
    python benchmarks/lift.py --rows semgcn,graphmdn --ship
                                              # ... copy those rows' best weights into the package and
                                              # measure them (the other rows keep their stored results)
    python benchmarks/lift.py --report        # only rewrite lift.md from lift.json (no measuring)

Measuring writes lift.json; lift.md is :func:`markdown` of lift.json, never narrated: ``tests/test_benchmark_reports.py`` checks it.

Evaluated with gt and noisy (sigma 4 px) 2D inputs. Model choice and early stopping use the
validation takes (whole held-out training takes), never the test split.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import LIFTERS, SHIPPED_GRAPH_LIFTERS, flip_configured  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
RUNS = REPO / "runs" / "long"

# (table, row id, label, config, shipped name or None): one row per entry of catalogue.LIFTERS
ROWS = [("long", m.row, m.label, m.config, m.shipped) for m in LIFTERS]
LONG_TITLE = "1. The shipped lifters on the long protocol"
# 1500-step trials with the current code (runs/trial/<row>): how the inputs are standardised for
# layers whose weights all joints share, and the global node against the decoupled GCN of its size
TRIALS = [
    ("global_node_trial_std", "Global node, inputs standardised per joint", "configs/lift/ablations/global_node_trial_std.yaml"),
    ("global_node_trial_raw", "Global node, inputs not standardised", "configs/lift/ablations/global_node_trial_raw.yaml"),
    ("global_node_trial_metres", "Global node, inputs not standardised, targets in metres (as the paper trains)",
     "configs/lift/ablations/global_node_trial_metres.yaml"),
    ("global_node_trial_joint_embedding", "Global node, inputs not standardised, a learned vector per joint (not in "
     "the paper)", "configs/lift/ablations/global_node_trial_joint_embedding.yaml"),
    ("decoupled_wide_trial", "Decoupled GCN, 202 channels, inputs not standardised", "configs/lift/ablations/decoupled_wide_trial.yaml"),
    ("semgcn_trial", "SemGCN, inputs standardised per joint (for scale)", "configs/lift/ablations/semgcn_trial.yaml"),
]
TRIAL_RUNS = REPO / "runs" / "trial"
# table-1 rows on half their schedule (runs/long/<row>; the models shipped before the longer schedule
# was chosen on the validation takes): was the longer schedule needed?
SCHEDULE = [
    ("semgcn_9000", "SemGCN, 9000 steps (shipped before)", "configs/lift/ablations/semgcn_9000.yaml", "semgcn"),
    ("graphmdn_9000", "GraphMDN, pose level, M=5, 9000 steps (shipped before)", "configs/lift/ablations/graphmdn_9000.yaml",
     "graphmdn"),
    ("global_node_18000", "Global node + action classification K=100, previous configuration, 18000 steps "
     "(shipped before)", "configs/lift/ablations/global_node_18000.yaml", "global-node"),
    ("global_node_36000", "Global node + action classification K=100, previous configuration (batch 256, Adam, "
     "no virtual cameras), 36000 steps (shipped before table 8)", "configs/lift/global_node_base.yaml", "global-node"),
]
# table 7: rows chosen on a person-disjoint validation split (data.validation_subjects: the takes of
# people held out of training, runs/pv/<row>); the options compared there are chosen on those people
PERSON = [
    ("pv/semgcn_9000", "SemGCN, 9000 steps", "configs/lift/person_val/semgcn_9000.yaml"),
    ("pv/semgcn_bone_9000", "SemGCN, 9000 steps, other people's proportions (bone_scale 0.1)",
     "configs/lift/person_val/semgcn_bone_9000.yaml"),
    ("pv/semgcn_bone_18000", "SemGCN, 18000 steps, other people's proportions (bone_scale 0.1)",
     "configs/lift/person_val/semgcn_bone_18000.yaml"),
    ("pv/global_node_bone_18000", "Global node + action classification K=100, 18000 steps, other people's proportions "
     "(bone_scale 0.1)", "configs/lift/person_val/global_node_bone_18000.yaml"),
]
PERSON_RUNS = REPO / "runs"  # row ids are pv/<name>
# (what, row with it, row without it): the choices table 7 makes on its held-out people
PERSON_CHOICES = [
    ("other people's proportions (bone_scale 0.1), 9000 steps", "pv/semgcn_bone_9000", "pv/semgcn_9000"),
    ("18000 steps instead of 9000 (SemGCN, bone_scale 0.1)", "pv/semgcn_bone_18000", "pv/semgcn_bone_9000"),
]
# Table 1b: trained on exact 2D only (no noise augmentation), as the papers train their gt-2D rows;
# (row id, label, config, run folder relative to runs/, shipped name). runs/exact2d/<row>.
EXACT = [
    ("semgcn-gt", "SemGCN, exact 2D, 6000 steps (shipped `semgcn-gt`)", "configs/lift/exact2d/semgcn.yaml",
     "exact2d/semgcn", "semgcn-gt"),
    ("global-node-gt-18000", "Global node + action classification K=100, exact 2D, 18000 steps",
     "configs/lift/exact2d/global_node_18000.yaml", "exact2d/global_node_18000", None),
    ("global-node-gt", "Global node + action classification K=100, exact 2D, 36000 steps",
     "configs/lift/exact2d/global_node.yaml", "exact2d/global_node", None),
]
EXACT_SHIP = ("global-node-gt", ["global-node-gt-18000", "global-node-gt"])
"""The exact-2D global node shipped as ``global-node-gt``: of these rows, the one with the lowest
validation MPJPE (as run)."""
# Tables 2 and 3: every row on table 1's protocol cut to 6000 steps, trained at once on one H200
# (benchmarks/device_rows.py); row ids abl/<name> (configs/lift/ablations_long/<name>.yaml) and
# opt/<name> (configs/lift/options/<name>.yaml), runs in runs/<row id>.
ABLATION_TABLES = [
    ("2a. SemGCN's ablation (Zhao et al., CVPR'19, Table 4 style)", [
        ("abl/resgcn_vanilla", "ResGCN (vanilla graph conv)"),
        ("abl/semgcn_no_semantic", "SemGCN w/o semantic conv (vanilla + non-local)"),
        ("abl/semgcn_no_nonlocal", "SemGCN w/o non-local"),
        ("abl/semgcn", "SemGCN (full)"),
        ("abl/semgcn_channelwise", "SemGCN channel-wise"),
        ("abl/modulated_gcn", "Modulated GCN"),
        ("abl/baseline", "Martinez et al. baseline")]),
    ("2b. Global node and auxiliary tasks (Liu, Zou & Tang, ACCV'20, Tables 1-3)", [
        ("abl/decoupled_wide", "Decoupled GCN, 202 channels (the global node's size)"),
        ("abl/global_none", "Global node, unsupervised"),
        ("abl/global_cluster50", "Global node + action classification K=50"),
        ("abl/global_cluster100", "Global node + action classification K=100"),
        ("abl/global_cluster200", "Global node + action classification K=200"),
        ("abl/global_embed10", "Global node + pose embedding 10"),
        ("abl/global_embed20", "Global node + pose embedding 20")]),
    ("2c. GraphMDN (Oikarinen et al., Table 1): mixture level and number of kernels", [
        ("abl/semgcn", "SemGCN (full)"),
        ("abl/graphmdn_node5", "GraphMDN node-level M=5 (mean)"),
        ("abl/graphmdn_node8", "GraphMDN node-level M=8 (mean)"),
        ("abl/graphmdn_pose5", "GraphMDN pose-level M=5 (mean)"),
        ("abl/graphmdn_pose8", "GraphMDN pose-level M=8 (mean)")]),
]
OPTIONS = [
    ("abl/semgcn", "SemGCN (table 2)"),
    ("opt/semgcn_seed1", "SemGCN, seed 1"),
    ("opt/semgcn_cameras", "SemGCN, random virtual cameras (half of the samples)"),
    ("opt/semgcn_bone", "SemGCN, other people's proportions (bone_scale 0.1)"),
    ("opt/semgcn_cameras_bone", "SemGCN, virtual cameras and bone_scale 0.1"),
    ("opt/semgcn_gt", "SemGCN, exact 2D only (no noise augmentation)"),
    ("abl/global_cluster100", "Global node K=100 (table 2)"),
    ("opt/global_cameras", "Global node K=100, random virtual cameras"),
    ("opt/global_wide", "Global node K=100, 256 channels"),
    ("abl/graphmdn_pose5", "GraphMDN pose-level M=5 (table 2)"),
    ("opt/graphmdn_cameras", "GraphMDN pose-level M=5, random virtual cameras"),
]
# (what, row with it, row without it): the choices table 3 makes on the validation takes
OPTION_CHOICES = [
    ("random virtual cameras (SemGCN)", "opt/semgcn_cameras", "abl/semgcn"),
    ("random virtual cameras (GraphMDN)", "opt/graphmdn_cameras", "abl/graphmdn_pose5"),
    ("random virtual cameras (global node)", "opt/global_cameras", "abl/global_cluster100"),
    ("other people's proportions (SemGCN)", "opt/semgcn_bone", "abl/semgcn"),
    ("virtual cameras and other people's proportions (SemGCN)", "opt/semgcn_cameras_bone", "abl/semgcn"),
    ("256 channels (global node)", "opt/global_wide", "abl/global_cluster100"),
]
# Table 8: the global node's options, each row validated on people held out of training
# (configs/lift/global_search/<name>.yaml, runs/gs/<name>, trained at once on one GPU)
GLOBAL_SEARCH = [
    ("gs/base", "Global node K=100 (table 2's config, 9000 steps)"),
    ("gs/seed1", "seed 1"),
    ("gs/cameras", "random virtual cameras (half of the samples)"),
    ("gs/cameras_seed1", "random virtual cameras, seed 1"),
    ("gs/bone", "other people's proportions (bone_scale 0.1)"),
    ("gs/cameras_bone", "random virtual cameras and bone_scale 0.1"),
    ("gs/adamw", "AdamW, weight decay 0.05"),
    ("gs/dropout10", "dropout 0.1"),
    ("gs/dropout25", "dropout 0.25"),
    ("gs/wide", "256 channels"),
    ("gs/narrow", "64 channels"),
    ("gs/norm_input", "inputs standardised per joint"),
    ("gs/aux_none", "no auxiliary task"),
    ("gs/batch1024", "batch 1024, peak learning rate 4e-3"),
    ("gs/lr1e3", "peak learning rate 1e-3"),
    ("gs/wide_cameras_dropout10", "256 channels, random virtual cameras, dropout 0.1"),
    ("gs/cameras_adamw", "random virtual cameras, AdamW"),
    ("gs/cameras_adamw_wide", "random virtual cameras, AdamW, 256 channels"),
    ("gs/combo", "random virtual cameras, AdamW, 256 channels, batch 1024"),
    ("gs/combo_seed1", "random virtual cameras, AdamW, 256 channels, batch 1024, seed 1"),
]
GLOBAL_SEEDS = [("gs/base", "gs/seed1"), ("gs/cameras", "gs/cameras_seed1"), ("gs/combo", "gs/combo_seed1")]
"""Seed pairs of table 8: the largest validation spread among them is the bar an option must clear."""
# Table 8's forward selection: each step's options are added to the best row of the step before
# (what, row with it, row without it); an option is kept when it beats the seed spread
GLOBAL_STEPS = [
    ("one at a time against the base", [
        ("random virtual cameras", "gs/cameras", "gs/base"),
        ("other people's proportions", "gs/bone", "gs/base"),
        ("AdamW with weight decay 0.05", "gs/adamw", "gs/base"),
        ("dropout 0.1", "gs/dropout10", "gs/base"),
        ("dropout 0.25", "gs/dropout25", "gs/base"),
        ("256 channels", "gs/wide", "gs/base"),
        ("64 channels", "gs/narrow", "gs/base"),
        ("inputs standardised per joint", "gs/norm_input", "gs/base"),
        ("no auxiliary task", "gs/aux_none", "gs/base"),
        ("peak learning rate 1e-3", "gs/lr1e3", "gs/base")]),
    ("added to the best row of step 1", [
        ("AdamW", "gs/cameras_adamw", "gs/cameras"),
        ("other people's proportions", "gs/cameras_bone", "gs/cameras")]),
    ("added to the best row of step 2", [
        ("256 channels", "gs/cameras_adamw_wide", "gs/cameras_adamw")]),
]
GLOBAL_BATCH = [("gs/batch1024", "gs/base"), ("gs/combo", "gs/cameras_adamw_wide")]
"""(batch 1024, batch 256) pairs: a throughput choice (4x the samples per step), taken where it
does not raise the validation error by more than the seed spread."""
# Table 8c: a learned vector per joint (model.kwargs.joint_embedding, not in the paper), each pair on
# one protocol (where, row with it, row without it; trial/<row> from table 4, others trained by
# device_config's rules, on this machine's CPU)
JOINT_EMBEDDING = [
    ("table 4's 1500-step trial", "trial/global_node_trial_joint_embedding", "trial/global_node_trial_raw"),
    ("table 2's protocol (6000 steps)", "abl/global_joint_embedding", "abl/global_cluster100"),
    ("table 8's protocol (9000 steps, validated on people held out of training)", "gs/joint_embedding", "gs/base"),
    ("the decoupled GCN (202 channels), table 2's protocol", "abl/decoupled_wide_joint_embedding", "abl/decoupled_wide"),
]
# Table 8's last step, on the whole training split: table 1's `global-node` config as it was before this
# step (GLOBAL_REFERENCE, the paper's model with table 8's options) changed as the label says
# (runs/long/<row>), each against that reference on the validation takes with table 8's bar; the option
# taken is table 1's `global-node` now (GLOBAL_TAKEN, read from table 1's row)
GLOBAL_REFERENCE = "global_node_plain"
GLOBAL_ALTERNATIVES = [
    (GLOBAL_REFERENCE, "table 1's `global-node` before this step (the paper's model with table 8's options)",
     "configs/lift/ablations/global_node_plain.yaml"),
    ("global_node_bone", "other people's proportions (bone_scale 0.1)", "configs/lift/ablations/global_node_bone.yaml"),
    ("global_node_b512", "twice the updates: 18000 steps of batch 512 (peak learning rate 2.8e-3)",
     "configs/lift/ablations/global_node_b512.yaml"),
]
GLOBAL_TAKEN = ("a learned vector per joint after the input layer (not in the paper; table 8c)", "configs/lift/global_node.yaml")
SEED_PAIR = ("abl/semgcn", "opt/semgcn_seed1")
"""Two seeds of one row: the run-to-run spread the choices of table 3 are read against."""
ABL_ORDERING_IDS = {"semgcn": "abl/semgcn", "baseline": "abl/baseline", "resgcn_vanilla": "abl/resgcn_vanilla",
                    "semgcn_no_semantic": "abl/semgcn_no_semantic", "semgcn_no_nonlocal": "abl/semgcn_no_nonlocal",
                    "global-node": "abl/global_cluster100", "decoupled_wide": "abl/decoupled_wide",
                    "global_none": "abl/global_none", "global_embed10": "abl/global_embed10",
                    "graphmdn": "abl/graphmdn_pose5", "modulated-gcn": "abl/modulated_gcn",
                    "global_joint_embedding": "abl/global_joint_embedding",
                    "decoupled_wide_joint_embedding": "abl/decoupled_wide_joint_embedding"}
"""Table 2's rows under the row ids of the orderings they test."""


def device_config(rid: str) -> str:
    kind, name = rid.split("/", 1)
    return f"configs/lift/{ {'abl': 'ablations_long', 'gs': 'global_search'}.get(kind, 'options')}/{name}.yaml"


OFFICIAL_SEMGCN_MM = 56.0
"""Test MPJPE (gt 2D) of the official SemGCN code trained on these training samples (issue #12)."""
OFFICIAL_SEMGCN_SECONDS = 1529
"""Its wall-clock training time on this machine (issue #12)."""


def train_rows(rows: list[str], jobs: int) -> None:
    """Train rows without a model, `jobs` at a time (resuming interrupted runs)."""
    todo = []
    for rid in dict.fromkeys(rows):
        cfg = next(r[3] for r in ROWS if r[1] == rid)
        run = RUNS / rid
        if (run / "model.pt").exists():
            continue
        args = [sys.executable, "-m", "posegraph.cli", "train", "--no-progress"]
        args += ["--resume", str(run)] if (run / "checkpoints" / "last.ckpt").exists() else ["--config", str(REPO / cfg), "--out", str(run), "--overwrite"]
        todo.append((rid, args))
    running: list[tuple[str, subprocess.Popen]] = []
    while todo or running:
        while todo and len(running) < jobs:
            rid, args = todo.pop(0)
            (RUNS / rid).parent.mkdir(parents=True, exist_ok=True)
            log = open(RUNS / f"{rid}.log", "w")
            print(f"training {rid}: {' '.join(args[3:])}", flush=True)
            running.append((rid, subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)))
        time.sleep(5)
        for rid, p in list(running):
            if p.poll() is not None:
                running.remove((rid, p))
                print(f"finished {rid}: exit {p.returncode}", flush=True)


def ship(rid: str, name: str) -> None:
    """Ship a row's run, with test-time mirroring as its config sets it."""
    from posegraph.pipeline import ship_model

    cfg = next(r[3] for r in ROWS if r[1] == rid)
    print(f"shipped {RUNS / rid / 'model.pt'} as {ship_model(RUNS / rid / 'model.pt', name, flip_test=flip_configured(cfg))}")


def evaluate_row(rid: str, shipped: str | None) -> dict | None:
    """A row's run (``runs/long/<row>/model.pt``) if it exists, else the shipped weights."""
    from posegraph.pipeline import list_pretrained, pretrained_dir

    if (RUNS / rid / "model.pt").exists():
        return evaluate_run(RUNS / rid / "model.pt", RUNS / rid, mirrored=True)
    if shipped and shipped in list_pretrained():
        return evaluate_run(pretrained_dir() / f"{shipped}.pt", RUNS / rid, source=f"shipped `{shipped}`", mirrored=True)
    return None


def evaluate_run(model_file: Path, run: Path, source: str | None = None, mirrored: bool = False) -> dict:
    """Test results (gt and noisy) of one model file, one pass per input (``flip_test`` off,
    whatever the file says), with its run's training record. ``mirrored``: also the validation
    takes' MPJPE without and with test-time mirroring (the evidence the choice is made on) and
    the test results with it (``res["mirrored"]``)."""
    from posegraph.data.lift import load_lift
    from posegraph.evaluate import evaluate_lift
    from posegraph.pipeline import load_model_file, read_model_file

    pipe = load_model_file(model_file)
    pipe.flip_test = False
    source = source or str(model_file.relative_to(REPO))
    info = read_model_file(model_file)
    config = info.get("config") or {}
    meta = info.get("metrics", {})
    res = {"source": source, "params": pipe.num_parameters()}
    for s in ("gt", "noisy"):
        res[s] = evaluate_lift(pipe, _cache(s, load_lift))
    if mirrored:  # on the row's own validation split (data.validation_subjects: held-out people)
        people = (config.get("data") or {}).get("validation_subjects")
        val = _cache("val" + ("" if not people else ":" + ",".join(people)),
                     lambda *_: load_lift("train", "gt", validation="only", validation_subjects=people))
        m = {"val_plain": evaluate_lift(pipe, val)["mpjpe"]}
        pipe.flip_test = True
        m["val_mirrored"] = evaluate_lift(pipe, val)["mpjpe"]
        for s in ("gt", "noisy"):
            rep = evaluate_lift(pipe, _cache(s, load_lift))
            m[s] = {k: rep[k] for k in ("mpjpe", "p_mpjpe", "mpjpe_highest", "mpjpe_oracle") if k in rep}
        res["mirrored"] = m
    run_metrics = run / "metrics.json"
    if run_metrics.exists():  # the run's own record, for model files written before it carried these
        meta = {**json.loads(run_metrics.read_text()), **meta}
    res["train_wall_seconds"] = meta.get("train_wall_seconds", meta.get("train_wall_seconds_this_session"))
    res["train_samples_per_second"] = meta.get("train_samples_per_second")
    res["accelerator"] = meta.get("accelerator")
    res["steps"] = meta.get("steps")
    res["best_val_mpjpe"] = meta.get("best_val_mpjpe")
    res["val_curve"] = _val_curve(run)
    res["test_curve"] = _test_curve(run)
    res["config"] = config
    return res


def on_protocol(r: dict, cfg_path: str) -> bool:
    """Whether a model was trained with its row's config as it is now (steps, data, optimiser)."""
    from posegraph.config import load_config

    want, got = load_config(REPO / cfg_path), r.get("config") or {}
    keys = ("max_steps", "batch_size", "lr")
    return (all(got.get("train", {}).get(k) == want["train"].get(k) for k in keys)
            and all(got.get("data", {}).get(k) == want["data"].get(k) for k in ("flip", "noise_px", "noise_prob", "normalize_input")))


def _val_curve(run: Path) -> list[tuple[int, float]]:
    """(step, validation MPJPE) from a run's CSV log."""
    import csv

    f = run / "logs" / "metrics.csv"
    if not f.exists():
        return []
    out = []
    with open(f) as fh:
        for row in csv.DictReader(fh):
            if row.get("val_mpjpe"):
                out.append((int(row["step"]) + 1, float(row["val_mpjpe"])))
    return out


def _test_curve(run: Path) -> list[tuple[int, float, float]]:
    """(step, train seconds, test MPJPE) from a run's ``test_curve.csv`` (``train.test_curve``)."""
    f = run / "test_curve.csv"
    if not f.exists():
        return []
    rows = [line.split(",") for line in f.read_text().splitlines()[1:] if line.strip()]
    seen = {}
    for step, sec, err in rows:  # a resumed run may repeat a step: keep the first
        seen.setdefault(int(step), (int(step), float(sec), float(err)))
    return [seen[k] for k in sorted(seen)]


def time_to(curve, target_mm: float):
    """The first (step, train seconds, test MPJPE) of ``curve`` at or below ``target_mm``, else None."""
    return next((c for c in curve if c[2] <= target_mm), None)


_DATA: dict = {}


def _cache(setting, loader):
    if setting not in _DATA:
        _DATA[setting] = loader("test", setting)
    return _DATA[setting]


def fmt(x, nd=1):
    return "–" if x is None else f"{x:.{nd}f}"


def protocol() -> str:
    """The long protocol, read from the shipped configs (not written by hand)."""
    from posegraph.config import load_config

    cfgs = {r[1]: load_config(REPO / r[3]) for r in ROWS}
    steps = sorted({c["train"]["max_steps"] for c in cfgs.values()})
    raw = [rid for rid, c in cfgs.items() if not c["data"].get("normalize_input")]
    sizes = [c["train"]["batch_size"] for c in cfgs.values()]
    batch = max(set(sizes), key=sizes.count)  # the common batch; rows with another say so below
    noise = sorted({(c["data"].get("noise_px"), c["data"].get("noise_prob")) for c in cfgs.values()})
    flips = all(c["data"].get("flip") for c in cfgs.values())
    lrs = ", ".join(f"{rid} {c['train']['lr']:g} ({c['train']['schedule'].get('name')})" for rid, c in cfgs.items())
    per_row = []  # what some rows add to the common protocol
    for rid, c in cfgs.items():
        extra = [f"batch {c['train']['batch_size']}"] if c["train"]["batch_size"] != batch else []
        if c["train"].get("optimizer", "adam") != "adam":
            extra.append(f"{'AdamW' if c['train']['optimizer'] == 'adamw' else c['train']['optimizer']} with weight decay "
                         f"{c['train'].get('weight_decay', 0):g}")
        if c["data"].get("random_cameras"):
            extra.append(f"random virtual cameras on {100 * float(c['data']['random_cameras']):.0f}% of the samples")
        if extra:
            per_row.append(f"{rid}: {', '.join(extra)}")
    return (f"**Protocol (table 1):** {'/'.join(map(str, steps))} steps of batch {batch}, "
            f"{'left/right flips, ' if flips else ''}Gaussian 2D noise of "
            + ", ".join(f"σ = {n:g} px on {100 * p:.0f}% of the samples" for n, p in noise)
            + ", outputs standardised with training statistics, inputs too"
            + (f" except for {', '.join(raw)} (weights shared by all joints: see table 4)" if raw else "")
            + f", seed 0; steps per row in the table (each trained until its validation error stopped improving); "
            f"peak learning rate and schedule: {lrs}"
            + (f"; added for single rows ({'; '.join(per_row)}: options chosen on people held out of training, table 8)"
               if per_row else "") + ". "
            "The checkpoint kept is the one with the lowest MPJPE on the validation takes (whole held-out training "
            "takes), never chosen on the test split. Each shipped model's config is named in its row.")


def _row(label, r, mdn=False, cmd=""):
    g, n = r["gt"], r["noisy"]
    line = f"| {label} | {r['params']:,} | {fmt(g['mpjpe'])} | {fmt(g.get('p_mpjpe'))} | {fmt(n['mpjpe'])} | {fmt(n.get('p_mpjpe'))} |"
    if mdn:
        line += f" {fmt(g.get('mpjpe_highest'))} | {fmt(g.get('mpjpe_oracle'))} |"
    src = g.get("source", {})
    line += "".join(f" {fmt(src.get(s, {}).get('mpjpe'))} |" for s in ("cmu", "cmu8", "hdm05"))
    wall = r.get("train_wall_seconds")
    line += f" {fmt(r.get('best_val_mpjpe'))} | {r.get('steps') or '–'} | {fmt(wall / 60 if wall else None)} min{_on(r)} |"
    return line + (f" {cmd} |" if cmd else "")


def _on(r: dict) -> str:
    """`` on <accelerator>`` for a run trained on one (its time is not this machine's), else ''."""
    acc = r.get("accelerator")
    return f" on {acc}" if acc and acc != "cpu" else ""


def time_to_target(results: dict, schedule: dict | None = None) -> list[str]:
    """How long each table-1 row took to reach the official SemGCN code's test MPJPE, from the
    test curves of runs trained with ``train.test_curve`` (measured, never used for selection)."""
    md = ["### Time to the official SemGCN code's test MPJPE", "",
          f"Wall-clock training time until the test MPJPE (gt inputs, measured after each validation; reported only, "
          f"checkpoints are chosen on the validation takes) first reached the official SemGCN code's {OFFICIAL_SEMGCN_MM} mm "
          f"on these samples (it took {OFFICIAL_SEMGCN_SECONDS:,} s there), and the full protocol's time, both with two "
          "trainings sharing the machine (`time_to_56.md` measures each shipped model alone):", ""]
    rows = [(label, results.get(rid)) for _, rid, label, _, _ in ROWS
            if results.get(rid) is not None and results[rid].get("on_protocol")]
    rows += [(f"{label} (table 5)", (schedule or {}).get(rid)) for rid, label, _, _ in SCHEDULE if rid in (schedule or {})]
    for label, r in rows:
        curve = r.get("test_curve") or []
        wall = r.get("train_wall_seconds")
        full = f"full protocol {fmt(wall / 60 if wall else None)} min{_on(r)}"
        if not curve:
            md.append(f"- {label}: not measured (trained without `train.test_curve`); {full}.")
            continue
        hit = time_to(curve, OFFICIAL_SEMGCN_MM)
        if hit:
            md.append(f"- {label}: {hit[1] / 60:.1f} min{_on(r)} (step {hit[0]}, test {hit[2]:.1f} mm); {full}.")
        else:
            best = min(curve, key=lambda c: c[2])
            md.append(f"- {label}: not reached (best {best[2]:.1f} mm at step {best[0]}); {full}.")
    return md + [""]


def _machine(machine: dict | None) -> str:
    cores = (machine or {}).get("cpu_count")
    return f"the measuring machine's {cores} CPU cores" if cores else "the measuring machine's CPU"


SIDE = ("trial", "schedule", "person", "device", "exact", "alternative")
"""lift.json's keys ``<side>/<row>``: table 4's trials, table 5's half schedules, table 7's person-split
rows, tables 2-3's rows trained on one GPU (``device/abl/<row>``, ``device/opt/<row>``), table 1b's
exact-2D rows and table 8's alternatives to the shipped global node."""


def split_stored(stored: dict) -> tuple[dict, dict, dict]:
    """lift.json -> ``(results, side, machine)``: table 1's rows by row id, the rows of each
    :data:`SIDE` table by row id, and the ``machine`` the rows were measured on."""
    results = {k: v for k, v in stored.items() if "/" not in k and k != "machine"}
    side = {key: {k.split("/", 1)[1]: v for k, v in stored.items() if k.startswith(key + "/")} for key in SIDE}
    return results, side, stored.get("machine") or {}


def markdown(stored: dict) -> str:
    """lift.md from lift.json (``stored``) alone."""
    results, side, machine = split_stored(stored)
    return render(results, side, machine)


HEAD_ROW = ("| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 "
            "| hdm05 | val MPJPE | steps | train time | command |")


def _mirrored_line(label: str, r: dict) -> str:
    """A row of the mirrored tables: validation without and with mirroring, mirrored test errors and
    the training time to the official SemGCN code's test MPJPE."""
    m = r.get("mirrored") or {}
    hit = time_to(r.get("test_curve") or [], OFFICIAL_SEMGCN_MM)
    when = ("not measured" if not r.get("test_curve") else "not reached" if hit is None
            else f"{hit[1] / 60:.1f} min{_on(r)} (step {hit[0]})")
    return (f"| {label} | {fmt(m.get('val_plain'))} | {fmt(m.get('val_mirrored'))} | "
            f"{fmt((m.get('gt') or {}).get('mpjpe'))} | {fmt((m.get('noisy') or {}).get('mpjpe'))} | {when} |")


def exact_pick(exact: dict) -> str | None:
    """The exact-2D global-node row shipped as ``global-node-gt``: lowest validation MPJPE (as run)."""
    have = [rid for rid in EXACT_SHIP[1] if rid in exact and exact[rid].get("best_val_mpjpe") is not None]
    return min(have, key=lambda rid: exact[rid]["best_val_mpjpe"]) if have else None


def exact_run(rid: str) -> Path:
    """Table 1b's run folder of a row."""
    return REPO / "runs" / next(e[3] for e in EXACT if e[0] == rid)


def exact_ship_names(from_record: bool = False) -> dict:
    """Row id -> shipped name of table 1b's rows (``global-node-gt``: :func:`exact_pick` of the runs).
    ``from_record``: where the runs are gone (a fresh checkout), the rows and the choice lift.json
    records (for what only needs the names; shipping needs the runs)."""
    names = {rid: name for rid, _, _, _, name in EXACT if name and (exact_run(rid) / "model.pt").exists()}
    vals = {rid: json.loads((exact_run(rid) / "metrics.json").read_text()) for rid in EXACT_SHIP[1]
            if (exact_run(rid) / "metrics.json").exists() and (exact_run(rid) / "model.pt").exists()}
    if from_record and not vals and (OUT / "lift.json").exists():
        vals = split_stored(json.loads((OUT / "lift.json").read_text()))[1].get("exact") or {}
        names.update({rid: name for rid, _, _, _, name in EXACT if name and rid in vals})
    pick = exact_pick(vals)
    if pick:
        names[pick] = EXACT_SHIP[0]
    return names


def shipped_label(label: str, name: str | None) -> str:
    """A row's label naming the model it is shipped as (once)."""
    return label if not name or f"`{name}`" in label else f"{label} (shipped `{name}`)"


def exact_table(exact: dict) -> list[str]:
    """Table 1b: models trained on exact 2D only, for exact keypoints."""
    pick = exact_pick(exact)
    rows = [(rid, shipped_label(label, EXACT_SHIP[0] if rid == pick else None), *rest)
            for rid, label, *rest in EXACT if rid in exact]
    if not rows:
        return []
    md = ["## 1b. Trained on exact 2D only (for exact keypoints)", "",
          "Table 1's configs without the 2D noise augmentation, as the papers train their rows with ground-truth 2D "
          "inputs (and as the official SemGCN code's 56.0 mm on these samples was trained): the models for users whose "
          "2D keypoints are exact (motion capture, synthetic renders). The noisy columns show what the same model does "
          "with a detector's keypoints: table 1's models are the defaults for video. Steps and machine in the row; "
          "validation as run (mirrored where the config sets `model.flip_test`).", "", HEAD_ROW, "|" + "---|" * 15]
    for rid, label, cfg, run, _ in rows:
        md.append(_row(label, exact[rid], mdn=True, cmd=f"`posegraph train --config {cfg} --out runs/{run}`"))
    md += ["", "| model | val | val mirrored | MPJPE gt mirrored | MPJPE noisy mirrored | time to 56 mm |",
           "|---|---|---|---|---|---|"]
    md += [_mirrored_line(label, exact[rid]) for rid, label, *_ in rows]
    if pick:
        others = [f"{exact[r]['best_val_mpjpe']:.1f} mm at {exact[r]['steps']} steps" for r in EXACT_SHIP[1]
                  if r in exact and r != pick]
        md += ["", f"`{EXACT_SHIP[0]}` ships the row with the lowest validation MPJPE: {exact[pick]['steps']} steps "
                   f"({exact[pick]['best_val_mpjpe']:.1f} mm" + (f", against {', '.join(others)}" if others else "") + ")."]
    return md + [""]


def device_tables(device: dict) -> list[str]:
    """Tables 2 and 3: ablation rows and training options at 6000 steps, trained at once on one GPU."""
    if not device:
        return []
    from posegraph.config import load_config

    cfg = load_config(REPO / device_config("abl/semgcn"))
    md = ["## 2. Ablation rows: table 1's protocol cut to 6000 steps (not comparable with table 1)", "",
          f"Every row of tables 2 and 3 is its config trained for {cfg['train']['max_steps']} steps of batch "
          f"{cfg['train']['batch_size']} with table 1's data and optimiser settings (left/right flips, 2D noise "
          f"σ = {cfg['data']['noise_px']:g} px on {100 * cfg['data']['noise_prob']:.0f}% of the samples, one-cycle "
          "schedule, the row's own peak learning rate), with the current code (the initialisation fix and the "
          "rescaled auxiliary losses). They were trained all at once on one H200 GPU, one process and one CPU "
          "thread each (`python benchmarks/device_rows.py`), so `train time` is wall clock with 10 to 16 trainings "
          "sharing the GPU. Chosen on `val MPJPE` (the validation takes); one run per row.", ""]
    for title, rows in ABLATION_TABLES:
        md += [f"### {title}", "", HEAD_ROW, "|" + "---|" * 15]
        md += _device_lines([(rid, label) for rid, label in rows if rid in device], device) + [""]
    opts = [(rid, label) for rid, label in OPTIONS if rid in device]
    if opts:
        md += ["## 3. Training options at 6000 steps (table 2's protocol)", "",
               "Each option added to a row of table 2 (random virtual cameras: `data.random_cameras`, the sample's world "
               "pose seen from a camera drawn around it; other people's proportions: `data.bone_scale`; no noise "
               "augmentation: `data.noise_px: 0`). An option is kept when it lowers `val MPJPE` by more than the "
               "spread between two seeds of one row; the test columns are reported only.", "", HEAD_ROW, "|" + "---|" * 15]
        md += _device_lines(opts, device) + [""]
        spread = None
        if all(r in device for r in SEED_PAIR):
            v = [device[r]["best_val_mpjpe"] for r in SEED_PAIR]
            t = [device[r]["gt"]["mpjpe"] for r in SEED_PAIR]
            spread = abs(v[0] - v[1])
            md.append(f"- Two seeds of SemGCN: validation {v[0]:.1f} and {v[1]:.1f} mm (spread {spread:.1f}); test "
                      f"{t[0]:.1f} and {t[1]:.1f} mm.")
        for what, a, b in OPTION_CHOICES:
            if a in device and b in device and spread is not None:
                md.append("- " + _choice_line(what, device[a], device[b], spread, noisy=True)[0])
        if "opt/semgcn_gt" in device and "abl/semgcn" in device:
            g, n = device["opt/semgcn_gt"], device["abl/semgcn"]
            md.append(f"- Exact 2D only against noise augmentation (SemGCN): test gt {g['gt']['mpjpe']:.1f} against "
                      f"{n['gt']['mpjpe']:.1f} mm, noisy {g['noisy']['mpjpe']:.1f} against {n['noisy']['mpjpe']:.1f} mm "
                      "(a choice of input, not made on the validation takes, which are measured with exact 2D: table 1b).")
        md.append("")
    return md


def _choice_line(what: str, a: dict, b: dict, spread: float, noisy: bool = False) -> tuple[str, bool]:
    """An option's verdict from the row with it (``a``) and without it (``b``): kept when it lowers
    the validation error by more than ``spread``; the test errors are reported beside it."""
    va, vb = a["best_val_mpjpe"], b["best_val_mpjpe"]
    keep = vb - va > spread
    test = f"test gt {a['gt']['mpjpe']:.1f} against {b['gt']['mpjpe']:.1f}" + (
        f", noisy {a['noisy']['mpjpe']:.1f} against {b['noisy']['mpjpe']:.1f}" if noisy else "")
    return (f"{what}: validation {va:.1f} mm with it against {vb:.1f} without, so it is "
            f"{'kept' if keep else 'not kept'}; {test} mm."), keep


def _device_lines(rows: list, device: dict) -> list[str]:
    """Table lines of rows trained with ``device_rows.py`` (``(row id, label)``), each with its command."""
    return [_row(label, device[rid], mdn=True, cmd=f"`posegraph train --config {device_config(rid)} --out runs/{rid}`")
            for rid, label in rows]


def seed_spread(device: dict) -> float | None:
    """Table 8's bar: the largest validation spread among its seed pairs (None: no pair measured)."""
    pairs = [(a, b) for a, b in GLOBAL_SEEDS if a in device and b in device]
    return max((abs(device[a]["best_val_mpjpe"] - device[b]["best_val_mpjpe"]) for a, b in pairs), default=None)


def global_search_table(device: dict, results: dict, schedule: dict | None = None,
                        alternatives: dict | None = None) -> list[str]:
    """Table 8: the global node's options, chosen on people held out of training, and the last
    ones tried on the whole training split against table 1's row (``alternatives``)."""
    rows = [(rid, label) for rid, label in GLOBAL_SEARCH if rid in device]
    if not rows:
        return []
    from posegraph.config import load_config

    base = load_config(REPO / device_config("gs/base"))
    people = ", ".join(base["data"].get("validation_subjects") or [])
    md = ["## 8. The global node's options, chosen on people it has not seen", "",
          f"Table 2's global node (K=100, noise protocol) trained for {base['train']['max_steps']} steps with the "
          f"validation takes of table 7 (every training take of {people}, people never trained on), each row changing "
          "what its label says (`configs/lift/global_search/`). Trained all at once on one H200 GPU "
          "(`python benchmarks/device_rows.py`), one process and one CPU thread each. An option is kept when it "
          "lowers `val MPJPE` (held-out people) by more than the largest spread between two seeds of one row; "
          "the test columns are reported only.", "", HEAD_ROW, "|" + "---|" * 15]
    md += _device_lines(rows, device) + [""]
    pairs = [(a, b) for a, b in GLOBAL_SEEDS if a in device and b in device]
    spread = seed_spread(device)
    if spread is not None:
        md.append("- Seed pairs: " + "; ".join(
            f"{device[a]['best_val_mpjpe']:.1f} and {device[b]['best_val_mpjpe']:.1f} mm" for a, b in pairs)
            + f" (largest spread {spread:.1f} mm).")
        label = dict(GLOBAL_SEARCH)
        for n, (title, options) in enumerate(GLOBAL_STEPS, 1):
            done = [(w, a, b) for w, a, b in options if a in device and b in device]
            if not done:
                continue
            md.append(f"- Step {n}, {title}:")
            kept = []
            for what, a, b in done:
                line, keep = _choice_line(what, device[a], device[b], spread)
                md.append("  - " + line)
                kept += [a] if keep else []
            best = min(kept, key=lambda r: device[r]["best_val_mpjpe"]) if kept else None
            md.append(f"  - Best row of step {n}: " + (f"{label[best]}, {device[best]['best_val_mpjpe']:.1f} mm."
                                                       if best else "none kept."))
        pairs = [(a, b) for a, b in GLOBAL_BATCH if a in device and b in device]
        if pairs:
            worse = [a for a, b in pairs if device[a]["best_val_mpjpe"] - device[b]["best_val_mpjpe"] > spread]
            md.append("- Batch 1024 (a quarter of the steps for as many samples): validation " + ", ".join(
                f"{device[a]['best_val_mpjpe']:.1f} mm against {device[b]['best_val_mpjpe']:.1f} at batch 256"
                for a, b in pairs) + (", so it is taken where it costs nothing beyond the seed spread." if not worse
                                       else ", so it is not taken (it raises the validation error)."))
    before = (alternatives or {}).get(GLOBAL_REFERENCE)  # table 1's row before table 8b's step
    new, old = before or results.get("global-node"), (schedule or {}).get("global_node_36000")
    if new and old:
        cfg = new.get("config") or {}
        t = cfg.get("train") or {}
        what = "table 8b's first row" if before else "table 1's `global-node`"
        md.append(f"- On the whole training split ({what}: the selection's best row, at batch "
                  f"{t.get('batch_size')} for {new.get('steps')} steps): validation takes {fmt(new.get('best_val_mpjpe'))} "
                  f"mm against {fmt(old.get('best_val_mpjpe'))} for the previous configuration (table 5); test gt "
                  f"{fmt(new['gt']['mpjpe'])} against {fmt(old['gt']['mpjpe'])} mm, noisy {fmt(new['noisy']['mpjpe'])} "
                  f"against {fmt(old['noisy']['mpjpe'])} mm.")
    md += global_alternatives(results.get("global-node"), alternatives or {}, spread)
    return md + [""]


def joint_embedding_lines(rows: dict, spread: float) -> list[str]:
    """Table 8c: the global node (and the decoupled GCN, its reference) with a learned vector per
    joint against the same row without it, each pair on one protocol (``rows``: row id -> result,
    ``trial/``, ``abl/`` and ``gs/`` ids)."""
    pairs = [(w, a, b) for w, a, b in JOINT_EMBEDDING if a in rows and b in rows]
    if not pairs:
        return []
    md = ["### 8c. A learned vector per joint (not in the paper)", "",
          "Every weight of the global node's layers is shared by all joints (so is every weight of the decoupled "
          "GCN's), so a joint's identity reaches the network only through its 2D position and its degree. "
          "`model.kwargs.joint_embedding` adds a learned vector per joint after the input layer (zero at start: "
          "the paper's model). Rows are the global node's unless the label says otherwise. Each pair below is one "
          "protocol; the rows with it were trained on this machine's CPU. Read against table 8's seed spread "
          f"({spread:.1f} mm).", ""]
    for what, a, b in pairs:
        md.append(f"- {what} (`{a}` against `{b}`): " + _choice_line("a vector per joint", rows[a], rows[b], spread)[0])
    return md + [""]


def global_alternatives(shipped: dict | None, alternatives: dict, spread: float | None) -> list[str]:
    """Table 8b: table 1's `global-node` config as it was before this step (``GLOBAL_REFERENCE``;
    without it in ``alternatives``, table 1's row itself) changed once per row, on the whole training
    split, each chosen against the reference on the validation takes with table 8's seed-spread bar.
    With a reference, table 1's row is listed as the option it took (``GLOBAL_TAKEN``)."""
    labels = {rid: (label, cfg) for rid, label, cfg in GLOBAL_ALTERNATIVES}
    reference = alternatives.get(GLOBAL_REFERENCE)
    rows = [(f"{label} (`{cfg}`)", label, alternatives[rid]) for rid, label, cfg in GLOBAL_ALTERNATIVES
            if rid in alternatives and rid != GLOBAL_REFERENCE]
    if reference is not None and shipped is not None:
        first = "{} (`{}`)".format(*labels[GLOBAL_REFERENCE])
        rows.append(("{} (`{}`): table 1's `global-node`".format(*GLOBAL_TAKEN), GLOBAL_TAKEN[0], shipped))
    else:
        reference, first = shipped, "table 1's `global-node`"
    if not rows or reference is None:
        return []
    bar = spread or 0.0
    md = ["", "### 8b. Last options, on the whole training split", "",
          "Table 1's `global-node` config as it was before this step (the first row) with one change each (the label), "
          "trained on the whole training split like it, on this machine's CPU (one thread each); an option is "
          f"taken when it lowers `val MPJPE` (the validation takes) by more than table 8's seed spread ({bar:.1f} mm), "
          "and the one taken is table 1's `global-node` now. Test columns single pass; `mirrored` as shipped.", "",
          "| model | val MPJPE | MPJPE gt | MPJPE gt mirrored | MPJPE noisy | MPJPE noisy mirrored | steps | train time |",
          "|---|---|---|---|---|---|---|---|"]

    def line(label, r):
        m = r.get("mirrored") or {}
        wall = r.get("train_wall_seconds")
        return (f"| {label} | {fmt(r.get('best_val_mpjpe'))} | {fmt(r['gt']['mpjpe'])} | "
                f"{fmt(m.get('gt', {}).get('mpjpe'))} | {fmt(r['noisy']['mpjpe'])} | {fmt(m.get('noisy', {}).get('mpjpe'))} | "
                f"{r.get('steps') or '–'} | {fmt(wall / 60 if wall else None)} min{_on(r)} |")

    md.append(line(first, reference))
    md += [line(title, r) for title, _, r in rows]
    md.append("")
    for _, label, r in rows:
        md.append("- " + _choice_line(label, r, reference, bar, noisy=True)[0])
    return md


def person_table(person: dict) -> list[str]:
    """Table 7: rows trained with a person-disjoint validation split."""
    rows = [(rid, label, cfg) for rid, label, cfg in PERSON if rid in person]
    if not rows:
        return []
    from posegraph.config import load_config

    people = sorted({p for _, _, cfg in rows for p in load_config(REPO / cfg)["data"].get("validation_subjects") or []})
    md = ["## 7. Chosen on people the model has not seen: a person-disjoint validation split", "",
          f"The validation takes of these rows are every training take of {', '.join(people)} (`data.validation_subjects`); "
          "those people are never trained on, so `val MPJPE` measures what the test split measures, a new person, "
          "and options are chosen on it (table 1's validation takes belong to training people, on whom longer "
          "schedules kept improving while the test error did not). Otherwise table 1's protocol; steps in the row. "
          "Not comparable with table 1: less training data and another validation split.", "",
          "| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 "
          "| hdm05 | val MPJPE | steps | train time | command |", "|" + "---|" * 15]
    for rid, label, cfg in rows:
        md.append(_row(label, person[rid], mdn=True, cmd=f"`posegraph train --config {cfg} --out runs/{rid}`"))
    md += ["", "With test-time mirroring (as `posegraph` runs a model whose config sets `model.flip_test`), and the "
           "training time until the test MPJPE (gt, reported only) first reached the official SemGCN code's "
           f"{OFFICIAL_SEMGCN_MM} mm:", "",
           "| model | val | val mirrored | MPJPE gt mirrored | MPJPE noisy mirrored | time to 56 mm |", "|---|---|---|---|---|---|"]
    md += [_mirrored_line(label, person[rid]) for rid, label, _ in rows]
    md.append("")
    cfgs = {rid: cfg for rid, _, cfg in PERSON}
    for what, a, b in PERSON_CHOICES:
        if a in person and b in person:
            # training validates as the model runs (mirrored where its config says so)
            va, vb = (person[x]["best_val_mpjpe"] for x in (a, b))
            ta, tb = (as_shipped(person[x], cfgs[x]) for x in (a, b))
            md.append(f"- {what}: validation (held-out people, as run) {va:.1f} mm with it against {vb:.1f} without, so "
                      f"{'it is kept' if va < vb else 'it is not kept'}; test (reported only) {ta:.1f} against {tb:.1f}.")
    return md + [""]



def render(results: dict, side: dict, machine: dict | None = None) -> str:
    trials, schedule, person = side.get("trial") or {}, side.get("schedule") or {}, side.get("person") or {}
    md = ["# Lifting on mocap-lift", "",
          "Trained on the mocap-lift training split; evaluated on the person-disjoint test split with gt and noisy "
          "(σ = 4 px) 2D inputs. MPJPE / P-MPJPE in mm over the model's 16 joints (pelvis included). Train time is "
          f"wall clock on {_machine(machine)} with two trainings sharing it (one thread each). "
          "Regenerate: `python benchmarks/lift.py --train` (then `--ship`).", "", protocol(), "",
          f"## {LONG_TITLE}", ""]
    head = ("| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 "
            "| hdm05 | val MPJPE | steps | train time | command |")
    md += [head, "|" + "---|" * (head.count("|") - 1)]
    off = []
    for _, rid, label, cfg, _ in ROWS:
        cmd = f"`posegraph train --config {cfg} --out runs/long/{rid}`"
        r = results.get(rid)
        if r is None or not r.get("on_protocol"):
            md.append(f"| {label} | – | not trained on this protocol yet |" + " |" * 11 + f" {cmd} |")
            if r is not None:
                off.append((label, r))
            continue
        md.append(_row(label, r, mdn=True, cmd=cmd))
    md += ["", "`highest`/`oracle`: GraphMDN's highest-weight hypothesis and the hypothesis closest to the truth "
           "(an upper bound that needs the ground truth); `val MPJPE`: the selected checkpoint's error on the "
           "validation takes (gt inputs). `cmu8` test is not person-disjoint from training; `cmu` and `hdm05` are. "
           "Every row is one pass of its network, as the papers report; the shipped models also average with the "
           "prediction for the mirrored input (table 6).", ""]
    if off:
        md += ["### Shipped weights not yet retrained on this protocol (not comparable with the rows above)", "",
               "Trained in an earlier session with the configs of that time (steps in the row; gt 2D only, no noise "
               "augmentation); the current code loads them unchanged.", "",
               "| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 | hdm05 | val MPJPE | steps | train time |",
               "|" + "---|" * 14]
        md += [_row(label, r, mdn=True) for label, r in off] + [""]
    mdn = results.get("graphmdn", {}).get("gt", {}).get("mixture")
    if mdn:
        ws = ", ".join(f"{w:.3f}" for w in mdn["weights_sorted"])
        md += ["### GraphMDN's kernels (test, gt inputs)", "",
               f"Mean kernel weights, sorted per sample: {ws}. Share of samples whose top kernel holds more than 90% "
               f"of the weight: {100 * mdn['share_top_over_90pct']:.1f}%. Mean kernel σ: {fmt(mdn['sigma_mm'])} mm (per "
               f"coordinate). Mean distance of a hypothesis' joints from the weighted mean: {fmt(mdn['spread_mm'])} mm. "
               "Oracle below mean: "
               + fmt(100 * (1 - results['graphmdn']['gt']['mpjpe_oracle'] / results['graphmdn']['gt']['mpjpe'])) + "%.", ""]
    curves = {rid: r["val_curve"] for rid, r in results.items() if r.get("val_curve")}
    if curves:
        steps = sorted({s for c in curves.values() for s, _ in c})
        md += ["### Validation MPJPE during training (mm, gt inputs)", "",
               "| model | " + " | ".join(str(s) for s in steps) + " |", "|---|" + "---:|" * len(steps)]
        for rid, c in curves.items():
            d = dict(c)
            md.append(f"| {rid} | " + " | ".join(fmt(d.get(s)) for s in steps) + " |")
        md += [""]
    md += time_to_target(results, schedule)
    md += exact_table(side.get("exact") or {})
    dev = side.get("device") or {}
    md += device_tables(dev)
    trials = trials or {}
    if trials:
        md += ["## 4. 1500-step trials with the current code", "",
               "Table 1's protocol cut to 1500 steps (one-cycle schedule over the 1500 steps): how 2D inputs and 3D "
               "targets are scaled for layers whose weights every joint shares (the global node's Q, W, T; the decoupled "
               "GCN's), and the global node against the decoupled GCN of its size. Chosen on `val MPJPE`.", "",
               "| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 | hdm05 | val MPJPE | steps | train time | command |",
               "|" + "---|" * 15]
        for rid, label, cfg in TRIALS:
            if rid in trials:
                md.append(_row(label, trials[rid], mdn=True, cmd=f"`posegraph train --config {cfg} --out runs/trial/{rid}`"))
        md.append("")
    schedule = schedule or {}
    if schedule:
        md += ["## 5. Schedule length: table-1 rows on half their schedule", "",
               "Each row's config with `train.max_steps` halved (the one-cycle schedule over the shorter length; the "
               "models shipped before; the global node's rows are its previous configuration, which table 8 replaced), beside the table-1 row: whether the longer schedule was needed. The length is "
               "chosen on `val MPJPE` (the validation takes), never on the test split.", "",
               "| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy | highest gt | oracle gt | cmu | cmu8 | hdm05 | val MPJPE | steps | train time | command |",
               "|" + "---|" * 15]
        shown = set()
        for rid, label, cfg, base in SCHEDULE:
            if rid in schedule:
                if base in results and base not in shown:
                    shown.add(base)
                    md.append(_row(f"{base} (table 1)", results[base], mdn=True, cmd="–"))
                md.append(_row(label, schedule[rid], mdn=True, cmd=f"`posegraph train --config {cfg} --out runs/long/{rid}`"))
        md.append("")
    md += mirroring(results, schedule)
    md += person_table(person or {})
    md += global_search_table(dev, results, schedule, side.get("alternative"))
    md += joint_embedding_lines({**{f"trial/{k}": v for k, v in trials.items()}, **dev}, seed_spread(dev) or 0.0)
    md += findings(results, trials, schedule, dev, side.get("exact") or {})
    md += ["Evaluate any row: `posegraph eval --checkpoint NAME_OR_PATH --setting gt|noisy` (per-source and per-action "
           "tables); per-action results of every row of table 1 are in `lift.json`.", ""]
    return "\n".join(md)


def mirroring(results: dict, schedule: dict | None = None) -> list[str]:
    """Test-time mirroring: the validation evidence it is chosen on, and the test results with it."""
    rows = [(label, results.get(rid), cfg if shipped else None) for _, rid, label, cfg, shipped in ROWS]
    rows += [(label, (schedule or {}).get(rid), None) for rid, label, cfg, _ in SCHEDULE]
    rows = [(label, r, cfg) for label, r, cfg in rows if r is not None and r.get("mirrored")]
    if not rows:
        return []
    md = ["## 6. Test-time mirroring", "",
          "Each model run once more on the mirrored input (left/right joints swapped, image x negated: the mirror that "
          "training's flips use), the second prediction mirrored back and the two averaged (GraphMDN: the mixture of "
          "both passes' kernels at half weight, so its mean is the average of the two means and `highest`/`oracle` pick "
          "among 2M hypotheses). Chosen per model on the validation takes (`val`, gt inputs); the tables above are single "
          "passes, as the papers report. `ships with` is a shipped row's `model.flip_test` (its config): what `posegraph` "
          "runs for that model (– for rows not shipped).", "",
          "| model | val | val mirrored | MPJPE gt | MPJPE gt mirrored | MPJPE noisy | MPJPE noisy mirrored "
          "| P-MPJPE gt mirrored | highest gt mirrored | oracle gt mirrored | ships with |",
          "|" + "---|" * 11]
    for label, r, cfg in rows:
        m = r["mirrored"]
        md.append(f"| {label} | {fmt(m['val_plain'])} | {fmt(m['val_mirrored'])} | {fmt(r['gt']['mpjpe'])} | "
                  f"{fmt(m['gt']['mpjpe'])} | {fmt(r['noisy']['mpjpe'])} | {fmt(m['noisy']['mpjpe'])} | "
                  f"{fmt(m['gt'].get('p_mpjpe'))} | {fmt(m['gt'].get('mpjpe_highest'))} | {fmt(m['gt'].get('mpjpe_oracle'))} | "
                  f"{'–' if cfg is None else 'mirroring' if flip_configured(cfg) else 'one pass'} |")
    return md + [""]


def as_shipped(r: dict, cfg_path: str, setting: str = "gt") -> float:
    """A table-1 row's test MPJPE as ``posegraph`` runs the model (with mirroring where its config
    sets ``model.flip_test``)."""
    m = r.get("mirrored")
    return m[setting]["mpjpe"] if m and flip_configured(cfg_path) else r[setting]["mpjpe"]


# (better, worse, what the paper reports): orderings the papers claim, checked on our data
PAPER_ORDERINGS = [
    ("semgcn", "baseline", "SemGCN (Zhao et al.) reports beating the Martinez baseline with 10% of its parameters"),
    ("semgcn", "resgcn_vanilla", "SemGCN reports semantic convolutions beating vanilla graph convolutions"),
    ("semgcn_no_semantic", "resgcn_vanilla", "SemGCN reports non-local blocks helping vanilla graph convolutions too"),
    ("semgcn", "semgcn_no_semantic", "SemGCN reports semantic convolutions beating vanilla ones when both have non-local blocks"),
    ("semgcn", "semgcn_no_nonlocal", "SemGCN reports the non-local blocks helping"),
    ("global-node", "decoupled-wide", "Liu et al. report the global node beating a decoupled GCN of the same size"),
    ("global-node", "decoupled_wide", "Liu et al. report the global node beating a decoupled GCN of the same size"),
    ("global_none", "decoupled_wide", "Liu et al. report even the unsupervised global node beating the decoupled GCN"),
    ("global_joint_embedding", "decoupled_wide_joint_embedding", "Liu et al. report the global node beating a decoupled "
     "GCN of the same size (here both with a learned vector per joint, table 8c; not in the papers)"),
    ("global-node", "global_none", "Liu et al. report the auxiliary action classification helping"),
    ("global_embed10", "global_none", "Liu et al. report the auxiliary pose embedding helping"),
    ("graphmdn", "semgcn", "GraphMDN reports its mixture (mean hypothesis) beating SemGCN"),
    ("modulated-gcn", "semgcn", "Zou & Tang report the modulated GCN beating SemGCN"),
    ("modulated-gcn", "baseline", "Zou & Tang report the modulated GCN beating the Martinez baseline"),
]


NOISE_MM = 2.0
"""Differences below this are not called an ordering: one run per row, and two seeds of the same short
training differ by ~2.9 mm (benchmarks/results/reliability.md)."""


def _verdict(ea, eb):
    if abs(ea - eb) < NOISE_MM:
        return f"too close to call (within the {NOISE_MM:.0f} mm run-to-run noise)"
    return "reproduces" if ea < eb else "does **not** reproduce"


TRIAL_ORDERINGS = {"global-node": "global_node_trial_raw", "decoupled-wide": "decoupled_wide_trial"}
"""Table 4's rows under the row ids of the orderings they test."""


def _recipe(r: dict) -> tuple:
    """What two rows must share, besides their length, to be compared: batch, optimiser, the
    augmentations and the per-joint vector (not in the papers), from the run's own config."""
    c = r.get("config") or {}
    t, d = c.get("train") or {}, c.get("data") or {}
    kw = (c.get("model") or {}).get("kwargs") or {}
    return (t.get("batch_size"), t.get("optimizer", "adam"), t.get("weight_decay", 0.0), bool(d.get("random_cameras")),
            d.get("noise_px"), d.get("noise_prob"), d.get("bone_scale", 0.0), bool(kw.get("joint_embedding")))


def findings(results: dict, trials: dict | None = None, schedule: dict | None = None, device: dict | None = None,
             exact: dict | None = None) -> list[str]:
    """Which of the papers' orderings reproduce here (gt inputs), computed within each protocol."""
    out = ["## Do the papers' orderings reproduce?", "", "Computed from the rows, gt inputs, each comparison within one "
           "protocol (table 1: long protocol; table 2: table 1's protocol cut to 6000 steps; table 4: 1500-step "
           "trials; all with the current code).", ""]
    long_rows = {rid: r for rid, r in results.items() if r.get("on_protocol")}
    trial_rows = {a: (trials or {})[b] for a, b in TRIAL_ORDERINGS.items() if b in (trials or {})}
    abl_rows = {a: (device or {})[b] for a, b in ABL_ORDERING_IDS.items() if b in (device or {})}
    for name, rows in (("table 1", long_rows), ("table 2", abl_rows), ("table 4", trial_rows)):
        seen = set()
        for a, b, claim in PAPER_ORDERINGS:
            if a in rows and b in rows and claim not in seen and _recipe(rows[a]) == _recipe(rows[b]):
                seen.add(claim)
                ea, eb = rows[a]["gt"]["mpjpe"], rows[b]["gt"]["mpjpe"]
                out.append(f"- {claim}: {_verdict(ea, eb)} in {name} ({a} {ea:.1f} mm vs {b} {eb:.1f} mm).")
    # table 1 rows whose schedules differ: compared again at one length where table 5 has it
    # (and, for a row trained with options the other lacks, at that row's previous recipe)
    halves: dict = {}
    for rid, _, _, base in SCHEDULE:
        if rid in (schedule or {}):
            halves.setdefault(base, []).append(schedule[rid])
    seen = set()
    for a, b, claim in PAPER_ORDERINGS:
        ra, rb = long_rows.get(a), long_rows.get(b)
        if (ra is None or rb is None or claim in seen
                or (ra.get("steps") == rb.get("steps") and _recipe(ra) == _recipe(rb))):
            continue
        seen.add(claim)
        pairs = [(h, rb) for h in halves.get(a, [])] + [(ra, h) for h in halves.get(b, [])]
        for rx, ry in pairs:
            if rx.get("steps") == ry.get("steps") and _recipe(rx) == _recipe(ry):
                ex, ey = rx["gt"]["mpjpe"], ry["gt"]["mpjpe"]
                out.append(f"- {claim}, at one schedule length ({rx['steps']} steps, table 5 beside table 1): "
                           f"{_verdict(ex, ey)} ({a} {ex:.1f} mm vs {b} {ey:.1f} mm).")
    g = results.get("graphmdn", {}).get("gt", {})
    if g.get("mpjpe_oracle") is not None:
        gain = 100 * (1 - g["mpjpe_oracle"] / g["mpjpe"])
        out.append(f"- GraphMDN reports its oracle hypothesis well below its mean: oracle {g['mpjpe_oracle']:.1f} mm vs "
                   f"mean {g['mpjpe']:.1f} mm in table 1 ({gain:.1f}% lower).")
    results = long_rows
    graph = [rid for rid in SHIPPED_GRAPH_LIFTERS if rid in results]
    if graph:
        worst = max(graph, key=lambda r: results[r]["gt"]["mpjpe"])
        out.append(f"- Against the official SemGCN code on these samples ({OFFICIAL_SEMGCN_MM} mm): the worst shipped graph "
                   f"model in table 1 is {worst} at {results[worst]['gt']['mpjpe']:.1f} mm; "
                   + ", ".join(f"{r} {results[r]['gt']['mpjpe']:.1f}" for r in graph) + ".")
    noisy = {rid: r["noisy"]["mpjpe"] for rid, r in results.items()}
    if noisy:
        best = min(noisy, key=noisy.get)
        out.append(f"- With noisy 2D (σ 4 px) the best model of table 1 is {best} at {noisy[best]:.1f} mm.")
    cfgs = {rid: cfg for _, rid, _, cfg, shipped in ROWS if shipped and rid in results}
    if cfgs and any(results[rid].get("mirrored") for rid in cfgs):
        gt = {rid: as_shipped(results[rid], cfg) for rid, cfg in cfgs.items()}
        nz = {rid: as_shipped(results[rid], cfg, "noisy") for rid, cfg in cfgs.items()}
        best = min(nz, key=nz.get)
        out.append("- As `posegraph` runs the shipped models (test-time mirroring where the config sets it, table 6), "
                   "test MPJPE gt / noisy: " + ", ".join(f"{rid} {gt[rid]:.1f} / {nz[rid]:.1f}" for rid in gt)
                   + (f" mm; worst graph model {max((r for r in gt if r in graph), key=gt.get)}" if graph else " mm")
                   + f"; best with noisy 2D {best}.")
        if "graphmdn" in gt and "semgcn" in gt:
            out.append(f"- GraphMDN (mean) against SemGCN as shipped: {gt['graphmdn']:.1f} vs {gt['semgcn']:.1f} mm "
                       f"({'not worse' if gt['graphmdn'] <= gt['semgcn'] else 'worse'}).")
    exact = exact or {}
    if exact:
        sem = exact.get("semgcn-gt")
        pick = exact_pick(exact)
        parts = [f"{rid} {r['gt']['mpjpe']:.1f} single / {(r.get('mirrored') or {}).get('gt', {}).get('mpjpe', float('nan')):.1f} "
                 f"mirrored" for rid, r in exact.items() if rid == "semgcn-gt" or rid == pick]
        out.append("- Trained on exact 2D only (table 1b), test MPJPE gt: " + ", ".join(parts) + " mm"
                   + (f"; SemGCN {'≤' if sem['gt']['mpjpe'] <= 45 else '>'} 45 mm and "
                      f"{'below' if 'baseline' in long_rows and sem['gt']['mpjpe'] < long_rows['baseline']['gt']['mpjpe'] else 'not below'} "
                      "the baseline of table 1" if sem else "")
                   + (f"; the exact-2D global node is {'below' if exact[pick]['gt']['mpjpe'] < OFFICIAL_SEMGCN_MM else 'not below'} "
                      f"the official SemGCN code's {OFFICIAL_SEMGCN_MM} mm" if pick else "") + ".")
    out.append("")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="train rows that have no model yet")
    ap.add_argument("--rows", default=None, help="comma-separated row ids of table 1 or 5 to train, ship and measure "
                                                 "(default: all); the other rows keep their stored results")
    ap.add_argument("--jobs", type=int, default=2, help="trainings run at once (each on one thread)")
    ap.add_argument("--ship", action="store_true", help="copy shipped rows' trained weights into the package")
    ap.add_argument("--report", action="store_true", help="only rewrite lift.md from lift.json (no measuring)")
    a = ap.parse_args()
    from posegraph.fileio import save_json, write_text

    stored_file = OUT / "lift.json"
    stored = json.loads(stored_file.read_text()) if stored_file.exists() else {}
    if a.report:
        write_text(OUT / "lift.md", markdown(stored))
        print(f"wrote {OUT / 'lift.md'} from {stored_file.name}")
        return 0
    ids = a.rows.split(",") if a.rows else [r[1] for r in ROWS]
    if a.train:
        train_rows(ids, a.jobs)
    if a.ship:
        for rid, shipped in dict((r[1], r[4]) for r in ROWS).items():
            if shipped and rid in ids and (RUNS / rid / "model.pt").exists():
                ship(rid, shipped)
    # a row whose run folder is gone (runs/ stays out of git) and that ships no weights keeps its
    # last measured result
    results = {}
    for _, rid, _, cfg, shipped in ROWS:
        if a.rows and rid not in ids and rid in stored:  # not asked for: as last measured
            results[rid] = stored[rid]
            continue
        if rid not in results:
            r = evaluate_row(rid, shipped) or (dict(stored[rid]) if rid in stored else None)
            old = stored.get(rid) or {}
            if r is not None and old.get("steps") == r.get("steps") and old.get("source") == r.get("source"):
                for k in ("val_curve", "test_curve", "train_wall_seconds"):  # the run folder is gone, its record is not
                    if not r.get(k) and old.get(k):
                        r[k] = old[k]
            if r is not None:
                r["on_protocol"] = on_protocol(r, cfg)
                results[rid] = r
                print(f"{rid:22s} MPJPE gt {r['gt']['mpjpe']:.1f}  noisy {r['noisy']['mpjpe']:.1f}  ({r['source']})", flush=True)

    def side_rows(rows, runs: Path | None, key: str, mirrored: bool = False) -> dict:
        """Rows trained outside table 1: measured from their runs (``runs/<row>``; None: table 1b's
        folders), else as last stored."""
        out = {}
        for rid, _, _ in rows:
            run = exact_run(rid) if runs is None else runs / rid
            if a.rows and rid not in ids and f"{key}/{rid}" in stored:
                out[rid] = stored[f"{key}/{rid}"]
            elif (run / "model.pt").exists():
                out[rid] = evaluate_run(run / "model.pt", run, mirrored=mirrored)
            elif f"{key}/{rid}" in stored:
                out[rid] = stored[f"{key}/{rid}"]
        return out

    import os

    device_rows = [(rid, None, None) for rid in dict.fromkeys([r for _, rows in ABLATION_TABLES for r, _ in rows]
                                                              + [r for r, _ in OPTIONS] + [r for r, _ in GLOBAL_SEARCH]
                                                              + [r for _, r, _ in JOINT_EMBEDDING if not r.startswith("trial/")])]
    runs_root = REPO / "runs"
    if a.ship:
        from posegraph.pipeline import ship_model

        for rid, name in exact_ship_names().items():
            if not a.rows or rid in ids:
                cfg = next(e[2] for e in EXACT if e[0] == rid)
                print(f"shipped {exact_run(rid) / 'model.pt'} as "
                      f"{ship_model(exact_run(rid) / 'model.pt', name, flip_test=flip_configured(cfg))}")
    stored = {**results,
              **{f"device/{k}": v for k, v in side_rows(device_rows, runs_root, "device").items()},
              **{f"exact/{k}": v for k, v in side_rows([e[:3] for e in EXACT], None, "exact", True).items()},
              **{f"trial/{k}": v for k, v in side_rows(TRIALS, TRIAL_RUNS, "trial").items()},
              **{f"schedule/{k}": v for k, v in side_rows([r[:3] for r in SCHEDULE], RUNS, "schedule", True).items()},
              **{f"person/{k}": v for k, v in side_rows(PERSON, PERSON_RUNS, "person", True).items()},
              **{f"alternative/{k}": v for k, v in side_rows(GLOBAL_ALTERNATIVES, RUNS, "alternative", True).items()},
              "machine": {"cpu_count": os.cpu_count()}}
    save_json(OUT / "lift.json", stored)
    write_text(OUT / "lift.md", markdown(stored))
    print(f"wrote {OUT / 'lift.json'} and {OUT / 'lift.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
