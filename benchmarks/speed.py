"""Inference and training speed of every shipped model, against the machine's matmul peak.

Measures and writes benchmarks/results/speed.json, then speed.md from it
(``benchmarks/speed_report.py``, which also rewrites speed.md from an existing speed.json
without measuring). For each model (the shipped ones; where none
is shipped, an untrained pipeline built from configs/lift/*.yaml and configs/forecast/*.yaml):

* FLOPs per pose / sequence (``posegraph.flops``: matrix products only, multiply-add = 2);
* throughput (samples/s) at batch 1, 64 and 1024 and batch-1 latency (median, p95) for eager
  PyTorch (inference mode), ``torch.compile`` and ONNX Runtime (CPU), each also as a fraction
  of the runtime's measured float32 matmul peak (2048 x 2048 @ 2048 x 2048);
* training throughput (forward + backward + grad clip + Adam, at the config's batch size) as a
  fraction of PyTorch's peak, counting a training step as 3x the forward FLOPs;
* one pass of each network (test-time mirroring, where a shipped model has it, is off here: it
  doubles the time per sample);
* the targets (graph lifting models >= 50% of peak at batch 1024 in their best backend; semgcn
  batch-1 latency < 0.2 ms in ONNX Runtime; training >= 30% of peak) and, where a model misses,
  the operators that dominate its profile.

    python benchmarks/speed.py                  # full run (quiet machine; minutes)
    python benchmarks/speed.py --quick          # smoke run, under ~2 minutes
    python benchmarks/speed.py --models semgcn,graphmdn --threads 2

Why over 500 lines: one measurement per runtime (eager, compile, ONNX Runtime), training, the
matmul peak and the profile of a model that misses its target, each short, that share one
timing protocol; the report is separate (``speed_report.py``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from posegraph.fileio import save_json, write_text
from posegraph.flops import count_flops, example_input
from posegraph.pipeline import Pipeline, list_pretrained, pretrained, read_model_file, resolve_checkpoint
from posegraph.runtime import OnnxPredictor, export_onnx, input_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import GRAPH_LIFTERS  # noqa: E402
from speed_report import markdown  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results"
TARGET_PEAK_FRACTION = 0.5
TARGET_SEMGCN_LATENCY_MS = 0.2
TARGET_TRAIN_FRACTION = 0.3


# ------------------------------------------------------------------------------- environment
def environment(threads: int) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        load = [float("nan")] * 3
    import onnxruntime as ort

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "onnxruntime": ort.__version__, "threads": threads, "torch_threads": torch.get_num_threads(),
            "load_average_at_start": load, "shared_machine": load[0] > 1.5,
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


# ------------------------------------------------------------------------------- models
def config_models() -> dict[str, dict]:
    """Model name -> {"config": path, "kwargs", "batch_size"}; a student config with a teacher is
    replaced by the teacher config of the same architecture."""
    from posegraph.config import load_config

    found: dict[str, dict] = {}
    for path in sorted((REPO / "configs").glob("*/*.yaml")):
        cfg = load_config(path)  # after its base chain
        model = cfg.get("model", {})
        name = model.get("name")
        if not name:
            continue
        entry = {"config": str(path.relative_to(REPO)), "kwargs": model.get("kwargs", {}) or {},
                 "batch_size": int(cfg.get("train", {}).get("batch_size", 256)),
                 "grad_clip": float(cfg.get("train", {}).get("grad_clip", 0.0) or 0.0),
                 "lr": float(cfg.get("train", {}).get("lr", 1e-3)), "teacher": bool(model.get("teacher"))}
        if name not in found or (found[name]["teacher"] and not entry["teacher"]):
            found[name] = entry
    return found


def select_models(wanted: list[str] | None, quick: bool) -> list[dict]:
    """Shipped models first, then untrained ones from configs for the architectures not shipped."""
    configs = config_models()
    out: dict[str, dict] = {}
    for name in list_pretrained():
        try:
            blob = read_model_file(resolve_checkpoint(name))
        except Exception as e:  # a half-written model while training runs: skip it
            print(f"skipping shipped {name}: {e}", file=sys.stderr)
            continue
        arch = blob["model"]["name"]
        cfg = (blob.get("config") or {}).get("train", {})
        base = configs.get(arch, {})
        out[name] = {"name": name, "arch": arch, "trained": True, "source": f"shipped {name}.pt",
                     "batch_size": int(cfg.get("batch_size", base.get("batch_size", 256))),
                     "grad_clip": float(cfg.get("grad_clip", base.get("grad_clip", 0.0)) or 0.0),
                     "lr": float(cfg.get("lr", base.get("lr", 1e-3)))}
    shipped_archs = {m["arch"] for m in out.values()}
    for arch, c in configs.items():
        if arch not in shipped_archs and arch not in out:
            out[arch] = {"name": arch, "arch": arch, "trained": False, "source": f"untrained from {c['config']}",
                         "kwargs": c["kwargs"], "batch_size": c["batch_size"], "grad_clip": c["grad_clip"],
                         "lr": c["lr"]}
    models = list(out.values())
    if wanted:
        models = [m for m in models if m["name"] in wanted or m["arch"] in wanted]
        missing = set(wanted) - {m["name"] for m in models} - {m["arch"] for m in models}
        if missing:
            raise SystemExit(f"unknown model(s): {', '.join(sorted(missing))}; known: "
                             f"{', '.join(sorted(out))}")
    elif quick:
        models = [m for m in models if m["arch"] in ("semgcn", "sts-gcn")] or models[:2]
    return models


def build(entry: dict) -> Pipeline:
    """The network measured in one pass per input: a shipped model that mirrors at test time
    (``flip_test``) runs two, at twice the time per sample, on the same FLOPs per pass."""
    if entry["trained"]:
        pipe = pretrained(entry["name"])
        pipe.flip_test = False
        return pipe
    return Pipeline(entry["arch"], entry["kwargs"]).eval()


def random_input(pipe, batch: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = example_input(pipe, batch)
    return torch.randn(x.shape, generator=g) * (0.3 if pipe.task == "lift" else 0.5)


# ------------------------------------------------------------------------------- timing
def time_loop(fn, min_time: float, min_iters: int = 3, warmup: int = 2) -> tuple[int, float]:
    """Run ``fn`` until ``min_time`` seconds and ``min_iters`` calls have passed; (calls, seconds)."""
    for _ in range(warmup):
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if n >= min_iters and el >= min_time:
            return n, el


def latency(fn, runs: int, warmup: int = 20) -> dict:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        ts.append((time.perf_counter_ns() - t0) / 1e6)
    ts.sort()
    return {"median_ms": statistics.median(ts), "p95_ms": ts[min(len(ts) - 1, int(0.95 * len(ts)))], "runs": runs}


def torch_peak(size: int, min_time: float) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    n, el = time_loop(lambda: torch.mm(a, b), min_time, min_iters=3, warmup=1)
    return 2 * size ** 3 * n / el


def ort_peak(size: int, min_time: float, threads: int) -> float:
    import onnxruntime as ort
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "mm",
                          [helper.make_tensor_value_info("A", TensorProto.FLOAT, [size, size]),
                           helper.make_tensor_value_info("B", TensorProto.FLOAT, [size, size])],
                          [helper.make_tensor_value_info("C", TensorProto.FLOAT, [size, size])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"])
    feeds = {"A": np.random.randn(size, size).astype(np.float32), "B": np.random.randn(size, size).astype(np.float32)}
    n, el = time_loop(lambda: sess.run(None, feeds), min_time, min_iters=3, warmup=1)
    return 2 * size ** 3 * n / el


def make_runners(pipe, backends: list[str], threads: int, tmpdir: Path) -> dict:
    """backend -> (callable factory for a batch, description)."""
    runners = {}
    train_pipe, pipe = pipe, pipe.for_inference()  # what the predictors run: batch norms folded
    if "eager" in backends:
        def eager(batch):
            x = random_input(pipe, batch)

            def f():
                with torch.inference_mode():
                    return pipe(x)
            return f
        runners["eager"] = eager
    if "compile" in backends:
        compiled = torch.compile(pipe, dynamic=True)

        def comp(batch):
            x = random_input(pipe, batch)

            def f():
                with torch.inference_mode():
                    return compiled(x)
            return f
        runners["compile"] = comp
    if "onnx" in backends:
        path = export_onnx(train_pipe, tmpdir / f"{pipe.model_name}.onnx")
        pred = OnnxPredictor(path, threads=threads)
        name = input_name(pipe)

        def onnx_run(batch):
            feeds = {name: random_input(pipe, batch).numpy()}
            return lambda: pred.session.run(None, feeds)
        runners["onnx"] = onnx_run
        runners["_onnx_predictor"] = pred
        import onnx

        runners["_onnx_nodes"] = len(onnx.load(str(path)).graph.node)
    return runners


def _train_step(pipe, entry: dict):
    """A closure doing one training step (forward, loss, backward, grad clip, Adam) at the config's batch size."""
    pipe = copy.deepcopy(pipe).train()
    B = entry["batch_size"]
    pool_x = random_input(pipe, 4 * B, seed=1)
    with torch.no_grad():
        y = pipe.eval()(pool_x[:B])
    pipe.train()
    y = y["pose"] if isinstance(y, dict) else y
    pool_y = torch.randn((4 * B,) + tuple(y.shape[1:])) * 0.3
    opt = torch.optim.Adam(pipe.parameters(), lr=entry["lr"])
    hook = getattr(pipe.model, "after_optimizer_step", None)
    g = torch.Generator().manual_seed(0)

    def step():
        idx = torch.randint(0, len(pool_x), (B,), generator=g)
        x, t = pool_x[idx], pool_y[idx]
        out = pipe.raw(x)
        loss, _ = pipe.model.loss(out, pipe.out_norm(t))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if entry["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(pipe.parameters(), entry["grad_clip"])
        opt.step()
        if hook is not None:
            hook()
    return step, B


def train_throughput(pipe, entry: dict, min_time: float) -> dict:
    """Samples/s of forward + backward + grad clip + Adam at the config's batch size."""
    step, B = _train_step(pipe, entry)
    n, el = time_loop(step, min_time, min_iters=3, warmup=2)
    return {"batch_size": B, "samples_per_s": n * B / el, "step_ms": 1e3 * el / n}


# ------------------------------------------------------------------------------- profiling
def _category(op: str) -> str:
    o = op.lower()
    if any(k in o for k in ("addmm", "aten::mm", "bmm", "matmul", "linear", "gemm", "einsum", "fusedmatmul")):
        return "matmul"
    if "batch_norm" in o or "batchnorm" in o:
        return "batch norm"
    if "softmax" in o:
        return "softmax"
    if any(k in o for k in ("index", "gather", "amax", "max", "reduce")):
        return "gather/pool (non-local sub-sampling)"
    if any(k in o for k in ("copy", "transpose", "permute", "contiguous", "clone", "reshape", "view", "cat",
                             "expand", "_to_copy", "empty", "zeros")):
        return "copies / layout"
    return "elementwise / other"


def profile_torch(pipe, batch: int, iters: int) -> dict:
    """Self CPU time per operator and per category of an eager forward at ``batch``."""
    x = random_input(pipe, batch)

    def fwd():
        with torch.inference_mode():
            pipe(x)
    return profile_fn(fwd, iters)


def profile_fn(fn, iters: int) -> dict:
    """Self CPU time per operator and per category of ``fn()`` (after one warm-up call)."""
    from torch.profiler import ProfilerActivity, profile

    fn()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(iters):
            fn()
    ops, cats = {}, {}
    for e in prof.key_averages():
        if e.self_cpu_time_total <= 0:
            continue
        ops[e.key] = ops.get(e.key, 0.0) + e.self_cpu_time_total / iters / 1e3
    total = sum(ops.values()) or 1.0
    for k, v in ops.items():
        c = _category(k)
        cats[c] = cats.get(c, 0.0) + v
    top = sorted(ops.items(), key=lambda kv: -kv[1])[:6]
    return {"total_ms": total, "categories": {k: v / total for k, v in sorted(cats.items(), key=lambda kv: -kv[1])},
            "top_ops": [(k, v / total) for k, v in top]}


def module_times(pipe, batch: int, iters: int) -> dict:
    """Wall time per top-level block type (non-local, graph conv, batch norm, head) via hooks."""
    x = random_input(pipe, batch)
    acc: dict[str, float] = {}
    starts: dict[int, float] = {}
    handles = []
    kinds = ("NonLocalBlock", "SemGraphConv", "ModulatedGraphConv", "GlobalNodeConv", "DecoupledGraphConv",
             "GraphConv", "BatchNorm1d", "MDNHead", "Linear", "Normalizer")
    patched = []
    for m in pipe.modules():
        k = type(m).__name__
        if k not in kinds:
            continue
        if hasattr(m, "forward_jm"):  # the models call the joint-major forward directly (no hooks)
            def timed(*a, _f=m.forward_jm, _k=k, **kw):
                t = time.perf_counter()
                out = _f(*a, **kw)
                acc[_k] = acc.get(_k, 0.0) + time.perf_counter() - t
                return out
            m.forward_jm = timed
            patched.append(m)
            continue

        def pre(mod, inp, _k=k):
            starts[id(mod)] = time.perf_counter()

        def post(mod, inp, out, _k=k):
            acc[_k] = acc.get(_k, 0.0) + time.perf_counter() - starts.pop(id(mod), time.perf_counter())
        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    with torch.inference_mode():
        pipe(x)
        acc.clear()
        t0 = time.perf_counter()
        for _ in range(iters):
            pipe(x)
        total = time.perf_counter() - t0
    for h in handles:
        h.remove()
    for m in patched:
        del m.forward_jm  # back to the class's method
    return {k: v / total for k, v in sorted(acc.items(), key=lambda kv: -kv[1])}


def profile_ort(pred: OnnxPredictor, pipe, batch: int, iters: int, threads: int) -> dict:
    """Time per ONNX operator type from ONNX Runtime's own profiler."""
    prof = OnnxPredictor(pred.path, threads=threads, profile=True)
    x = random_input(pipe, batch).numpy()
    for _ in range(iters):
        prof(x)
    trace = Path(prof.end_profiling())
    per: dict[str, float] = {}
    try:
        for ev in json.loads(trace.read_text()):
            if ev.get("cat") == "Node" and ev.get("name", "").endswith("_kernel_time"):
                op = ev.get("args", {}).get("op_name", "?")
                per[op] = per.get(op, 0.0) + ev.get("dur", 0) / iters / 1e3
    finally:
        trace.unlink(missing_ok=True)
    total = sum(per.values()) or 1.0
    return {"total_ms": total, "op_types": {k: v / total for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:6]}}


