"""`posegraph demo` runs on the bundled data and writes its summary and picture."""

import subprocess
import sys


def test_demo_quick(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "posegraph.cli", "demo", "--out", str(out), "--quick"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| mean-pose (floor) | lift |" in r.stdout and "| zero-velocity (floor) | forecast |" in r.stdout
    assert (out / "lift_walking.png").stat().st_size > 20_000
    assert (out / "summary.md").exists()
    # it overwrites its own folder, and refuses a folder it did not write
    r = subprocess.run([sys.executable, "-m", "posegraph.cli", "demo", "--out", str(out), "--quick"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "x").write_text("mine")
    r = subprocess.run([sys.executable, "-m", "posegraph.cli", "demo", "--out", str(other)], capture_output=True, text=True)
    assert r.returncode == 2 and "not written by" in r.stderr
