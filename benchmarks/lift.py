"""The lifting tables on mocap-lift: SemGCN's ablation, Liu et al.'s global node, GraphMDN, modulated GCN.

Every row is a config in configs/lift/; its run lives in runs/lift/<row>. Rows of shipped models
are evaluated from the shipped weights (src/posegraph/assets/pretrained/<name>.pt), so that
`posegraph eval --checkpoint <name>` reproduces them exactly.

    python benchmarks/lift.py                 # evaluate what exists, write benchmarks/results/lift.md/.json
    python benchmarks/lift.py --train         # first train the rows that have no model yet (2 at a time)
    python benchmarks/lift.py --train --rows semgcn,graphmdn --ship
                                              # ... and copy shipped rows' best weights into the package

Trained on gt inputs; evaluated with gt and noisy (sigma 4 px) inputs. Model choice and
early stopping use the validation takes (whole held-out training takes), never the test split.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results"
RUNS = REPO / "runs" / "lift"

# (table, row id, label, config, shipped name or None)
ROWS = [
    ("semgcn", "resgcn_vanilla", "ResGCN (vanilla graph conv)", "configs/lift/ablations/resgcn_vanilla.yaml", None),
    ("semgcn", "semgcn_no_semantic", "SemGCN w/o semantic conv (vanilla + non-local)", "configs/lift/ablations/semgcn_no_semantic.yaml", None),
    ("semgcn", "semgcn_no_nonlocal", "SemGCN w/o non-local", "configs/lift/ablations/semgcn_no_nonlocal.yaml", None),
    ("semgcn", "semgcn", "SemGCN (full, shipped `semgcn`)", "configs/lift/semgcn.yaml", "semgcn"),
    ("semgcn", "semgcn_channelwise", "SemGCN channel-wise", "configs/lift/ablations/semgcn_channelwise.yaml", None),
    ("semgcn", "baseline", "Martinez et al. baseline (shipped `baseline`)", "configs/lift/baseline.yaml", "baseline"),
    ("global", "decoupled_wide", "Decoupled GCN, widened to 0.66M", "configs/lift/ablations/decoupled_wide.yaml", None),
    ("global", "global_none", "Global node, unsupervised", "configs/lift/ablations/global_none.yaml", None),
    ("global", "global_cluster50", "Global node + action classification K=50", "configs/lift/ablations/global_cluster50.yaml", None),
    ("global", "global-node", "Global node + action classification K=100 (shipped `global-node`)", "configs/lift/global_node.yaml", "global-node"),
    ("global", "global_cluster200", "Global node + action classification K=200", "configs/lift/ablations/global_cluster200.yaml", None),
    ("global", "global_embed10", "Global node + pose embedding 10", "configs/lift/ablations/global_embed10.yaml", None),
    ("global", "global_embed20", "Global node + pose embedding 20", "configs/lift/ablations/global_embed20.yaml", None),
    ("mdn", "semgcn", "SemGCN (point estimate)", "configs/lift/semgcn.yaml", "semgcn"),
    ("mdn", "graphmdn", "GraphMDN node-level M=5 (shipped `graphmdn`)", "configs/lift/graphmdn.yaml", "graphmdn"),
    ("mdn", "graphmdn_node8", "GraphMDN node-level M=8", "configs/lift/ablations/graphmdn_node8.yaml", None),
    ("mdn", "graphmdn_pose5", "GraphMDN pose-level M=5", "configs/lift/ablations/graphmdn_pose5.yaml", None),
    ("mdn", "graphmdn_pose8", "GraphMDN pose-level M=8", "configs/lift/ablations/graphmdn_pose8.yaml", None),
    ("modulated", "modulated-gcn", "Modulated GCN (shipped `modulated-gcn`)", "configs/lift/modulated_gcn.yaml", "modulated-gcn"),
    ("schedule", "semgcn", "SemGCN, 3000 steps (shipped `semgcn`)", "configs/lift/semgcn.yaml", "semgcn"),
    ("schedule", "semgcn_long", "SemGCN, 9000 steps (trained alone, 2 threads)", "configs/lift/ablations/semgcn_long.yaml", None),
    ("schedule", "baseline", "Martinez et al. baseline, 8000 steps (shipped `baseline`)", "configs/lift/baseline.yaml", "baseline"),
]
TABLES = {
    "semgcn": "1. SemGCN's ablation (Zhao et al., CVPR'19, Table 4 style)",
    "global": "2. Global node and auxiliary tasks (Liu, Zou & Tang, ACCV'20, Tables 1-3)",
    "mdn": "3. GraphMDN (Oikarinen et al., Table 1): hypothesis selection and mixture level",
    "modulated": "4. Modulated GCN (Zou & Tang, ICCV'21)",
    "schedule": "5. Schedule length: how undertrained is SemGCN at the tables' 3000 steps?",
}


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
    from posegraph.pipeline import ship_model

    print(f"shipped {RUNS / rid / 'model.pt'} as {ship_model(RUNS / rid / 'model.pt', name)}")


def evaluate_row(rid: str, shipped: str | None) -> dict | None:
    from posegraph.data.lift import load_lift
    from posegraph.evaluate import evaluate_lift
    from posegraph.pipeline import list_pretrained, load_model_file, pretrained, read_model_file

    if shipped and shipped in list_pretrained():
        pipe, source = pretrained(shipped), f"shipped `{shipped}`"
        from posegraph.pipeline import pretrained_dir

        meta = read_model_file(pretrained_dir() / f"{shipped}.pt").get("metrics", {})
    elif (RUNS / rid / "model.pt").exists():
        pipe, source = load_model_file(RUNS / rid / "model.pt"), f"runs/lift/{rid}/model.pt"
        meta = read_model_file(RUNS / rid / "model.pt").get("metrics", {})
    else:
        return None
    res = {"source": source, "params": pipe.num_parameters()}
    for s in ("gt", "noisy"):
        res[s] = evaluate_lift(pipe, _cache(s, load_lift))
    run_metrics = RUNS / rid / "metrics.json"
    if run_metrics.exists():  # the run's own record, for model files written before it carried these
        meta = {**json.loads(run_metrics.read_text()), **meta}
    res["train_wall_seconds"] = meta.get("train_wall_seconds", meta.get("train_wall_seconds_this_session"))
    res["train_samples_per_second"] = meta.get("train_samples_per_second")
    res["steps"] = meta.get("steps")
    res["best_val_mpjpe"] = meta.get("best_val_mpjpe")
    return res


_DATA: dict = {}


def _cache(setting, loader):
    if setting not in _DATA:
        _DATA[setting] = loader("test", setting)
    return _DATA[setting]


def fmt(x, nd=1):
    return "–" if x is None else f"{x:.{nd}f}"


def render(results: dict) -> str:
    md = ["# Lifting on mocap-lift", "",
          "Trained on the mocap-lift training split with gt 2D inputs (validation: whole held-out training takes); "
          "evaluated on the person-disjoint test split with gt and noisy (σ = 4 px) 2D inputs. MPJPE / P-MPJPE in mm over "
          "the model's 16 joints (pelvis included). Train time and samples/s are wall-clock on this 2-core CPU machine "
          "with two or three trainings sharing it (one thread each), so they are upper bounds; the rows of the "
          "shipped models were trained in the first session, with an implementation about 4x slower than the "
          "current one (joint-major layers) and up to five jobs sharing the cores. `benchmarks/results/speed.md` "
          "measures training throughput alone on the machine. Regenerate: `python benchmarks/lift.py --train`.", ""]
    for t, title in TABLES.items():
        rows = [r for r in ROWS if r[0] == t]
        md += [f"## {title}", ""]
        mdn = t == "mdn"
        head = "| model | params | MPJPE gt | P-MPJPE gt | MPJPE noisy | P-MPJPE noisy |"
        if mdn:
            head += " highest gt | oracle gt |"
        head += " cmu | cmu8 | hdm05 | val MPJPE | train time | samples/s | command |"
        md += [head, "|" + "---|" * (head.count("|") - 1)]
        for _, rid, label, cfg, shipped in rows:
            r = results.get(rid)
            cmd = f"`posegraph train --config {cfg} --out runs/lift/{rid}`"
            if r is None:
                md.append(f"| {label} | – | not trained yet | | | |" + (" | |" if mdn else "") + f" | | | | | | {cmd} |")
                continue
            g, n = r["gt"], r["noisy"]
            line = f"| {label} | {r['params']:,} | {fmt(g['mpjpe'])} | {fmt(g['p_mpjpe'])} | {fmt(n['mpjpe'])} | {fmt(n['p_mpjpe'])} |"
            if mdn:
                line += f" {fmt(g.get('mpjpe_highest'))} | {fmt(g.get('mpjpe_oracle'))} |"
            src = g.get("source", {})
            line += "".join(f" {fmt(src.get(s, {}).get('mpjpe'))} |" for s in ("cmu", "cmu8", "hdm05"))
            wall = r.get("train_wall_seconds")
            line += f" {fmt(r.get('best_val_mpjpe'))} | {fmt(wall / 60 if wall else None)} min | {fmt(r.get('train_samples_per_second'), 0)} | {cmd} |"
            md.append(line)
        md.append("")
    md += findings(results)
    md += ["Evaluate any row: `posegraph eval --checkpoint NAME_OR_PATH --setting gt|noisy` (per-source and per-action "
           "tables); per-action results of every row are in `lift.json`.", ""]
    return "\n".join(md)


# (better, worse, what the paper reports): orderings the papers claim, checked on our data
PAPER_ORDERINGS = [
    ("semgcn", "baseline", "SemGCN (Zhao et al.) reports beating the Martinez baseline with 10% of its parameters"),
    ("semgcn", "resgcn_vanilla", "SemGCN reports semantic convolutions beating vanilla graph convolutions"),
    ("semgcn_no_semantic", "resgcn_vanilla", "SemGCN reports non-local blocks helping vanilla graph convolutions too"),
    ("semgcn", "semgcn_no_semantic", "SemGCN reports semantic convolutions beating vanilla ones when both have non-local blocks"),
    ("semgcn", "semgcn_no_nonlocal", "SemGCN reports the non-local blocks helping"),
    ("global-node", "decoupled_wide", "Liu et al. report the global node beating a decoupled GCN of the same size"),
    ("global_none", "decoupled_wide", "Liu et al. report even the unsupervised global node beating the decoupled GCN"),
    ("global-node", "global_none", "Liu et al. report the auxiliary action classification helping"),
    ("global_embed10", "global_none", "Liu et al. report the auxiliary pose embedding helping"),
    ("graphmdn", "semgcn", "GraphMDN reports its mixture (mean hypothesis) beating SemGCN"),
    ("modulated-gcn", "semgcn", "Zou & Tang report the modulated GCN beating SemGCN"),
    ("modulated-gcn", "baseline", "Zou & Tang report the modulated GCN beating the Martinez baseline"),
]


NOISE_MM = 2.0
"""Differences below this are not called an ordering: one run per row, and two seeds of the same short
training differ by ~2.9 mm (benchmarks/results/reliability.md)."""


def findings(results: dict) -> list[str]:
    """Which of the papers' orderings reproduce here (gt inputs), computed from the rows."""
    out = ["## Do the papers' orderings reproduce?", ""]
    for a, b, claim in PAPER_ORDERINGS:
        if a in results and b in results:
            ea, eb = results[a]["gt"]["mpjpe"], results[b]["gt"]["mpjpe"]
            if abs(ea - eb) < NOISE_MM:
                verdict = f"too close to call (within the {NOISE_MM:.0f} mm run-to-run noise)"
            else:
                verdict = "reproduces" if ea < eb else "does **not** reproduce"
            out.append(f"- {claim}: {verdict} here ({a} {ea:.1f} mm vs {b} {eb:.1f} mm, gt inputs).")
        else:
            missing = ", ".join(x for x in (a, b) if x not in results)
            out.append(f"- {claim}: not tested yet ({missing} not trained).")
    if "semgcn_long" in results and "semgcn" in results:
        el, es = results["semgcn_long"]["gt"]["mpjpe"], results["semgcn"]["gt"]["mpjpe"]
        base = f"; the baseline has {results['baseline']['gt']['mpjpe']:.1f} mm at 8000 steps" if "baseline" in results else ""
        schedule = (f"; table 5 trains SemGCN 3x longer: {el:.1f} mm at 9000 steps vs {es:.1f} mm at 3000 "
                    f"({'better by' if el < es else 'worse by'} {abs(es - el):.1f} mm{base}), so the tables' "
                    "3000-step budget is part of why the graph models trail")
    else:
        schedule = ", so longer schedules should narrow the gap to the baseline (table 5, `semgcn_long`)"
    out += ["", "What was tried, and caveats: every graph model trains for the same budget (3000 steps of 256 "
            "samples, about 4 epochs, one-cycle schedule, flips, inputs and outputs standardised with training "
            "statistics, seed 0; one run per row, so differences of a few mm are within run-to-run noise); the "
            "Martinez baseline trains for 8000 steps. Without the standardisation, SemGCN stayed at the "
            "mean-pose error for the first 500 steps (inputs are normalised screen coordinates spanning the whole "
            "image, as in SemGCN's code); with it, it learns. Validation curves of the graph models were still "
            "falling at 3000 steps (each run's `logs/metrics.csv` and `training_curves.png`)" + schedule + ". All global-node variants land within 2 mm of each other (116-118 mm) "
            "and behind the decoupled GCN (109 mm): the decoupled convolution, which both build on, shares one "
            "neighbour weight across all joints, and on this data that sharing costs far more than the global "
            "node or its auxiliary task can give back (the semantic and modulated convolutions, with per-edge "
            "or per-joint weights, reach 53-60 mm). Models are selected on the validation takes "
            "only; nothing was tuned on the test split. The papers train for ~50 epochs on Human3.6M's 1.5M "
            "samples. `cmu8` test rows are better than `cmu` for every model: `cmu8` test is not "
            "person-disjoint from training.", ""]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="train rows that have no model yet")
    ap.add_argument("--rows", default=None, help="comma-separated row ids (default: all)")
    ap.add_argument("--jobs", type=int, default=2, help="trainings run at once (each on one thread)")
    ap.add_argument("--ship", action="store_true", help="copy shipped rows' trained weights into the package")
    a = ap.parse_args()
    ids = a.rows.split(",") if a.rows else [r[1] for r in ROWS]
    if a.train:
        train_rows(ids, a.jobs)
    if a.ship:
        for rid, shipped in dict((r[1], r[4]) for r in ROWS).items():
            if shipped and rid in ids and (RUNS / rid / "model.pt").exists():
                ship(rid, shipped)
    from posegraph.fileio import save_json, write_text

    results = {}
    for _, rid, _, _, shipped in ROWS:
        if rid not in results:
            r = evaluate_row(rid, shipped)
            if r is not None:
                results[rid] = r
                print(f"{rid:22s} MPJPE gt {r['gt']['mpjpe']:.1f}  noisy {r['noisy']['mpjpe']:.1f}  ({r['source']})", flush=True)
    write_text(OUT / "lift.md", render(results))
    save_json(OUT / "lift.json", results)
    print(f"wrote {OUT / 'lift.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
