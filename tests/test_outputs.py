"""Issue #14: every command writes its outputs as one set (a temporary folder, then into place);
filesystem errors (no space, read-only, name too long, not a directory) are one line naming the
path, exit code 2, no traceback, and an existing folder keeps every file as it was."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from posegraph.cli import main
from posegraph.errors import PosegraphError
from test_config_checks import one_line_error as _one_line_error

REPO = Path(__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict:
    """Every file under ``folder``: its bytes' hash and mtime."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(argv) -> int:
    return main([str(a) for a in argv])


def one_line_error(capsys, argv, *needles) -> str:
    """Run the CLI on ``argv``; its error must be the checks of test_config_checks.one_line_error."""
    code = main([str(a) for a in argv])
    return _one_line_error(code, capsys.readouterr().err, *needles)


def no_partial(folder: Path) -> None:
    left = [p for p in folder.rglob(".posegraph-partial-*")]
    assert not left, left


def enospc(*a, **k):
    raise OSError(errno.ENOSPC)


@pytest.fixture(scope="module")
def kp(tmp_path_factory):
    """A 30-frame h36m17 keypoint file (pixels of a 1000x1000 image)."""
    from posegraph.data.lift import load_lift
    from posegraph.geometry import unnormalize_screen
    from posegraph.io.keypoints import write_keypoints_npz

    s = load_lift("test")
    px = unnormalize_screen(s.p2d[:30], 1000, 1000)
    return write_keypoints_npz(tmp_path_factory.mktemp("kp") / "kp.npz", px, layout="h36m17", image_size=(1000, 1000))


def lift_args(kp, out, *extra):
    return ["lift", kp, "--checkpoint", "semgcn", "--out", out, "--no-progress", *extra]


# ----------------------------------------------------------------------------- lift
def test_lift_full_disk_leaves_no_folder_and_no_half_set(kp, tmp_path, capsys, monkeypatch):
    import posegraph.apps.lift as lift

    monkeypatch.setattr(lift, "save_json_stream", enospc)  # lift.npz written, then lift.json fails
    out = tmp_path / "new" / "deeper" / "out"
    one_line_error(capsys, lift_args(kp, out), str(out), "No space left on device")
    assert not (tmp_path / "new").exists()  # neither --out nor the parents it made
    no_partial(tmp_path)
    # a previous result stays whole: no lift.npz of the new run beside the old lift.json
    monkeypatch.undo()
    prev = tmp_path / "prev"
    assert cli(lift_args(kp, prev, "--max-frames", "10")) == 0
    capsys.readouterr()
    (prev / "notes.txt").write_text("mine")
    before = snapshot(prev)
    monkeypatch.setattr(lift, "save_json_stream", enospc)
    one_line_error(capsys, lift_args(kp, prev, "--overwrite"), str(prev), "No space left on device")
    assert snapshot(prev) == before
    no_partial(tmp_path)
    # and with room, the new set replaces the old one, other files kept
    monkeypatch.undo()
    assert cli(lift_args(kp, prev, "--overwrite")) == 0
    with np.load(prev / "lift.npz") as z:
        assert len(z["joints_3d"]) == 30
    assert (prev / "notes.txt").read_text() == "mine"
    no_partial(tmp_path)


def test_lift_failed_move_into_place_puts_the_previous_files_back(kp, tmp_path, capsys, monkeypatch):
    prev = tmp_path / "prev"
    assert cli(lift_args(kp, prev, "--max-frames", "10")) == 0
    capsys.readouterr()
    before = snapshot(prev)
    real = os.replace
    calls = []

    def replace(src, dst):  # the third move (the second new file into place) fails
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.EIO, "Input/output error", os.fspath(dst))
        return real(src, dst)

    import posegraph.fileio as fileio

    orig_commit = fileio.OutputDir.commit

    def commit(self):
        monkeypatch.setattr(os, "replace", replace)
        try:
            orig_commit(self)
        finally:
            monkeypatch.setattr(os, "replace", real)

    monkeypatch.setattr(fileio.OutputDir, "commit", commit)
    one_line_error(capsys, lift_args(kp, prev, "--overwrite"), "Input/output error")
    assert snapshot(prev) == before
    no_partial(tmp_path)


