"""Reliability: malformed inputs, SIGKILL + resume, and a 1-hour keypoint file.

Writes benchmarks/results/reliability.md and reliability.json:

1. **Bad inputs.** Every bad-input class of ``src/posegraph/testing/fuzz.py`` (the generators
   of ``tests/test_fuzz_inputs.py``: keypoint COCO JSON, OpenPose folder, npz, CSV;
   lifting/forecasting sample npz; benchmark files; forecasting npz input; model files,
   damaged bytes and damaged contents), run with more examples. Each case ends ``ok`` (a
   valid result), ``error`` (a one-line :class:`PosegraphError`) or ``UNEXPECTED`` (any other exception, a hang, a NaN:
   a bug). With ``--baseline-src DIR`` the same cases also run against another source tree
   (e.g. ``git archive HEAD src``, the code before the reader fixes) to show what was fixed.
2. **Kill and resume.** An uninterrupted short training of ``configs/lift/baseline.yaml`` and
   runs of the same config SIGKILLed 3 times at random points (fixed seeds) then resumed
   (``posegraph.testing.processes.kill_and_resume``): kill steps, final step count, best
   validation MPJPE and test MPJPE of each.
3. **Long input.** A 1-hour keypoint file (108,000 frames at 30 fps, the ``mocap-lift`` test
   2D tiled, in pixels of a 1000x1000 image) lifted by ``posegraph lift`` in a child process;
   its peak RSS (``getrusage`` of the child) and wall time, against a 1-minute file, to see
   whether memory grows with the input.
4. **Configs** (issue #14): config mistakes, damaged YAML, bad options, damaged run folders.
5. **Outputs and inputs** (issue #14): filesystem failures of every command that writes a
   folder, millimetre inputs, random input shapes given to a pipeline, big garbage files.

    python benchmarks/reliability.py                      # everything (~10 min of CPU)
    python benchmarks/reliability.py --examples 300 --parts fuzz
    python benchmarks/reliability.py --baseline-src /tmp/orig/src
    python benchmarks/reliability.py --parts config       # 4. configs, options, damaged run folders (~2 min)
    python benchmarks/reliability.py --parts outputs      # 5. output paths, units, API shapes, big garbage

Why over 500 lines: five independent parts, each a section below that runs alone
(``--parts``), sharing the subprocess harness and the report; split into files, the report
would have to gather what each file measured through a second format.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------
# 1. Bad inputs
# ---------------------------------------------------------------------------------------

def _fuzz_module():
    """This checkout's ``posegraph/testing/fuzz.py``, loaded by path: with ``--baseline-src`` the
    same generators run against another source tree (which may not have them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("posegraph_fuzz", REPO / "src/posegraph/testing/fuzz.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fuzz_counts(examples: int, seed: int = 0) -> dict:
    """Run every bad-input class for ``examples`` generated cases; count the outcomes."""
    import numpy as np
    import torch
    from hypothesis import HealthCheck, given, settings

    tf = _fuzz_module()

    torch.set_num_threads(1)
    np.seterr(all="ignore")
    out = {}
    with tempfile.TemporaryDirectory() as d:
        bases = tf.make_bases(Path(d))
        for name, (strategy, run) in tf.CLASSES.items():
            counts: Counter = Counter()
            samples: dict[str, str] = {}
            t0 = time.time()

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=["generate"])
            @given(case=strategy)
            def body(case):
                try:
                    counts[run(bases, case)] += 1
                except Exception as e:  # an escape: record it, keep generating
                    tb = traceback.extract_tb(e.__traceback__)
                    where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb)
                                  if "/posegraph/" in f.filename), tb[-1].name if tb else "?")
                    key = f"{type(e).__name__} at {where}"
                    counts["UNEXPECTED"] += 1
                    counts["UNEXPECTED: " + key] += 1
                    samples.setdefault(key, " ".join(str(e).split())[:200])

            body()
            n = counts["ok"] + counts["error"] + counts["UNEXPECTED"]
            out[name] = {"cases": n, "ok": counts["ok"], "error": counts["error"],
                         "unexpected": counts["UNEXPECTED"],
                         "unexpected_kinds": {k[len("UNEXPECTED: "):]: v for k, v in counts.items()
                                              if k.startswith("UNEXPECTED: ")},
                         "unexpected_samples": samples, "seconds": round(time.time() - t0, 1)}
            print(f"  {name}: {n} cases, ok {counts['ok']}, error {counts['error']}, "
                  f"UNEXPECTED {counts['UNEXPECTED']}", flush=True)
    return out


def fuzz_in_subprocess(examples: int, src: str | None) -> dict:
    """:func:`fuzz_counts` in a child process (optionally importing posegraph from ``src``)."""
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        tmp = f.name
    try:
        r = subprocess.run([sys.executable, __file__, "--_fuzz-child", tmp, "--examples", str(examples)],
                           env=env, text=True, capture_output=True)
        if r.returncode:
            raise RuntimeError(f"fuzz child failed:\n{r.stderr[-3000:]}")
        print(r.stdout, end="")
        return json.loads(Path(tmp).read_text())
    finally:
        os.unlink(tmp)


# ---------------------------------------------------------------------------------------
# 2. Kill and resume
# ---------------------------------------------------------------------------------------

def _run_summary(out: Path) -> dict:
    m = json.loads((out / "metrics.json").read_text())
    return {"steps": m["steps"], "best_val_mpjpe_mm": m.get("best_val_mpjpe"),
            "test_gt_mpjpe_mm": (m.get("test_gt") or {}).get("mpjpe")}


def seed_noise(max_steps: int, val_every: int, seeds: list[int]) -> list[dict]:
    """Uninterrupted runs of the same config with other ``train.seed`` values: the run-to-run
    spread a resumed run should be compared with."""
    from posegraph.testing.processes import CLI, cli_env as _env

    out = []
    with tempfile.TemporaryDirectory() as d:
        for seed in seeds:
            run = Path(d) / f"seed_{seed}"
            t0 = time.time()
            r = subprocess.run(CLI + ["train", "--config", str(REPO / "configs/lift/baseline.yaml"),
                                      "--set", f"train.max_steps={max_steps}", "--set", f"train.val_every_steps={val_every}",
                                      "--set", "train.batch_size=64", "--set", f"train.seed={seed}",
                                      "--out", str(run), "--no-progress"], capture_output=True, text=True, env=_env())
            if r.returncode:
                raise RuntimeError(r.stderr[-3000:])
            out.append(dict(_run_summary(run), train_seed=seed, wall_s=round(time.time() - t0, 1)))
            print(f"  uninterrupted, train.seed={seed}: {out[-1]}", flush=True)
    return out


