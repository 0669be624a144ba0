"""benchmarks/device_rows.py: the calibration's step rate and the packed results that come back."""

from __future__ import annotations

import importlib
import io
import sys
import tarfile
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module():
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("device_rows")
    finally:
        sys.path.remove(str(BENCH))


def test_step_seconds_is_read_between_the_last_two_validations(tmp_path):
    dr = _module()
    run = tmp_path / "r"
    run.mkdir()
    assert dr.step_seconds(run) is None  # no curve yet
    (run / "test_curve.csv").write_text("step,train_seconds,test_mpjpe\n250,40.0,120.0\n")
    assert dr.step_seconds(run) is None  # one validation: no interval
    (run / "test_curve.csv").write_text("step,train_seconds,test_mpjpe\n250,40.0,120.0\n500,50.0,100.0\n")
    assert dr.step_seconds(run) == 10.0 / 250


def test_pack_keeps_what_a_report_needs_and_splits_into_parts(tmp_path):
    dr = _module()
    runs = tmp_path / "runs"
    for rid in ("abl/a", "opt/b"):
        d = runs / rid
        (d / "logs").mkdir(parents=True)
        (d / "checkpoints").mkdir()
        (d / "model.pt").write_bytes(bytes(range(256)) * 6000)  # 1.5 MB: more than one part
        (d / "metrics.json").write_text('{"steps": 10}')
        (d / "logs" / "metrics.csv").write_text("step,val_mpjpe\n9,50.0\n")
        (d / "checkpoints" / "last.ckpt").write_bytes(b"x" * 100)  # optimiser state: stays behind
    dest = tmp_path / "out"
    dest.mkdir()
    dr.pack(runs, ["abl/a", "opt/b"], dest, part_mb=1)
    parts = sorted(dest.glob("rows.tar.*"))
    assert [p.name for p in parts] == [f"rows.tar.{i:02d}" for i in range(len(parts))] and len(parts) == 3
    assert all(p.stat().st_size == 2**20 for p in parts[:-1]) and parts[-1].stat().st_size <= 2**20
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as tar:
        names = set(tar.getnames())
        assert names == {f"runs/{rid}/{f}" for rid in ("abl/a", "opt/b")
                         for f in ("model.pt", "metrics.json", "logs/metrics.csv")}
        assert tar.extractfile("runs/abl/a/model.pt").read() == (runs / "abl/a/model.pt").read_bytes()
