"""The training engine: a short real fit, checkpoints, SIGKILL + resume, 2-process DDP on CPU."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from posegraph.config import load_config
from posegraph.errors import CheckpointError, PosegraphError
from posegraph.pipeline import Pipeline, load_model_file, read_model_file, save_model_file
from posegraph.train.data import IndexBatches

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "posegraph.cli"]


def _env():
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def test_index_batches_shard_by_rank(monkeypatch):
    import posegraph.train.data as d

    seen = []
    for rank in (0, 1):
        monkeypatch.setattr(d, "_rank_world", lambda r=rank: (r, 2))
        b = IndexBatches(103, lambda i: i.clone(), 10, seed=3)
        assert len(b) == 5  # 51 samples per rank, 5 full batches
        seen.append(torch.cat(list(b)))
    assert not set(seen[0].tolist()) & set(seen[1].tolist())
    monkeypatch.setattr(d, "_rank_world", lambda: (0, 1))
    b = IndexBatches(103, lambda i: i.clone(), 10, seed=3)
    e0 = torch.cat(list(b))
    b.epoch = 1
    assert not torch.equal(e0, torch.cat(list(b)))  # reshuffled per epoch


def test_short_fit_writes_a_complete_run(tmp_path):
    """A real (tiny) training of the Martinez baseline through the CLI, then eval --json on it."""
    out = tmp_path / "run"
    r = subprocess.run(CLI + ["train", "--config", str(REPO / "configs/lift/baseline.yaml"), "--set", "train.max_steps=30",
                              "--set", "train.val_every_steps=15", "--set", "train.batch_size=64",
                              "--set", "train.test_curve=true",
                              "--out", str(out), "--no-progress"], capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr[-3000:]
    for f in ("config.yaml", "model.pt", "metrics.json", "report.md", "training_curves.png", "checkpoints/last.ckpt",
              "checkpoints/best.ckpt", "logs/metrics.csv"):
        assert (out / f).exists(), f
    m = json.loads((out / "metrics.json").read_text())
    assert m["steps"] == 30 and m["params"] == 4288557
    assert m["accelerator"] == "cpu"  # what the run trained on: its train time is that machine's
    assert m["test_gt"]["n"] == m["test_noisy"]["n"] > 30000
    # train.test_curve: the test error after each validation, in its own file, never a logged metric
    curve = (out / "test_curve.csv").read_text().splitlines()
    assert curve[0] == "step,train_seconds,test_mpjpe" and [int(c.split(",")[0]) for c in curve[1:]] == [15, 30]
    assert any(abs(float(c.split(",")[2]) - m["test_gt"]["mpjpe"]) < 1e-2 for c in curve[1:])  # the kept checkpoint's
    assert "test" not in (out / "logs" / "metrics.csv").read_text().splitlines()[0]
    blob = read_model_file(out / "model.pt")
    assert blob["skeleton"]["name"] == "h36m16" and blob["benchmark"] == "mocap-lift" and blob["library_version"]
    assert "optimizer_states" not in blob
    assert not blob["state_dict"]["in_norm.mean"].eq(0).all()  # training statistics stored
    # a Lightning checkpoint loads as a model file too
    assert load_model_file(out / "checkpoints" / "last.ckpt").model_name == "baseline"
    r = subprocess.run(CLI + ["eval", "--checkpoint", str(out / "model.pt"), "--json"], capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr[-2000:]
    rep = json.loads(r.stdout)
    assert rep["mpjpe"] == pytest.approx(m["test_gt"]["mpjpe"], abs=1e-6)
    assert set(rep["source"]) == {"cmu", "cmu8", "hdm05"}
    # refuses a non-empty --out
    r = subprocess.run(CLI + ["train", "--config", str(REPO / "configs/lift/baseline.yaml"), "--out", str(out)],
                       capture_output=True, text=True, env=_env())
    assert r.returncode == 2 and "not empty" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_resume_after_sigkill_reaches_the_same_step_count(tmp_path):
    out = tmp_path / "run"
    args = CLI + ["train", "--config", str(REPO / "configs/lift/baseline.yaml"), "--set", "train.max_steps=120",
                  "--set", "train.val_every_steps=20", "--set", "train.batch_size=64", "--out", str(out), "--no-progress"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    last = out / "checkpoints" / "last.ckpt"
    t0 = time.time()
    while not last.exists() and time.time() - t0 < 300 and p.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    assert p.poll() is None, "training finished before it could be killed"
    p.send_signal(signal.SIGKILL)
    p.wait()
    step_at_kill = torch.load(last, map_location="cpu", weights_only=False)["global_step"]
    assert 0 < step_at_kill < 120
    assert not (out / "model.pt").exists()
    r = subprocess.run(CLI + ["train", "--resume", str(out), "--no-progress"], capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((out / "metrics.json").read_text())
    assert m["steps"] == 120
    assert load_model_file(out / "model.pt").model_name == "baseline"


@pytest.mark.slow
def test_ddp_two_processes_on_cpu(tmp_path):
    out = tmp_path / "ddp"
    trace = tmp_path / "trace"
    r = subprocess.run(CLI + ["train", "--config", str(REPO / "configs/lift/baseline.yaml"), "--set", "train.max_steps=8",
                              "--set", "train.val_every_steps=8", "--set", "train.batch_size=32",
                              "--set", f"train.trace_batches={trace}", "--devices", "2", "--strategy", "ddp",
                              "--accelerator", "cpu", "--out", str(out), "--no-progress"],
                       capture_output=True, text=True, env=_env(), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    t0 = json.loads((trace / "trace_rank0.json").read_text())
    t1 = json.loads((trace / "trace_rank1.json").read_text())
    assert t0["world_size"] == t1["world_size"] == 2
    assert len(t0["batches"]) == len(t1["batches"]) == 8
    assert not set(t0["batches"]) & set(t1["batches"])  # different data on each rank
    assert load_model_file(out / "model.pt").model_name == "baseline"


def test_checkpoint_mismatch_and_corruption_errors(tmp_path):
    p = Pipeline("semgcn", {"skeleton": "h36m16"})
    f = save_model_file(tmp_path / "m.pt", p)
    with pytest.raises(CheckpointError, match="h36m16.*16 joints.*h36m17.*17 joints"):
        load_model_file(f, skeleton="h36m17")
    with pytest.raises(CheckpointError, match="holds model 'semgcn', not 'baseline'"):
        load_model_file(f, model_name="baseline")
    (tmp_path / "t.pt").write_bytes(f.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="t.pt: not a readable checkpoint"):
        load_model_file(tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_model_file(tmp_path / "none.pt")
    blob = torch.load(f, weights_only=False)
    blob["format_version"] = 99
    torch.save(blob, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer"):
        load_model_file(tmp_path / "new.pt")
    blob["format_version"] = 1
    blob["model"]["kwargs"]["hidden"] = 64  # weights no longer fit
    torch.save(blob, tmp_path / "mis.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model_file(tmp_path / "mis.pt")


def test_config_overrides_and_errors(tmp_path):
    cfg = load_config(REPO / "configs/lift/baseline.yaml", ["train.lr=0.01", "model.kwargs.dropout=0.25"])
    assert cfg["train"]["lr"] == 0.01 and cfg["model"]["kwargs"]["dropout"] == 0.25
    assert cfg["model"]["kwargs"]["linear_size"] == 1024
    with pytest.raises(PosegraphError, match="key=value"):
        load_config(None, ["train.lr"])
    (tmp_path / "bad.yaml").write_text("model: [unclosed")
    with pytest.raises(PosegraphError, match="bad.yaml: invalid YAML"):
        load_config(tmp_path / "bad.yaml")


def test_schedules():
    from posegraph.train.schedules import build_scheduler

    w = torch.nn.Parameter(torch.zeros(1))
    def lrs(cfg, n=101):
        opt = torch.optim.Adam([w], lr=1.0)
        s = build_scheduler(opt, cfg, 100, 1.0)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            if len(out) < n:  # Lightning steps the scheduler once per optimizer step: max_steps times
                s.step()
        return np.array(out)
    e = lrs({"name": "exponential", "gamma": 0.96, "decay_steps": 10, "staircase": True})
    assert e[9] == 1.0 and e[10] == pytest.approx(0.96) and e[25] == pytest.approx(0.96 ** 2)
    o = lrs({"name": "onecycle"})
    assert abs(int(o.argmax()) - 50) <= 1 and o.max() == pytest.approx(1.0) and o[0] < 0.05 and o[-1] < 1e-3
    assert np.allclose(np.diff(o[:45]), np.diff(o[:45])[0])  # linear ramp up over the first half
    assert np.allclose(np.diff(o[55:]), np.diff(o[55:])[0])  # and linear down over the second
    m = lrs({"name": "multistep", "milestones": [30, 60], "gamma": 0.1})
    assert m[29] == 1.0 and m[30] == pytest.approx(0.1) and m[60] == pytest.approx(0.01)


def test_interrupted_run_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path, monkeypatch):
    """Crash mid-run (after a checkpoint, before the next), resume: the final model equals the one
    of a run that was never interrupted. The baseline has dropout and flips, so the random draws
    of every step must repeat too (they are seeded per step)."""
    from posegraph.train import module as mod
    from posegraph.train.runner import train

    cfg = load_config(REPO / "configs/lift/baseline.yaml",
                      ["train.max_steps=30", "train.val_every_steps=10", "train.batch_size=32", "train.num_threads=1"])
    train(cfg, tmp_path / "a", progress=False, evaluate=False)

    real_end = mod.PoseModule.on_train_batch_end

    def crash(self, outputs, batch, batch_idx):
        real_end(self, outputs, batch, batch_idx)
        if self.global_step == 17:
            raise RuntimeError("simulated crash")

    monkeypatch.setattr(mod.PoseModule, "on_train_batch_end", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, tmp_path / "b", progress=False, evaluate=False)
    assert not (tmp_path / "b" / "model.pt").exists()
    assert torch.load(tmp_path / "b" / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 10
    monkeypatch.setattr(mod.PoseModule, "on_train_batch_end", real_end)
    train(cfg, tmp_path / "b", resume=True, progress=False, evaluate=False)

    a = load_model_file(tmp_path / "a" / "model.pt").state_dict()
    b = load_model_file(tmp_path / "b" / "model.pt").state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), rtol=1e-6, atol=1e-8), k
    # the training log keeps the rows of both sessions (the crashed one up to its checkpoint)
    import csv

    def steps(run):
        with open(run / "logs" / "metrics.csv", newline="") as f:
            return sorted({int(r["step"]) for r in csv.DictReader(f) if r.get("val_mpjpe")})

    assert steps(tmp_path / "b") == steps(tmp_path / "a") == [9, 19, 29]
    assert not list((tmp_path / "b" / "logs").glob("metrics.part-*"))


def test_resume_mid_epoch_continues_with_the_same_batches(tmp_path):
    """A run stopped mid-epoch and resumed sees exactly the batches of an uninterrupted run."""
    import yaml

    def train(out, steps, resume=False):
        args = ["train", "--no-progress"]
        if resume:
            cfg = yaml.safe_load((out / "config.yaml").read_text())
            cfg["train"]["max_steps"] = steps
            (out / "config.yaml").write_text(yaml.safe_dump(cfg))
            args += ["--resume", str(out)]
        else:
            args += ["--config", str(REPO / "configs/lift/baseline.yaml"), "--out", str(out),
                     "--set", f"train.max_steps={steps}", "--set", "train.val_every_steps=6",
                     "--set", "train.batch_size=32", "--set", f"train.trace_batches={out}"]
        r = subprocess.run(CLI + args, capture_output=True, text=True, env=_env())
        assert r.returncode == 0, r.stderr[-3000:]
        return json.loads((out / "trace_rank0.json").read_text())["batches"]

    full = train(tmp_path / "a", 24)
    first = train(tmp_path / "b", 12)
    rest = train(tmp_path / "b", 24, resume=True)
    assert len(full) == 24 and first == full[:12]
    assert rest == pytest.approx(full[12:], rel=1e-12)