def kill_resume(max_steps: int, val_every: int, seeds: list[int]) -> dict:
    from posegraph.testing.processes import CLI, cli_env as _env, kill_and_resume

    res = {"config": "configs/lift/baseline.yaml", "max_steps": max_steps, "val_every_steps": val_every,
           "batch_size": 64, "kills_per_run": 3, "runs": []}
    with tempfile.TemporaryDirectory() as d:
        ref = Path(d) / "uninterrupted"
        t0 = time.time()
        r = subprocess.run(CLI + ["train", "--config", str(REPO / res["config"]), "--set", f"train.max_steps={max_steps}",
                                  "--set", f"train.val_every_steps={val_every}", "--set", "train.batch_size=64",
                                  "--out", str(ref), "--no-progress"], capture_output=True, text=True, env=_env())
        if r.returncode:
            raise RuntimeError(r.stderr[-3000:])
        res["uninterrupted"] = dict(_run_summary(ref), wall_s=round(time.time() - t0, 1))
        print(f"  uninterrupted: {res['uninterrupted']}", flush=True)
        for seed in seeds:
            out = Path(d) / f"killed_{seed}"
            k = kill_and_resume(out, max_steps=max_steps, val_every=val_every, kills=3, seed=seed,
                                config=REPO / res["config"])
            run = {"seed": seed, "trials": k["trials"], "final_returncode": k["final_returncode"],
                   "wall_s": k["wall_s"]}
            if k["final_returncode"] == 0:
                run.update(_run_summary(out))
                from posegraph.pipeline import load_model_file
                pipe = load_model_file(out / "model.pt")
                run["model_pt_loads"] = pipe.model_name == "baseline"
                a, b = load_model_file(ref / "model.pt").state_dict(), pipe.state_dict()
                run["max_abs_weight_diff"] = max(float((a[k].double() - b[k].double()).abs().max())
                                                 for k in a if a[k].is_floating_point())
            else:
                run["stderr_tail"] = k["final_stderr_tail"]
            res["runs"].append(run)
            print(f"  killed (seed {seed}): {run}", flush=True)
    return res


# ---------------------------------------------------------------------------------------
# 3. Long input
# ---------------------------------------------------------------------------------------

_MEASURE = r"""
import resource, subprocess, sys, time, json
t0 = time.time()
r = subprocess.run(sys.argv[2:], capture_output=True, text=True)
wall = time.time() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": r.returncode, "wall_s": wall, "peak_rss_mb": ru.ru_maxrss / 1024,
                  "cpu_s": ru.ru_utime + ru.ru_stime, "stderr": r.stderr[-2000:], "stdout": r.stdout[-500:]}))
"""