# ------------------------------------------------------------------------------- main
def bench_model(entry, args, peaks, tmpdir) -> dict:
    pipe = build(entry)
    f1 = count_flops(pipe, example_input(pipe, 1))
    f2 = count_flops(pipe, example_input(pipe, 2))
    per_sample = f2 - f1  # marginal FLOPs per sample (batch-independent work, e.g. adjacency softmax, excluded)
    res = {"name": entry["name"], "arch": entry["arch"], "task": pipe.task, "trained": entry["trained"],
           "source": entry["source"], "params": pipe.num_parameters(), "flops_batch1": f1,
           "flops_per_sample": per_sample, "flops_constant": f1 - per_sample, "backends": {}}
    t0 = time.time()
    runners = make_runners(pipe, args.backends, args.threads, tmpdir)
    for backend in args.backends:
        peak = peaks["onnx" if backend == "onnx" else "torch"]
        r = {"throughput": {}, "peak_fraction": {}}
        tb = time.time()
        for b in args.batches:
            n, el = time_loop(runners[backend](b), args.min_time, min_iters=3, warmup=3 if backend == "compile" else 2)
            r["throughput"][str(b)] = n * b / el
            r["peak_fraction"][str(b)] = n * b / el * per_sample / peak
        r["latency_b1"] = latency(runners[backend](1), args.latency_runs)
        r["seconds"] = time.time() - tb
        res["backends"][backend] = r
        print(f"  {entry['name']:>14} {backend:>8}: " + ", ".join(
            f"b{b} {r['throughput'][str(b)]:,.0f}/s ({100 * r['peak_fraction'][str(b)]:.0f}%)" for b in args.batches)
            + f"; b1 latency {r['latency_b1']['median_ms']:.3f} ms", flush=True)
    if not args.no_train:
        tr = train_throughput(pipe, entry, args.min_time)
        tr["peak_fraction"] = tr["samples_per_s"] * 3 * per_sample / peaks["torch"]
        res["train"] = tr
        print(f"  {entry['name']:>14}    train: {tr['samples_per_s']:,.0f} samples/s at batch {tr['batch_size']} "
              f"({100 * tr['peak_fraction']:.0f}%)", flush=True)
    if "_onnx_nodes" in runners:
        res["onnx_nodes"] = runners["_onnx_nodes"]
    res["targets"] = targets(res)
    if any(v["met"] is False for v in res["targets"].values()) and not args.no_profile:
        big = max(args.batches)
        inf = pipe.for_inference()  # what the eager predictor runs
        prof = {"torch_ops_b%d" % big: profile_torch(inf, big, args.profile_iters),
                "modules_b%d" % big: module_times(inf, big, args.profile_iters),
                "torch_ops_b1": profile_torch(inf, 1, 10 * args.profile_iters)}
        if "train" in res and res["targets"].get("train", {}).get("met") is False:
            step, B = _train_step(pipe, entry)
            prof["train_ops_b%d" % B] = profile_fn(step, max(3, args.profile_iters // 4))
        if "_onnx_predictor" in runners:
            prof["onnx_b%d" % big] = profile_ort(runners["_onnx_predictor"], pipe, big, args.profile_iters, args.threads)
            prof["onnx_b1"] = profile_ort(runners["_onnx_predictor"], pipe, 1, 10 * args.profile_iters, args.threads)
        res["profile"] = prof
    res["seconds"] = time.time() - t0
    return res


def targets(res: dict) -> dict:
    out = {}
    bk = res["backends"]
    big = max((int(b) for r in bk.values() for b in r["throughput"]), default=0)
    if res["arch"] in GRAPH_LIFTERS and bk:
        best = max(bk, key=lambda k: bk[k]["peak_fraction"].get(str(big), 0.0))
        frac = bk[best]["peak_fraction"].get(str(big), 0.0)
        out["peak_fraction"] = {"what": f"batch {big} >= {TARGET_PEAK_FRACTION:.0%} of matmul peak (best: {best})",
                                "value": frac, "met": (frac >= TARGET_PEAK_FRACTION) if big >= 1024 else None,
                                "note": "" if big >= 1024 else "batch 1024 not run"}
    if res["arch"] == "semgcn" and "onnx" in bk:
        lat = bk["onnx"]["latency_b1"]["median_ms"]
        out["latency"] = {"what": f"ONNX Runtime batch-1 latency < {TARGET_SEMGCN_LATENCY_MS} ms", "value": lat,
                          "met": lat < TARGET_SEMGCN_LATENCY_MS}
    if "train" in res:
        f = res["train"]["peak_fraction"]
        out["train"] = {"what": f"training >= {TARGET_TRAIN_FRACTION:.0%} of PyTorch matmul peak", "value": f,
                        "met": f >= TARGET_TRAIN_FRACTION}
    return out


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few models, few iterations, small batch list (< ~2 min)")
    ap.add_argument("--models", default="", help="comma-separated model names (shipped names or architectures)")
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    ap.add_argument("--backends", default="eager,compile,onnx")
    ap.add_argument("--batches", default=None, help="comma-separated batch sizes (default 1,64,1024)")
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    a.threads = a.threads or os.cpu_count() or 1
    a.backends = [b.strip() for b in a.backends.split(",") if b.strip()]
    bad = set(a.backends) - {"eager", "compile", "onnx"}
    if bad:
        ap.error(f"unknown backend(s) {bad}")
    a.batches = [int(b) for b in a.batches.split(",")] if a.batches else ([1, 256] if a.quick else [1, 64, 1024])
    a.min_time = 0.1 if a.quick else 1.0
    a.latency_runs = 100 if a.quick else 2000
    a.profile_iters = 3 if a.quick else 10
    a.peak_size = 2048
    a.peak_time = 0.3 if a.quick else 3.0
    return a


def main(argv=None) -> int:
    args = parse(argv)
    t0 = time.time()
    env = environment(args.threads)
    torch.set_num_threads(args.threads)
    env["torch_threads"] = torch.get_num_threads()
    warnings.filterwarnings("ignore")
    models = select_models([m.strip() for m in args.models.split(",") if m.strip()], args.quick)
    print(f"{len(models)} model(s); threads {args.threads}; load {env['load_average_at_start']}", flush=True)
    peaks = {"torch": torch_peak(args.peak_size, args.peak_time),
             "onnx": ort_peak(args.peak_size, args.peak_time, args.threads)}
    print(f"peak: torch {peaks['torch'] / 1e9:.1f} GFLOP/s, onnxruntime {peaks['onnx'] / 1e9:.1f} GFLOP/s", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="posegraph-speed-") as d:
        for entry in models:
            results.append(bench_model(entry, args, peaks, Path(d)))
    report = {"environment": env, "peaks": peaks,
              "settings": {"quick": args.quick, "batches": args.batches, "backends": args.backends,
                           "min_time_s": args.min_time, "latency_runs": args.latency_runs,
                           "peak_size": args.peak_size},
              "models": results}
    report["seconds"] = time.time() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    save_json(args.out / "speed.json", report)
    write_text(args.out / "speed.md", markdown(report))
    print(f"wrote {args.out / 'speed.md'} and speed.json in {report['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
