"""Speed report: benchmarks/results/speed.json -> speed.md, without measuring anything.

``benchmarks/speed.py`` measures and calls :func:`markdown`; run this file alone to rewrite the
page from the stored numbers (after a change to the wording or the tables). Every sentence of the
findings is computed from the JSON.

    python benchmarks/speed_report.py [benchmarks/results/speed.json] [--out speed.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _fmt_rate(v: float) -> str:
    return f"{v / 1e6:.2f}M" if v >= 1e6 else (f"{v / 1e3:.1f}k" if v >= 1e3 else f"{v:.0f}")


def markdown(report: dict) -> str:
    env, peaks, args = report["environment"], report["peaks"], report["settings"]
    L = ["# Speed: inference and training throughput", "",
         f"Regenerate with `python benchmarks/speed.py{' --quick' if args['quick'] else ''}` "
         f"(this run: {'QUICK mode — few models, few iterations; indicative only' if args['quick'] else 'full'}); "
         "`python benchmarks/speed_report.py` rewrites this page from speed.json without measuring.", "",
         "## Environment", "",
         f"- CPU: {env['cpu']}, {env['cores']} cores; threads used: {env['threads']} (torch and ONNX Runtime intra-op)",
         f"- Python {env['python']}, torch {env['torch']}, onnxruntime {env['onnxruntime']}; {env['date']}",
         f"- Load average at start: {', '.join(f'{v:.2f}' for v in env['load_average_at_start'])}"
         + (" — **the machine was shared (load > 1.5): numbers are pessimistic and noisy**" if env["shared_machine"] else ""),
         f"- Float32 matmul peak ({args['peak_size']}x{args['peak_size']} @ {args['peak_size']}x{args['peak_size']}): "
         f"PyTorch {peaks['torch'] / 1e9:.1f} GFLOP/s, ONNX Runtime {peaks['onnx'] / 1e9:.1f} GFLOP/s", "",
         "FLOPs count matrix products only (multiply-add = 2, `posegraph.flops`); *per sample* is the marginal "
         "cost of one more pose/sequence (batch-independent work such as softmax-normalising the learned adjacency "
         "is listed as *const*). % = throughput x FLOPs per sample / the runtime's peak. Inputs are random tensors "
         "already in memory (the model only is timed).", "",
         "## Models", "",
         "| model | task | weights | params | FLOPs/sample | const FLOPs |", "|---|---|---|---:|---:|---:|"]
    for r in report["models"]:
        L.append(f"| {r['name']} | {r['task']} | {'trained' if r['trained'] else 'untrained'} ({r['source']}) | "
                 f"{r['params'] / 1e6:.3f}M | {r['flops_per_sample'] / 1e6:.2f}M | {r['flops_constant'] / 1e3:.0f}k |")
    bs = args["batches"]
    L += ["", "## Inference", "",
          "| model | backend | " + " | ".join(f"batch {b} /s (% peak)" for b in bs) + " | b1 latency median / p95 (ms) |",
          "|---|---|" + "---:|" * len(bs) + "---:|"]
    for r in report["models"]:
        for bk, v in r["backends"].items():
            L.append(f"| {r['name']} | {bk} | " + " | ".join(
                f"{_fmt_rate(v['throughput'][str(b)])} ({100 * v['peak_fraction'][str(b)]:.1f}%)" for b in bs)
                + f" | {v['latency_b1']['median_ms']:.3f} / {v['latency_b1']['p95_ms']:.3f} |")
    if any("train" in r for r in report["models"]):
        L += ["", "## Training (forward + backward + grad clip + Adam, config batch size)", "",
              "| model | batch | samples/s | step (ms) | % of PyTorch peak (3x forward FLOPs) |", "|---|---:|---:|---:|---:|"]
        for r in report["models"]:
            if "train" in r:
                t = r["train"]
                L.append(f"| {r['name']} | {t['batch_size']} | {_fmt_rate(t['samples_per_s'])} | {t['step_ms']:.1f} | "
                         f"{100 * t['peak_fraction']:.1f}% |")
    L += ["", "## Targets", "", "| model | target | value | met |", "|---|---|---:|---|"]
    for r in report["models"]:
        for k, t in r["targets"].items():
            val = f"{t['value']:.3f} ms" if k == "latency" else f"{100 * t['value']:.1f}%"
            L.append(f"| {r['name']} | {t['what']} | {val} | {'n/a' if t['met'] is None else ('yes' if t['met'] else '**no**')}"
                     + (f" ({t['note']})" if t.get("note") else "") + " |")
    profiled = [r for r in report["models"] if "profile" in r]
    if profiled:
        L += ["", "## Where the time goes (models that miss a target)", ""]
        for r in profiled:
            L.append(f"**{r['name']}**")
            L.append("")
            for key, p in r["profile"].items():
                if key.startswith(("torch_ops", "train_ops")):
                    cats = ", ".join(f"{k} {100 * v:.0f}%" for k, v in p["categories"].items())
                    top = ", ".join(f"`{k}` {100 * v:.0f}%" for k, v in p["top_ops"])
                    what = "training step (forward, backward, clip, Adam)" if key.startswith("train") else "eager"
                    unit = "step" if key.startswith("train") else "forward"
                    L.append(f"- {what} {key.split('_')[-1]} ({p['total_ms']:.3f} ms/{unit}): {cats}; top ops: {top}")
                elif key.startswith("modules"):
                    L.append(f"- eager {key.split('_')[-1]}, share of forward wall time by module type (nested: Linear and "
                             "BatchNorm1d also count inside NonLocalBlock/ConvBNReLU): "
                             + ", ".join(f"{k} {100 * v:.0f}%" for k, v in p.items()))
                elif key.startswith("onnx"):
                    L.append(f"- ONNX Runtime {key.split('_')[-1]} ({p['total_ms']:.3f} ms of kernels/run): "
                             + ", ".join(f"{k} {100 * v:.0f}%" for k, v in p["op_types"].items()))
            L.append("")
    found = findings(report)
    if found:
        L += ["## Findings", ""] + [f"- {f}" for f in found] + [""]
    L.append(f"Total benchmark time: {report['seconds']:.0f} s.")
    return "\n".join(L) + "\n"


def _latency_finding(r: dict, peak: float, latency_ms: float) -> str:
    """Why batch-1 latency misses its target: the work at the peak rate against the time measured,
    and what the ONNX Runtime batch-1 profile spends it on."""
    work_ms = r["flops_batch1"] / peak * 1e3
    msg = (f"At batch 1 the work is {r['flops_batch1'] / 1e6:.1f} MFLOP, {work_ms:.3f} ms at the measured ONNX Runtime "
           f"peak, against {latency_ms:.3f} ms measured: {100 * (1 - work_ms / latency_ms):.0f}% of the latency is "
           "the fixed cost of running the graph's nodes")
    if r.get("onnx_nodes"):
        msg += f" ({r['onnx_nodes']} nodes, {1e3 * (latency_ms - work_ms) / r['onnx_nodes']:.1f} µs each)"
    ops = (r.get("profile", {}).get("onnx_b1") or {}).get("op_types") or {}
    if ops:
        msg += "; " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(ops.items())[:4]) + " lead the batch-1 profile"
    return msg + "."


def findings(report: dict) -> list[str]:
    """The findings, each sentence computed from ``report`` (the contents of speed.json)."""
    out = []
    untrained = [r["name"] for r in report["models"] if not r["trained"]]
    if untrained:
        out.append(f"Untrained pipelines (no shipped model yet; speed does not depend on the weights): {', '.join(untrained)}.")
    for r in report["models"]:
        missed = [t["what"] for t in r["targets"].values() if t["met"] is False]
        if not missed:
            continue
        msg = f"{r['name']} misses: {'; '.join(missed)}."
        p = r.get("profile", {})
        big = [v for k, v in p.items() if k.startswith("torch_ops_b") and not k.endswith("_b1")]
        if big:
            cats = big[0]["categories"]
            non_mm = 1 - cats.get("matmul", 0.0)
            msg += f" At the largest batch {100 * non_mm:.0f}% of eager time is outside matrix products " \
                   f"({', '.join(f'{k} {100 * v:.0f}%' for k, v in cats.items() if k != 'matmul')})."
        mods = [v for k, v in p.items() if k.startswith("modules")]
        if mods and mods[0]:
            msg += " By block: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(mods[0].items())[:4]) + "."
        tr = [v for k, v in p.items() if k.startswith("train_ops")]
        if tr:
            cats = tr[0]["categories"]
            top = tr[0]["top_ops"]
            passes = ["the backward passes of the elementwise ops and batch norms"]
            if any("bernoulli" in k for k, _ in top):
                passes.append("dropout's Bernoulli sampling")
            msg += (f" A training step spends {100 * (1 - cats.get('matmul', 0.0)):.0f}% outside matrix products "
                    f"(top: {', '.join(f'`{k}` {100 * v:.0f}%' for k, v in top[:4])}): "
                    f"{', and '.join(passes)} are memory-bound passes over the "
                    "activations that no matrix-multiply speed-up reaches; closing the gap needs fused kernels "
                    "(a compiled training step) rather than layout changes.")
        lat = r["targets"].get("latency")
        if lat and lat["met"] is False:
            msg += " " + _latency_finding(r, report["peaks"]["onnx"], lat["value"])
        out.append(msg)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="?", type=Path, default=RESULTS / "speed.json")
    ap.add_argument("--out", type=Path, default=None, help="default: speed.md beside the JSON")
    a = ap.parse_args(argv)
    report = json.loads(a.json.read_text())
    out = a.out or a.json.with_suffix(".md")
    from posegraph.fileio import write_text

    write_text(out, markdown(report))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