def test_lift_path_errors_are_one_line(kp, tmp_path, capsys):
    long = tmp_path / ("n" * 300)
    one_line_error(capsys, lift_args(kp, long), "name too long")
    one_line_error(capsys, lift_args(kp, kp.parent / "kp.npz" / "out"), "kp.npz", "not a directory")
    (tmp_path / "file.txt").write_text("x")
    one_line_error(capsys, lift_args(kp, tmp_path / "file.txt" / "out"), "file.txt", "not a directory")
    one_line_error(capsys, lift_args(kp, tmp_path / "file.txt"), "file.txt", "not a directory")
    assert (tmp_path / "file.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_lift_read_only_folder_simulated(kp, tmp_path, capsys, monkeypatch):
    """A read-only file system: creating the temporary folder fails (EROFS)."""
    import tempfile

    def mkdtemp(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", os.fspath(k.get("dir", ".")))

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    out = tmp_path / "ro" / "out"
    one_line_error(capsys, lift_args(kp, out), str(out), "Read-only file system")
    assert not (tmp_path / "ro").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_lift_read_only_folder(kp, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        one_line_error(capsys, lift_args(kp, ro / "out"), "ro", "Permission denied")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


# ----------------------------------------------------------------------------- forecast
@pytest.fixture(scope="module")
def motion_npz(tmp_path_factory):
    from posegraph.data.lift import load_lift
    from posegraph.pipeline import Pipeline, save_model_file

    d = tmp_path_factory.mktemp("fc")
    p3d = load_lift("test").p3d[:40].astype(np.float64)
    np.savez(d / "motion.npz", positions=p3d * [1, -1, 1], fps=25.0)
    return d / "motion.npz", save_model_file(d / "zero.pt", Pipeline("zero-velocity"))


def test_forecast_full_disk_and_path_errors(motion_npz, tmp_path, capsys, monkeypatch):
    import posegraph.apps.forecast as fc

    src, model = motion_npz
    args = ["forecast", src, "--checkpoint", model, "--frame", "12", "--out"]
    out = tmp_path / "o"
    assert cli(args + [out]) == 0
    capsys.readouterr()
    before = snapshot(out)
    monkeypatch.setattr(fc, "save_json", enospc)  # forecast.npz written, forecast.json fails
    one_line_error(capsys, args + [out, "--overwrite"], str(out), "No space left on device")
    assert snapshot(out) == before
    one_line_error(capsys, args + [tmp_path / "new" / "o"], "No space left on device")
    assert not (tmp_path / "new").exists()
    monkeypatch.undo()
    one_line_error(capsys, args + [tmp_path / ("f" * 300)], "name too long")
    one_line_error(capsys, args + [src / "out"], "motion.npz", "not a directory")
    no_partial(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# ----------------------------------------------------------------------------- eval --out
@pytest.fixture(scope="module")
def flat_lift(tmp_path_factory):
    from posegraph.data.lift import load_lift

    p = tmp_path_factory.mktemp("flat") / "t.npz"
    load_lift("test").subset(np.arange(0, 2000, 20)).to_npz(p)
    return p


def test_eval_out_follows_the_overwrite_rule(flat_lift, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.md").write_text("# a training report\n")
    before = snapshot(run)
    args = ["eval", "--checkpoint", "semgcn", "--data", flat_lift, "--out", run]
    one_line_error(capsys, args, str(run), "--overwrite")
    assert snapshot(run) == before
    # a full disk: neither report is replaced
    import posegraph.fileio as fileio

    monkeypatch.setattr(fileio, "write_text", enospc)
    one_line_error(capsys, args + ["--overwrite"], str(run), "No space left on device")
    assert snapshot(run) == before
    monkeypatch.undo()
    assert cli(args + ["--overwrite"]) == 0
    assert "MPJPE" in (run / "report.md").read_text() and (run / "report.json").exists()
    capsys.readouterr()
    new = tmp_path / "new" / "rep"
    assert cli(args[:-1] + [new]) == 0
    assert sorted(p.name for p in new.iterdir()) == ["report.json", "report.md"]
    capsys.readouterr()
    one_line_error(capsys, args[:-1] + [flat_lift / "x"], "t.npz", "not a directory")
    no_partial(tmp_path)


# ----------------------------------------------------------------------------- train
def test_train_final_outputs_are_one_set(tmp_path, monkeypatch):
    import posegraph.train.runner as runner
    from posegraph.config import load_config

    cfg = load_config(REPO / "configs/lift/baseline.yaml", ["train.max_steps=2", "train.val_every_steps=2",
                                                             "train.batch_size=16", "train.num_threads=1",
                                                             "model.kwargs.linear_size=32"])
    monkeypatch.setattr(runner, "save_json", enospc)  # model.pt written, then metrics.json fails
    out = tmp_path / "run"
    with pytest.raises(PosegraphError) as e:
        runner.train(cfg, out, progress=False, evaluate=False)
    msg = str(e.value)
    assert "\n" not in msg and str(out) in msg and "No space left on device" in msg
    assert not (out / "model.pt").exists() and not (out / "metrics.json").exists()
    assert (out / "checkpoints" / "last.ckpt").exists()  # the training itself is kept: --resume finishes it
    no_partial(tmp_path)


def test_train_path_errors_are_one_line_before_anything_runs(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    args = ["train", "--config", REPO / "configs/lift/baseline.yaml", "--set", "train.max_steps=2", "--no-progress",
            "--out"]
    one_line_error(capsys, args + [tmp_path / "file.txt" / "out"], "file.txt", "not a directory")
    one_line_error(capsys, args + [tmp_path / "file.txt"], "file.txt", "not a directory")
    one_line_error(capsys, args + [tmp_path / ("n" * 300)], "name too long")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
