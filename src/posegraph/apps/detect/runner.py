"""Find the detect environment and run the detector in it as a subprocess.

The detector needs mediapipe 0.10.21, which pins numpy<2 (the main environment has numpy 2),
so it lives in a separate virtual environment. :func:`detect_python` finds that
environment's interpreter: ``$POSEGRAPH_DETECT_PYTHON`` if set, else
``<repo>/.venv-detect/bin/python`` (``make detect-env`` creates it). :func:`run_detector`
runs ``<python> -m posegraph.apps.detect.mediapipe_pose INPUT --out NPZ --progress`` and shows
its progress.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ...errors import PosegraphError

__all__ = ["detect_python", "run_detector", "DetectorNotFound"]

ENV_VAR = "POSEGRAPH_DETECT_PYTHON"


class DetectorNotFound(PosegraphError):
    """The detect environment is not installed."""


def repo_root() -> Path:
    """The source checkout holding this package (``src/posegraph/apps/detect`` -> repo)."""
    return Path(__file__).resolve().parents[4]


def default_detect_python() -> Path:
    return repo_root() / ".venv-detect" / "bin" / "python"


def detect_python() -> Path:
    """The detect environment's interpreter, or :class:`DetectorNotFound` (one line)."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env)
        if not p.exists():
            raise DetectorNotFound(f"${ENV_VAR}={env}: no such interpreter; unset it or point it at "
                                   f"the detect environment's python (run `make detect-env`)")
        return p
    p = default_detect_python()
    if not p.exists():
        raise DetectorNotFound(f"the 2D detector is not installed ({p} is missing): run `make detect-env` "
                               f"in the posegraph checkout, or set ${ENV_VAR} to a python with "
                               f"mediapipe==0.10.21 and posegraph")
    return p


def run_detector(input_path: str | os.PathLike, out_npz: str | os.PathLike, *, max_frames: int | None = None,
                 progress: bool = True, python: str | os.PathLike | None = None) -> Path:
    """Detect BlazePose-33 keypoints in a video/image/image folder; writes ``out_npz``.

    Raises :class:`DetectorNotFound` when the environment is missing and
    :class:`~posegraph.errors.PosegraphError` (with the detector's last error line) when it fails.
    """
    py = Path(python) if python is not None else detect_python()
    cmd = [os.fspath(py), "-m", "posegraph.apps.detect.mediapipe_pose", os.fspath(input_path),
           "--out", os.fspath(out_npz), "--progress"]
    if max_frames:
        cmd += ["--max-frames", str(int(max_frames))]
    env = dict(os.environ)
    # the detect venv has posegraph installed with --no-deps (editable); in a source checkout make
    # sure it runs this tree's detector. Never put an installed site-packages on its path: the
    # main environment's numpy 2 would shadow the detect venv's numpy<2.
    src = Path(__file__).resolve().parents[3]  # src/posegraph/apps/detect -> src
    if src.name == "src" and (src.parent / "pyproject.toml").exists():
        env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("GLOG_minloglevel", "2")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    bar = None
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    except OSError as e:
        raise DetectorNotFound(f"{py}: cannot run the detector ({e}); run `make detect-env`") from None
    try:
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "progress" and progress:
                done, total = int(parts[1]), int(parts[2])
                if bar is None:
                    from tqdm import tqdm

                    bar = tqdm(total=total, desc="detect 2D", unit="frame", file=sys.stderr)
                bar.total = max(bar.total or 0, total)
                bar.update(done - bar.n)
        stderr = proc.stderr.read()
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if bar is not None:
            bar.close()
    if rc != 0:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        errs = [ln for ln in lines if ln.startswith("error:")]
        last = (errs or lines or [f"exit code {rc}"])[-1]
        if "No module named" in last:
            last += " (run `make detect-env`)"
        raise PosegraphError(f"{input_path}: 2D detection failed: {last.removeprefix('error: ')}")
    if not Path(out_npz).exists():
        raise PosegraphError(f"{input_path}: the detector wrote no {out_npz}")
    return Path(out_npz)
