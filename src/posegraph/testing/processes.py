"""Killing and resuming trainings in subprocesses, for the reliability test and benchmark
(``tests/test_reliability.py``, ``benchmarks/reliability.py``).

:func:`kill_and_resume` trains through the CLI, SIGKILLs the run at random moments after it
wrote a checkpoint, and resumes it until it finishes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

__all__ = ["CLI", "cli_env", "kill_and_resume"]

CLI = [sys.executable, "-m", "posegraph.cli"]


def cli_env() -> dict:
    """The environment of a CLI subprocess: warnings off, one OpenMP thread unless set."""
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _mtime(p: Path) -> int:
    try:
        return p.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _ckpt_step(p: Path) -> int:
    return int(torch.load(p, map_location="cpu", weights_only=False)["global_step"])


def kill_and_resume(out: Path, *, max_steps: int, val_every: int, kills: int = 3, seed: int = 0,
                    max_delay: float = 1.5, config: str | os.PathLike = "configs/lift/baseline.yaml",
                    batch_size: int = 64, timeout: float = 300.0) -> dict:
    """Train, SIGKILL it ``kills`` times, then resume until it finishes.

    Each kill waits until the run has written a new ``checkpoints/last.ckpt`` (so that every
    kill interrupts real progress, never the start-up), then a random delay in
    ``[0, max_delay]`` s (``random.Random(seed)``), then sends SIGKILL. A run that finishes
    before its kill is recorded as ``finished_before_kill``. ``config``: a config file (a
    relative path is taken from the working directory). Returns the kill trials, the
    final ``metrics.json`` and the wall time.
    """
    rng = random.Random(seed)
    last = out / "checkpoints" / "last.ckpt"
    first = CLI + ["train", "--config", os.fspath(config), "--set", f"train.max_steps={max_steps}",
                   "--set", f"train.val_every_steps={val_every}", "--set", f"train.batch_size={batch_size}",
                   "--out", str(out), "--no-progress"]
    resume = CLI + ["train", "--resume", str(out), "--no-progress"]
    trials = []
    t_start = time.time()
    for k in range(kills):
        before = _mtime(last)
        p = subprocess.Popen(first if k == 0 else resume, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=cli_env())
        t0 = time.time()
        while _mtime(last) == before and p.poll() is None and time.time() - t0 < timeout:
            time.sleep(0.05)
        delay = rng.uniform(0.0, max_delay)
        time.sleep(delay)
        if p.poll() is not None:
            err = p.stderr.read().decode(errors="replace")[-2000:]
            p.stderr.close()
            trials.append({"kill": k + 1, "finished_before_kill": True, "returncode": p.returncode,
                           "stderr_tail": err if p.returncode else ""})
            break
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        trials.append({"kill": k + 1, "delay_s": round(delay, 3), "finished_before_kill": False,
                       "resume_from_step": _ckpt_step(last) if last.exists() else None,
                       "model_pt_exists": (out / "model.pt").exists()})
    r = subprocess.run(resume, capture_output=True, text=True, env=cli_env(), timeout=timeout)
    metrics = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").exists() else None
    return {"trials": trials, "final_returncode": r.returncode, "final_stderr_tail": r.stderr[-2000:],
            "metrics": metrics, "wall_s": round(time.time() - t_start, 1)}