def _measure(cmd: list[str]) -> dict:
    """Peak RSS (MB) and time of ``cmd`` run as the only child of a fresh interpreter."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", _MEASURE, "--"] + cmd, capture_output=True, text=True, env=env)
    return json.loads(r.stdout)


def _rss_mb() -> dict:
    d = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                d["rss_mb" if k == "VmRSS" else "peak_mb"] = int(v.split()[0]) // 1024
    return d


def lift_phases(path: str, ckpt: str, out: str) -> list:
    """RSS (current, peak) at the entry and exit of each step of ``lift_input`` (in this process)."""
    import posegraph.io.keypoints as K
    import posegraph.apps.lift as L

    log = []

    def wrap(mod, name):
        f = getattr(mod, name)

        def g(*a, **k):
            log.append([f"enter {name}", _rss_mb()])
            r = f(*a, **k)
            log.append([f"exit {name}", _rss_mb()])
            return r
        setattr(mod, name, g)

    for n in ("read_keypoints", "fill_missing"):
        wrap(K, n)
    for n in ("_run_lifter", "save_npz", "save_json_stream"):
        wrap(L, n)
    log.append(["start", _rss_mb()])
    L.lift_input(path, ckpt, out, progress=False)
    log.append(["end", _rss_mb()])
    return log


def long_input(frames: int, short_frames: int) -> dict:
    import numpy as np
    import torch

    from posegraph.data.lift import load_lift
    from posegraph.geometry import unnormalize_screen
    from posegraph.io.keypoints import write_keypoints_npz
    from posegraph.pipeline import Pipeline, list_pretrained, save_model_file

    torch.set_num_threads(1)
    res = {"frames": frames, "fps": 30, "hours": frames / 30 / 3600, "short_frames": short_frames}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        p2d = load_lift("test").p2d
        reps = -(-frames // len(p2d))
        xy = unnormalize_screen(np.tile(p2d, (reps, 1, 1))[:frames].astype(np.float64), 1000, 1000).astype(np.float32)
        conf = np.ones(xy.shape[:2], np.float32)
        long_f = write_keypoints_npz(d / "hour.npz", xy, conf, layout="h36m17", image_size=(1000, 1000))
        short_f = write_keypoints_npz(d / "minute.npz", xy[:short_frames], conf[:short_frames], layout="h36m17",
                                      image_size=(1000, 1000))
        res["input_mb"] = round(long_f.stat().st_size / 2 ** 20, 1)
        shipped = list_pretrained()
        if "semgcn" in shipped:
            ckpt, res["checkpoint"] = "semgcn", "semgcn (shipped)"
        else:
            ckpt = str(save_model_file(d / "semgcn16.pt", Pipeline("semgcn", {"skeleton": "h36m16"})))
            res["checkpoint"] = "semgcn h36m16, untrained"
        cli = [sys.executable, "-m", "posegraph.cli"]
        res["import_only"] = _measure([sys.executable, "-c", "import torch, numpy, posegraph.apps.lift, posegraph.cli"])
        for key, f in (("short", short_f), ("long", long_f)):
            out = d / f"out_{key}"
            m = _measure(cli + ["lift", str(f), "--checkpoint", ckpt, "--out", str(out), "--no-progress"])
            m["outputs_mb"] = {q.name: round(q.stat().st_size / 2 ** 20, 1) for q in out.iterdir()} if out.exists() else {}
            res[key] = m
            print(f"  {key}: rc {m['returncode']}, peak RSS {m['peak_rss_mb']:.0f} MB, {m['wall_s']:.1f} s", flush=True)
        r = subprocess.run([sys.executable, __file__, "--_phases-child", str(long_f), ckpt, str(d / "out_phases")],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
        res["long_phases"] = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else r.stderr[-1000:]
    arr_mb = frames * 17 * 3 * 4 / 2 ** 20
    res["one_array_mb"] = round(arr_mb, 1)
    if res["long"]["returncode"] == 0 and res["short"]["returncode"] == 0:
        res["growth_mb"] = round(res["long"]["peak_rss_mb"] - res["short"]["peak_rss_mb"], 1)
        res["growth_bytes_per_frame"] = round(res["growth_mb"] * 2 ** 20 / (frames - short_frames))
    return res


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------
# 4. Configs, options and damaged run folders (issue #14)
# ---------------------------------------------------------------------------------------

def _outcome(fn) -> str:
    """``ok`` (a valid result), ``error`` (a one-line PosegraphError) or ``UNEXPECTED: kind``."""
    from posegraph.errors import PosegraphError

    try:
        fn()
        return "ok"
    except PosegraphError as e:
        msg = str(e)
        return "error" if msg and "\n" not in msg and len(msg) < 600 else "UNEXPECTED: multi-line error"
    except BaseException as e:  # noqa: BLE001 - counting every other outcome as a bug
        return f"UNEXPECTED: {type(e).__name__}"


def config_checks(examples: int, seed: int = 0) -> dict:
    """Generated config mistakes, YAML damage, bad options and damaged run folders; each case's
    outcome counted (a valid config, a one-line error, or anything else = a bug). For run folders,
    an error also needs the folder unchanged (every file's bytes and mtime)."""
    import hashlib
    import random
    import shutil

    import yaml

    from posegraph.cli import main as cli_main
    from posegraph.config import load_config, set_key, valid_keys, validate_config

    rng = random.Random(seed)
    configs = sorted(str(p) for p in (REPO / "configs").glob("*/*.yaml"))
    keys = [k for k in valid_keys() if k != "base"]
    values = [None, True, False, 0, -1, 1, 7, 10 ** 12, -1e-3, 0.5, 1.5, float("nan"), float("inf"), "", "abc",
              "1e-3", "semgcn", "auto", [], [1, 2], {}, {"a": 1}, "cpu", "onecycle", "h36m16"]

    def typo(k: str) -> str:
        head, _, leaf = k.rpartition(".")
        i = rng.randrange(len(leaf))
        op = rng.choice(["drop", "double", "swap", "replace"])
        if op == "drop" and len(leaf) > 2:
            leaf = leaf[:i] + leaf[i + 1:]
        elif op == "double":
            leaf = leaf[:i] + leaf[i] + leaf[i:]
        elif op == "swap" and i + 1 < len(leaf):
            leaf = leaf[:i] + leaf[i + 1] + leaf[i] + leaf[i + 2:]
        else:
            leaf = leaf[:i] + rng.choice("abcxyz_") + leaf[i + 1:]
        return f"{head}.{leaf}" if head else leaf

    def edited(base: str, edits) -> dict:
        cfg = load_config(base)  # defaults filled in, after its base chain
        for key, val in edits:
            set_key(cfg, key, val)
        return cfg

    res: dict[str, Counter] = {}

    def count(name: str, outcome: str, hint: bool | None = None) -> None:
        c = res.setdefault(name, Counter())
        c["cases"] += 1
        c["ok" if outcome == "ok" else "error" if outcome == "error" else "unexpected"] += 1
        if outcome.startswith("UNEXPECTED"):
            c["kind: " + outcome[12:]] += 1
        if hint:
            c["suggested"] += 1

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for _ in range(examples):
            base = rng.choice(configs)
            # 1. a mistyped key (file or --set): an error that suggests the key meant
            k = rng.choice(keys)
            bad = typo(k)
            msg = []

            def load_typo():
                try:
                    load_config(base, [f"{bad}={yaml.safe_dump(rng.choice(values[:10])).splitlines()[0]}"])
                except Exception as e:
                    msg.append(str(e))
                    raise
            out = _outcome(load_typo)
            count("mistyped key", out, hint=bool(msg) and f"did you mean {k}?" in msg[0])
            # 2. a wrong type / 3. an out-of-range number on a valid key
            count("wrong type or value", _outcome(lambda: validate_config(edited(base, [(rng.choice(keys), rng.choice(values))]))))
            num = rng.choice([0, -1, -5, 10 ** 9, float("nan"), float("inf"), -float("inf"), 2.5, 1e-300])
            count("out-of-range number", _outcome(lambda: validate_config(edited(base, [(rng.choice(keys), num)]))))
            # 4. random dictionaries: several random edits, random model kwargs
            edits = [(rng.choice(keys + ["model.kwargs.hidden", "model.kwargs.dropout", "model.kwargs.skeleton",
                                         "model.kwargs." + typo("linear_size"), "nonsense", "train.schedule.gamma"]),
                      rng.choice(values)) for _ in range(rng.randint(1, 5))]
            count("random config dictionaries", _outcome(lambda: validate_config(edited(base, edits))))
            # 5. damaged YAML files: truncated, bytes flipped, random bytes, alias bombs, deep nesting
            raw = bytearray(Path(base).read_bytes())
            kind = rng.choice(["truncate", "flip", "random", "bomb", "deep", "empty"])
            if kind == "truncate":
                raw = raw[:rng.randrange(len(raw))]
            elif kind == "flip":
                for _ in range(rng.randint(1, 8)):
                    raw[rng.randrange(len(raw))] = rng.randrange(256)
            elif kind == "random":
                raw = bytearray(rng.randbytes(rng.randint(1, 4000)))
            elif kind == "bomb":
                w, depth = rng.randint(5, 12), rng.randint(5, 10)
                lines = ["a0: &a0 [" + ", ".join(["x"] * w) + "]"]
                lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * w) + "]" for i in range(1, depth)]
                raw = bytearray(("\n".join(lines) + "\nmodel: {name: semgcn}\n").encode())
            elif kind == "deep":
                n = rng.randint(50, 5000)
                raw = bytearray(("[" * n + "]" * n).encode())
            else:
                raw = bytearray()
            f = d / "damaged.yaml"
            f.write_bytes(bytes(raw))
            count("damaged YAML file", _outcome(lambda: load_config(f)))
            # 6. command-line options of `train`
            opt = rng.choice([["--devices", str(rng.choice([0, -2, -7, 2, 10 ** 6]))],
                              ["--accelerator", rng.choice(["tpu9", "gpux", "cpu ", "", "CUDA"])],
                              ["--strategy", rng.choice(["dpp", "", "fsdp2", "none"])],
                              ["--set", f"train.max_steps={rng.choice(['abc', '-5', '0', '1.5', 'nan', '[]'])}"],
                              ["--set", f"train.batch_size={rng.choice(['0', '-1', 'x', '1e30'])}"],
                              ["--set", f"train.lr={rng.choice(['nan', '-1', '0', 'inf', 'fast'])}"]])
            outd = d / "run_opt"

            def train_opt():
                code = cli_main(["train", "--config", base, "--print-config", "--out", str(outd)] + opt)
                if code == 2:
                    from posegraph.errors import PosegraphError
                    raise PosegraphError("refused")
                if code != 0 or outd.exists():
                    raise RuntimeError(f"exit {code}")
            import contextlib
            import io
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                out = _outcome(train_opt)
            lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
            if out == "error" and (len(lines) != 1 or "Traceback" in err.getvalue()):
                out = "UNEXPECTED: not one line"
            count("train options", out)

        # 7. damaged run folders given to --resume (a resume that goes ahead skips the test evaluation)
        import posegraph.train.runner as runner
        from posegraph.train.runner import train

        runner.train = lambda *a, **k: train(*a, **{**k, "evaluate": False})

        run = d / "done"
        cfg = load_config(REPO / "configs/lift/baseline.yaml", ["train.max_steps=4", "train.val_every_steps=2",
                                                                  "train.batch_size=16", "train.num_threads=1",
                                                                  "model.kwargs.linear_size=64"])
        train(cfg, run, progress=False, evaluate=False)

        def snap(folder: Path) -> dict:
            return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
                    for p in sorted(folder.rglob("*")) if p.is_file()}

        for i in range(max(10, examples // 5)):
            r = d / f"r{i}"
            shutil.copytree(run, r)
            kind = rng.choice(["finished (moved)", "truncated last.ckpt", "bytes of last.ckpt flipped",
                               "another file as last.ckpt", "no last.ckpt", "no config.yaml", "garbage config.yaml",
                               "config.yaml edited wrong"])
            if kind != "finished (moved)":
                (r / "model.pt").unlink()
                (r / "metrics.json").unlink()
            last, cf = r / "checkpoints" / "last.ckpt", r / "config.yaml"
            if kind == "truncated last.ckpt":
                last.write_bytes(last.read_bytes()[:rng.randrange(last.stat().st_size)])
            elif kind == "bytes of last.ckpt flipped":
                b = bytearray(last.read_bytes())
                for _ in range(rng.randint(1, 20)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
                last.write_bytes(bytes(b))
            elif kind == "another file as last.ckpt":
                shutil.copy(rng.choice(configs), last)
            elif kind == "no last.ckpt":
                last.unlink()
            elif kind == "no config.yaml":
                cf.unlink()
            elif kind == "garbage config.yaml":
                cf.write_bytes(rng.randbytes(rng.randint(1, 2000)))
            elif kind == "config.yaml edited wrong":
                text = cf.read_text()
                cf.write_text(rng.choice([text.replace("max_steps:", "max_step:"), text.replace("linear_size: 64", "linear_size: 32"),
                                          text.replace("lr: 0.001", "lr: .nan"), text[:rng.randrange(len(text))]]))
            before = snap(r)
            import contextlib
            import io
            with contextlib.redirect_stdout(io.StringIO()) as so, contextlib.redirect_stderr(io.StringIO()) as err:
                try:
                    code = cli_main(["train", "--resume", str(r), "--no-progress"])
                except BaseException as e:  # noqa: BLE001
                    code = f"raised {type(e).__name__}"
            lines = [ln for ln in err.getvalue().splitlines() if ln.strip() and "warn" not in ln.lower()]
            unchanged = snap(r) == before
            if kind == "finished (moved)":
                out = "ok" if code == 0 and unchanged and "finished" in so.getvalue() else f"UNEXPECTED: exit {code}"
            elif code == 2 and len(lines) == 1 and unchanged:
                out = "error"
            elif code == 0 and unchanged is False and (r / "model.pt").exists():
                out = "ok"  # damage that did not matter (e.g. flipped bytes in unused pickle padding): it trained on
            else:
                out = f"UNEXPECTED: exit {code}, {'unchanged' if unchanged else 'folder changed'}, {len(lines)} lines"
            count(f"--resume: {kind}", out)
            shutil.rmtree(r)
        runner.train = train
    return {k: dict(v) for k, v in sorted(res.items())}


# ---------------------------------------------------------------------------------------
# 5. Output paths, units, API layouts, big garbage (issue #14)
# ---------------------------------------------------------------------------------------

def output_checks(examples: int, seed: int = 0) -> dict:
    """Filesystem failures of `lift`, `forecast` and `eval --out` (a full disk at each writer, a
    read-only file system, a 300-character name, an --out under a file, a non-empty --out without
    --overwrite), millimetre inputs, random input shapes given to a pipeline, big garbage files.
    ``error`` = one line, exit code 2, no traceback, every existing file unchanged and nothing left
    behind; ``ok`` = a valid result (for millimetres: exit 0 with one warning line naming the file
    and the units); anything else is ``UNEXPECTED``."""
    import contextlib
    import errno
    import hashlib
    import io
    import random
    import shutil

    import numpy as np
    import torch

    import posegraph
    import posegraph.fileio as fileio
    import posegraph.apps.forecast as fc_mod
    import posegraph.apps.lift as lift_mod
    from posegraph.cli import main as cli_main
    from posegraph.data.lift import load_lift
    from posegraph.errors import ShapeError
    from posegraph.geometry import unnormalize_screen
    from posegraph.io.keypoints import write_keypoints_npz
    from posegraph.pipeline import Pipeline, save_model_file

    rng = random.Random(seed)
    res: dict[str, Counter] = {}

    def count(name: str, outcome: str) -> None:
        c = res.setdefault(name, Counter())
        c["cases"] += 1
        c["ok" if outcome == "ok" else "error" if outcome == "error" else "unexpected"] += 1
        if outcome.startswith("UNEXPECTED"):
            c["kind: " + outcome[12:]] += 1

    def snap(folder: Path) -> dict:
        return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
                for p in sorted(folder.rglob("*")) if p.is_file()}

    def run(argv) -> tuple:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                code = cli_main([str(a) for a in argv])
            except BaseException as e:  # noqa: BLE001 - an escape is a bug
                code = f"raised {type(e).__name__}"
        return code, [ln for ln in err.getvalue().splitlines() if ln.strip()], err.getvalue()

    def judged(argv, root: Path, watch: Path | None, want_error: bool = True) -> str:
        before = snap(watch) if watch is not None and watch.exists() else None
        listing = sorted(p.name for p in root.iterdir())
        code, lines, raw = run(argv)
        left = [p for p in root.rglob(".posegraph-partial-*")]
        unchanged = (before is None or snap(watch) == before) and (watch is None or watch.exists() or before is None)
        if not want_error:
            return "ok" if code == 0 else f"UNEXPECTED: exit {code}"
        if code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in raw \
                and unchanged and not left and sorted(p.name for p in root.iterdir()) == listing:
            return "error"
        return f"UNEXPECTED: exit {code}, {len(lines)} lines, {'unchanged' if unchanged else 'changed'}, {len(left)} partial"

    def enospc(*a, **k):
        raise OSError(errno.ENOSPC)

    torch.set_num_threads(1)
    test = load_lift("test")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        kp = write_keypoints_npz(d / "kp.npz", unnormalize_screen(test.p2d[:12], 1000, 1000), layout="h36m17",
                                 image_size=(1000, 1000))
        zero = save_model_file(d / "zero.pt", Pipeline("zero-velocity"))
        np.savez(d / "m.npz", positions=test.p3d[:30].astype(np.float64), fps=25.0)
        np.savez(d / "mm.npz", positions=test.p3d[:30].astype(np.float64) * 1000, fps=25.0)
        flat = test.subset(np.arange(0, 2000, 50))
        flat.to_npz(d / "flat.npz")
        mm = flat.subset(slice(None))
        mm.p3d = flat.p3d * 1000
        mm.to_npz(d / "flat_mm.npz")
        commands = {
            "lift": (lambda out: ["lift", kp, "--checkpoint", "semgcn", "--out", out, "--no-progress"],
                     [(lift_mod, "save_npz"), (lift_mod, "save_json_stream")]),
            "forecast": (lambda out: ["forecast", d / "m.npz", "--checkpoint", zero, "--frame", "12", "--out", out],
                         [(fc_mod, "save_npz"), (fc_mod, "save_json")]),
            "eval --out": (lambda out: ["eval", "--checkpoint", "semgcn", "--data", d / "flat.npz", "--out", out],
                           [(fileio, "save_json"), (fileio, "write_text")]),
        }
        kinds = ["full disk, new --out", "full disk, existing --out", "read-only file system", "name too long",
                 "--out under a file", "non-empty --out without --overwrite"]
        for i, (cmd, kind) in enumerate((c, k) for c in commands for k in kinds for _ in range(examples)):
            if True:
                argv, writers = commands[cmd]
                root = d / f"c{i}"
                root.mkdir()
                prev = root / "prev"
                extra = []
                if kind in ("full disk, existing --out", "non-empty --out without --overwrite"):
                    code, _, raw = run(argv(prev))
                    if code != 0:
                        count(f"{cmd}: {kind}", f"UNEXPECTED: first run exit {code}")
                        continue
                    (prev / "notes.txt").write_text("mine")
                    extra = ["--overwrite"] if kind.startswith("full disk") else []
                out = {"name too long": root / ("n" * rng.randint(256, 400)),
                       "--out under a file": root / "file.txt" / "out"}.get(
                    kind, prev if kind != "full disk, new --out" and kind != "read-only file system"
                    else root / "new" / "deeper" / "out")
                if kind == "--out under a file":
                    (root / "file.txt").write_text("x")
                patches = []
                if kind.startswith("full disk"):
                    patches = [rng.choice(writers) + (enospc,)]
                elif kind == "read-only file system":
                    def ro(*a, **k):
                        raise OSError(errno.EROFS, "Read-only file system", str(k.get("dir", "")))
                    patches = [(tempfile, "mkdtemp", ro)]
                saved = [(m, n, getattr(m, n)) for m, n, _ in patches]
                for m, n, f in patches:
                    setattr(m, n, f)
                try:
                    count(f"{cmd}: {kind}", judged(argv(out) + extra, root, prev if prev.exists() else None))
                finally:
                    for m, n, f in saved:
                        setattr(m, n, f)
                shutil.rmtree(root)
        # units: millimetre positions/p3d warn in one line naming the file and the units
        for name, argv, bad in (("units: npz positions given to forecast", ["forecast", "{f}", "--checkpoint", zero, "--out", "{o}"], ("m.npz", "mm.npz")),
                                ("units: p3d given to eval --data", ["eval", "--checkpoint", "semgcn", "--json", "--data", "{f}"], ("flat.npz", "flat_mm.npz"))):
            for j, f in enumerate(bad):
                a = [str(x).replace("{f}", str(d / f)).replace("{o}", str(d / f"u{j}{len(name)}")) for x in argv]
                code, lines, raw = run(a)
                warned = [ln for ln in lines if ln.startswith("warning: ")]
                if j == 0:
                    out = "ok" if code == 0 and not lines else f"UNEXPECTED: exit {code}, {len(lines)} lines"
                else:
                    out = ("ok" if code == 0 and len(lines) == 1 and len(warned) == 1 and f in warned[0]
                           and "millimetres" in warned[0] else f"UNEXPECTED: exit {code}, {len(lines)} lines")
                count(name, out)
        # API: random shapes, numpy or torch, given to a lifting and a forecasting pipeline
        pipes = [posegraph.pretrained("semgcn"), posegraph.pretrained("sts-gcn")]
        for _ in range(examples * 40):
            pipe = rng.choice(pipes)
            if rng.random() < 0.5:  # a valid shape (own or export layout), then perhaps one size changed
                shape = [rng.randint(1, 64), rng.choice([16, 17]), 2] if pipe.task == "lift" else [rng.randint(1, 64), 10, 17, 3]
                if rng.random() < 0.5:
                    shape[rng.randrange(1, len(shape))] = rng.choice([1, 3, 9, 11, 15, 18, 25])
            else:
                shape = [rng.choice([1, 2, 3, 10, 16, 17, 25]) for _ in range(rng.choice([1, 2, 3, 4, 5]))]
            x = np.random.default_rng(rng.randrange(2 ** 31)).normal(size=shape).astype(np.float32) * 0.3
            if rng.random() < 0.5:
                x = torch.as_tensor(x)

            def call():
                with torch.no_grad():
                    y = pipe(x)
                y = y["pose"] if isinstance(y, dict) else y
                if not torch.isfinite(y).all():
                    raise RuntimeError("non-finite output")

            out = _outcome(call)
            if out == "error":
                try:
                    call()
                except ShapeError as e:
                    out = "error" if "expects" in str(e) else "UNEXPECTED: message"
                except BaseException as e:  # noqa: BLE001
                    out = f"UNEXPECTED: {type(e).__name__}"
            count("Python API: random input shapes", out)
        # big garbage: 200 MB sparse files with a garbage header, each refused in under 5 s
        for i in range(examples * 4):
            ext = rng.choice([".bvh", ".npz"])
            f = d / f"big{i}{ext}"
            with open(f, "wb") as fh:
                fh.write(rng.randbytes(rng.randint(1, 4000)).replace(b"HIERARCHY", b"x"))
                fh.truncate(200 * 2 ** 20)
            t = time.time()
            argv = (["forecast", f, "--checkpoint", zero, "--out", d / "bo"] if ext == ".bvh" else
                    rng.choice([["lift", f, "--checkpoint", "semgcn", "--out", d / "bo"], ["eval", "--checkpoint", "semgcn", "--data", f]]))
            out = judged(argv, d, None)
            if out == "error" and time.time() - t > 5:
                out = "UNEXPECTED: slow"
            count(f"big garbage {ext} (200 MB)", out)
            f.unlink()
    return {k: dict(v) for k, v in sorted(res.items())}


def markdown(rep: dict) -> str:
    L = ["# Reliability", "", f"Machine: {rep['machine']}. Generated by `python benchmarks/reliability.py`.", ""]
    if "fuzz" in rep:
        base = rep.get("fuzz_baseline")
        L += ["## 1. Bad inputs", "",
              "Every case is a generated malformed input (`posegraph.testing.fuzz` generators: byte "
              "truncations/flips/insertions/line edits, zip-member damage, dropped/replaced/recast/reshaped "
              "npz arrays with NaN/inf/huge values, JSON structure edits, CSV cell edits, model-file key/"
              "version/config/skeleton/weight edits). Outcomes: `ok` = valid result (finite, consistent); "
              "`error` = one-line `PosegraphError`; `UNEXPECTED` = any other exception, a hang (> 20 s) or "
              "a NaN (a bug).", ""]
        head = "| bad-input class | cases | ok | clear error | UNEXPECTED |"
        sep = "|---|---:|---:|---:|---:|"
        if base:
            head += " before the fixes: UNEXPECTED (kinds) |"
            sep += "---|"
        L += [head, sep]
        for name, c in rep["fuzz"].items():
            row = f"| {name} | {c['cases']} | {c['ok']} | {c['error']} | {c['unexpected']} |"
            if base:
                b = base.get(name, {})
                kinds = "; ".join(f"{k} x{v}" for k, v in sorted(b.get("unexpected_kinds", {}).items(),
                                                                    key=lambda t: -t[1])[:4])
                row += f" {b.get('unexpected', '?')} of {b.get('cases', '?')}" + (f" ({kinds})" if kinds else "") + " |"
            L.append(row)
        tot = sum(c["cases"] for c in rep["fuzz"].values())
        bad = sum(c["unexpected"] for c in rep["fuzz"].values())
        L += ["", f"Total: {tot} cases, {bad} unexpected outcomes "
                  f"({'all clear errors or valid results' if bad == 0 else 'FAILURES: see the json'}).", ""]
    if "kill_resume" in rep:
        k = rep["kill_resume"]
        u = k["uninterrupted"]
        L += ["## 2. SIGKILL and resume", "",
              f"`{k['config']}` with `train.max_steps={k['max_steps']}`, `train.val_every_steps={k['val_every_steps']}` "
              f"(a checkpoint at every validation), batch {k['batch_size']}. Each killed run: SIGKILL "
              f"{k['kills_per_run']} times, each at a random delay (0-1.5 s, fixed seed) after the run wrote a new "
              f"`last.ckpt`, then `posegraph train --resume RUN` to the end.", "",
              "| run | resumed from step (kill 1, 2, 3) | final steps | best val MPJPE (mm) | test MPJPE gt (mm) | model.pt loads | max abs weight difference to uninterrupted |",
              "|---|---|---:|---:|---:|---|---:|",
              f"| uninterrupted | - | {u['steps']} | {u['best_val_mpjpe_mm']:.2f} | {u['test_gt_mpjpe_mm']:.2f} | yes | 0 |"]
        for r in k["runs"]:
            ks = ", ".join(str(t.get("resume_from_step")) if not t["finished_before_kill"] else "finished first"
                           for t in r["trials"])
            if r["final_returncode"] == 0:
                L.append(f"| killed, seed {r['seed']} | {ks} | {r['steps']} | {r['best_val_mpjpe_mm']:.2f} | "
                         f"{r['test_gt_mpjpe_mm']:.2f} | {'yes' if r.get('model_pt_loads') else 'NO'} | "
                         f"{r['max_abs_weight_diff']:.2g} |" if "max_abs_weight_diff" in r else
                         f"{r['test_gt_mpjpe_mm']:.2f} | {'yes' if r.get('model_pt_loads') else 'NO'} | not measured |")
            else:
                L.append(f"| killed, seed {r['seed']} | {ks} | FAILED (rc {r['final_returncode']}) | | | |")
        for o in k.get("other_train_seeds", []):
            L.append(f"| uninterrupted, `train.seed={o['train_seed']}` (spread reference) | - | {o['steps']} | "
                     f"{o['best_val_mpjpe_mm']:.2f} | {o['test_gt_mpjpe_mm']:.2f} | yes | |")
        killed = [r for r in k["runs"] if r["final_returncode"] == 0]
        spread = [abs(o["best_val_mpjpe_mm"] - u["best_val_mpjpe_mm"]) for o in k.get("other_train_seeds", [])]
        if killed:
            gap = max(abs(r["best_val_mpjpe_mm"] - u["best_val_mpjpe_mm"]) for r in killed)
            exact = all(r["steps"] == u["steps"] for r in killed)
            verdict = ("within" if spread and gap <= max(spread) + 0.5 else "outside") if spread else "compared with"
            L += ["", f"Step counts {'match' if exact else 'DO NOT match'} the uninterrupted run. The largest "
                      f"difference in best validation MPJPE between a killed-and-resumed run and the uninterrupted "
                      f"one is {gap:.2f} mm, {verdict} the seed-to-seed spread"
                      + (f" ({max(spread):.2f} mm)" if spread else "") + ". The training loader's position "
                      "(epoch and batches consumed) is saved in every checkpoint "
                      "(`posegraph.train.data.ResumableLoader`), so a resumed run continues with the batches the "
                      "uninterrupted run would have seen (`tests/test_engine.py::"
                      "test_resume_mid_epoch_continues_with_the_same_batches`), and every training step seeds its "
                      "random draws (flips, virtual cameras, noise, dropout) from (seed, step, rank) "
                      "(`posegraph.train.module.step_seed`), so they repeat too: a resumed run ends with the "
                      "uninterrupted run's weights (`tests/test_engine.py::"
                      "test_interrupted_run_resumes_to_the_weights_of_an_uninterrupted_run`). Before this, the "
                      "generator state was checkpointed and restored, and resumed runs still ended 6.3 mm worse "
                      "than the uninterrupted one: a validation pass draws the seed of its loader iterator from "
                      "the global generator, so a resume shifted every later draw."]
        L.append("")
    if "long_input" in rep:
        m = rep["long_input"]
        L += ["## 3. Long input", "",
              f"`posegraph lift` on a {m['frames']:,}-frame keypoint npz ({m['hours']:.1f} h at 30 fps, "
              f"{m['input_mb']} MB), checkpoint {m['checkpoint']}, in a child process; peak RSS from "
              f"`getrusage(RUSAGE_CHILDREN)`. One (frames, 17, 3) float32 array is {m['one_array_mb']} MB.", "",
              "| input | frames | exit | peak RSS (MB) | wall (s) | CPU (s) | outputs (MB) |", "|---|---:|---|---:|---:|---:|---|",
              f"| imports only | - | {m['import_only']['returncode']} | {m['import_only']['peak_rss_mb']:.0f} | "
              f"{m['import_only']['wall_s']:.1f} | {m['import_only']['cpu_s']:.1f} | |"]
        for key, n in (("short", m["short_frames"]), ("long", m["frames"])):
            x = m[key]
            outs = ", ".join(f"{k} {v}" for k, v in x.get("outputs_mb", {}).items())
            L.append(f"| {key} | {n:,} | {x['returncode']} | {x['peak_rss_mb']:.0f} | {x['wall_s']:.1f} | "
                     f"{x['cpu_s']:.1f} | {outs} |")
        if "growth_mb" in m:
            L += ["", f"Growth from the short to the long input: {m['growth_mb']} MB "
                      f"(~{m['growth_bytes_per_frame']} bytes per frame, vs ~{17 * 3 * 4 * 2 + 17 * 2 * 4 * 2} bytes per "
                      f"frame for a few float32 copies of the 2D and 3D arrays)."]
        for key in ("short", "long"):
            if m[key]["returncode"]:
                L += ["", f"{key} failed: `{' '.join(m[key]['stderr'].split())[-600:]}`"]
        ph = m.get("long_phases")
        if isinstance(ph, list):
            L += ["", "Where the memory goes (long input, `lift_input` run in-process, RSS from /proc at each step):", "",
                  "| step | RSS (MB) | peak so far (MB) |", "|---|---:|---:|"]
            L += [f"| {name} | {v['rss_mb']} | {v['peak_mb']} |" for name, v in ph]
        if isinstance(ph, list):
            L += ["", "`lift.json` is written one frame at a time (`posegraph.fileio.save_json_stream`) and no "
                      "video frame is read for a keypoint input. After reading, mapping, filling, lifting and "
                      "smoothing run 4096 frames at a time (`posegraph.apps.lift.CHUNK_FRAMES`) into float32 output "
                      "arrays allocated once, so what grows with the input are those arrays (2D, confidences, "
                      "fill mask, model input, 3D) and `lift.npz`: about 0.7 KB per frame. Before the chunking "
                      "the 1 h input peaked at ~860 MB (4 KB per frame: float64 copies of every array, and "
                      "allocator fragmentation from keeping small outputs alive between large batches)."]
        if rep.get("long_input_notes"):
            L += ["", rep["long_input_notes"]]
        L.append("")
    if "config_checks" in rep:
        L += ["## 4. Configs, options and damaged run folders", "",
              f"Generated cases ({rep.get('config_examples', '?')} per class, fixed seed; `config_checks`): mistyped "
              "keys in `--set`, wrong types and out-of-range numbers on every schema key, random config "
              "dictionaries (several edits, model kwargs too), damaged YAML files (truncated, bytes flipped, "
              "random bytes, alias bombs of 5-12 aliases x 5-10 levels, nesting up to 5000 deep, empty), `train` "
              "options (`--devices`, `--accelerator`, `--strategy`, bad `max_steps`/`batch_size`/`lr`), and run "
              "folders damaged in 7 ways then given to `train --resume`, plus a finished run moved to another folder. "
              "`ok` = a valid config (for `--resume`: the finished run reported and nothing written, or damage that "
              "no check can see, e.g. flipped bytes inside a weight, and the run went on; its test evaluation is skipped "
              "here); `error` = one "
              "line, exit code 2, and for run folders every file unchanged (bytes and mtime); `UNEXPECTED` = "
              "anything else.", "",
              "| class | cases | ok | clear error | UNEXPECTED | mistyped key: nearest key suggested |",
              "|---|---:|---:|---:|---:|---:|"]
        for name, c in rep["config_checks"].items():
            sug = f"{c.get('suggested', 0)} of {c['cases']}" if name == "mistyped key" else ""
            L.append(f"| {name} | {c['cases']} | {c.get('ok', 0)} | {c.get('error', 0)} | {c.get('unexpected', 0)} | {sug} |")
        tot = sum(c["cases"] for c in rep["config_checks"].values())
        bad = sum(c.get("unexpected", 0) for c in rep["config_checks"].values())
        L += ["", f"Total: {tot} cases, {bad} unexpected outcomes."
              + (" Kinds: " + "; ".join(f"{n}: {k[6:]} x{v}" for n, c in rep["config_checks"].items()
                                        for k, v in c.items() if k.startswith("kind: ")) if bad else ""), ""]
    if "output_checks" in rep:
        L += ["## 5. Output paths, units, Python API, big garbage", "",
              f"Generated cases (`output_checks`, {rep.get('output_examples', '?')} per command and failure, seed 0): `lift`, "
              "`forecast` and `eval --out` with a full disk (`OSError(ENOSPC)` from one of the writers, chosen at random), "
              "a read-only file system (`EROFS` when the temporary folder is made), a 256-400 character name, an `--out` "
              "under a file, and a non-empty `--out` without `--overwrite`; millimetre inputs; random input shapes "
              "(numpy or torch) given to a lifting and a forecasting pipeline; 200 MB sparse files with a garbage "
              "header. `error` = one line, exit code 2, no traceback, every file of an existing `--out` unchanged "
              "(bytes and mtime) and nothing left behind (no `--out`, no parent folder, no `.posegraph-partial-*`); "
              "`ok` = a valid result (millimetres: exit 0 and one `warning:` line naming the file and the units; "
              "metres: no warning); `UNEXPECTED` = anything else.", "",
              "| class | cases | ok | clear error | UNEXPECTED |", "|---|---:|---:|---:|---:|"]
        for name, c in rep["output_checks"].items():
            L.append(f"| {name} | {c['cases']} | {c.get('ok', 0)} | {c.get('error', 0)} | {c.get('unexpected', 0)} |")
        tot = sum(c["cases"] for c in rep["output_checks"].values())
        bad = sum(c.get("unexpected", 0) for c in rep["output_checks"].values())
        L += ["", f"Total: {tot} cases, {bad} unexpected outcomes."
              + (" Kinds: " + "; ".join(f"{n}: {k[6:]} x{v}" for n, c in rep["output_checks"].items()
                                        for k, v in c.items() if k.startswith("kind: ")) if bad else ""), ""]
        if rep.get("output_checks_notes"):
            L += [rep["output_checks_notes"], ""]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="fuzz,kill,noise,long,config,outputs",
                    help="comma-separated: fuzz, kill, noise, long, config, outputs")
    ap.add_argument("--output-examples", type=int, default=3, help="cases per command and failure (outputs part)")
    ap.add_argument("--config-examples", type=int, default=200, help="generated cases per config class")
    ap.add_argument("--examples", type=int, default=300, help="generated cases per bad-input class")
    ap.add_argument("--baseline-src", default=None, help="also fuzz this source tree (e.g. the code before the fixes)")
    ap.add_argument("--max-steps", type=int, default=150)
    ap.add_argument("--val-every", type=int, default=10)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--frames", type=int, default=108_000)
    ap.add_argument("--short-frames", type=int, default=1_800)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    ap.add_argument("--_fuzz-child", dest="fuzz_child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_phases-child", dest="phases_child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phases_child:
        import torch

        torch.set_num_threads(1)
        print(json.dumps(lift_phases(*args.phases_child)))
        return 0
    if args.fuzz_child:
        # a damaged model config must not take the machine down (it would on the code before
        # the fixes: linear_size=10**9 allocates tens of GB); past this, allocation fails
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2 ** 30, resource.RLIM_INFINITY))
        Path(args.fuzz_child).write_text(json.dumps(fuzz_counts(args.examples)))
        return 0

    import torch

    from posegraph.fileio import save_json, write_text

    torch.set_num_threads(1)
    parts = set(args.parts.split(","))
    rep_path = args.out / "reliability.json"
    rep = json.loads(rep_path.read_text()) if rep_path.exists() else {}
    rep["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}"
    if "fuzz" in parts:
        print("bad inputs:", flush=True)
        rep["fuzz_examples_per_class"] = args.examples
        rep["fuzz"] = fuzz_in_subprocess(args.examples, None)
        if args.baseline_src:
            print(f"bad inputs, baseline source {args.baseline_src}:", flush=True)
            rep["fuzz_baseline"] = fuzz_in_subprocess(args.examples, args.baseline_src)
    if "kill" in parts:
        print("kill and resume:", flush=True)
        rep["kill_resume"] = kill_resume(args.max_steps, args.val_every, [int(s) for s in args.seeds.split(",")])
    if "noise" in parts:
        print("seed-to-seed spread:", flush=True)
        rep.setdefault("kill_resume", {})["other_train_seeds"] = seed_noise(args.max_steps, args.val_every, [1])
    if "long" in parts:
        print("long input:", flush=True)
        rep["long_input"] = long_input(args.frames, args.short_frames)
    if "config" in parts:
        print("configs, options, damaged run folders:", flush=True)
        rep["config_examples"] = args.config_examples
        rep["config_checks"] = config_checks(args.config_examples)
    if "outputs" in parts:
        print("output paths, units, Python API, big garbage:", flush=True)
        rep["output_examples"] = args.output_examples
        rep["output_checks"] = output_checks(args.output_examples)
    save_json(rep_path, rep)
    write_text(args.out / "reliability.md", markdown(rep))
    print(f"wrote {args.out / 'reliability.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
