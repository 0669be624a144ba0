"""Issue #14: inputs. The units check on every 3D input, the Python API's input layouts (and the
README's example, run as written), the flat export layout as a `lift` input, and big garbage
refused from its header."""

from __future__ import annotations

import os
import re
import shlex
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from posegraph.cli import main
from posegraph.errors import FormatError, ShapeError
from posegraph.skeleton import H36M17

REPO = Path(__file__).resolve().parents[1]


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_line_error(capsys, *argv_and_needles, needles=()) -> str:
    code, _, err = cli(capsys, *argv_and_needles)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def lift_test():
    from posegraph.data.lift import load_lift

    return load_lift("test")


@pytest.fixture(scope="module")
def zero_model(tmp_path_factory):
    from posegraph.pipeline import Pipeline, save_model_file

    return save_model_file(tmp_path_factory.mktemp("m") / "zero.pt", Pipeline("zero-velocity"))


# ----------------------------------------------------------------------------- README
def test_readme_api_example_runs_as_written(shared_data, tmp_path, monkeypatch, capsys):
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Python API\s+```python\n(.*?)```", text, re.S).group(1)
    cmd = block.splitlines()[0]
    assert cmd.startswith("# $ posegraph ")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.parent)  # ../shared/data as in a clone beside shared/
    monkeypatch.chdir(work)
    assert main(shlex.split(cmd[len("# $ posegraph "):])) == 0
    capsys.readouterr()
    ns: dict = {}
    exec(compile(block, "README.md", "exec"), ns)
    n = len(ns["test"]["p2d"])
    assert n > 1000 and tuple(ns["pose3d"].shape) == (n, 16, 3)
    assert 20 < ns["mpjpe_mm"] < 100, ns["mpjpe_mm"]
    assert ns["motion"].positions.shape[1:] == (17, 3)


# ----------------------------------------------------------------------------- Python API
def test_pipeline_takes_numpy_torch_and_the_export_layout(lift_test):
    import posegraph

    pipe = posegraph.pretrained("semgcn")
    assert pipe.skeleton.name == "h36m16"
    p2d = lift_test.p2d[:64]
    own = np.delete(p2d, 9, axis=1)  # h36m16 is h36m17 without the neck (index 9)
    assert H36M17.joints[9] == "neck"
    with torch.no_grad():
        a = pipe(torch.as_tensor(own))
        assert torch.equal(pipe(own), a)                              # numpy, own layout
        assert torch.equal(pipe(p2d), a)                              # numpy, export layout
        assert torch.equal(pipe(torch.as_tensor(p2d)), a)             # torch, export layout
        assert torch.equal(pipe(torch.as_tensor(p2d, dtype=torch.float64)), a)
        wrong = pipe(p2d[:, :16])  # the first 16 joints are not the model's 16: a different pose
    assert not torch.allclose(wrong, a, atol=1e-3)
    for bad in (p2d[0], p2d[:, :, :1], p2d[:, :12], p2d[None]):
        with pytest.raises(ValueError) as e:
            pipe(bad)
        msg = str(e.value)
        assert isinstance(e.value, ShapeError) and "\n" not in msg
        assert "(batch, 16, 2)" in msg and "(batch, 17, 2)" in msg and "h36m17" in msg, msg
    with pytest.raises(ValueError, match="numpy array"):
        pipe("abc")


def test_forecast_pipeline_takes_numpy(lift_test):
    import posegraph

    pipe = posegraph.pretrained("sts-gcn")
    past = lift_test.p3d[:10][None]  # (1, 10, 17, 3)
    with torch.no_grad():
        out = pipe(past)
        assert torch.equal(out, pipe(torch.as_tensor(past)))
    assert tuple(out.shape[-2:]) == (pipe.skeleton.num_joints, 3)
    for bad in (past[0], past[:, :9]):
        with pytest.raises(ValueError, match=r"expects \(batch, 10, 17, 3\)"):
            pipe(bad)


# ----------------------------------------------------------------------------- flat layout
def test_flat_export_layout_is_a_lift_input(lift_test, tmp_path, capsys):
    import posegraph

    idx = np.flatnonzero((lift_test.seq == lift_test.seq[0]) & (lift_test.cam == 0))[:40]
    f = lift_test.subset(idx).to_npz(tmp_path / "flat.npz")  # what `posegraph data export` writes
    out = tmp_path / "o"
    code, so, err = cli(capsys, "lift", f, "--checkpoint", "semgcn", "--out", out, "--smooth", "none",
                        "--no-constant-bones", "--no-progress")
    assert code == 0, err
    pipe = posegraph.pretrained("semgcn")
    with torch.no_grad():
        want = pipe(lift_test.p2d[idx]).numpy()
    want = want - want[:, :1]
    with np.load(out / "lift.npz") as z:
        assert z["joints_3d_raw"].shape == (40, 16, 3) and tuple(z["image_size"]) == (1000, 1000)
        np.testing.assert_allclose(z["joints_3d_raw"], want, atol=2e-4)
    # a flat forecasting file is not a 2D input: one line that says what is missing
    from posegraph.data.forecast import load_forecast

    g = load_forecast("test").to_samples().subset(np.arange(3)).to_npz(tmp_path / "fc.npz")
    one_line_error(capsys, "lift", g, "--checkpoint", "semgcn", "--out", tmp_path / "o2",
                   needles=("fc.npz", "keypoints", "p2d"))
    assert not (tmp_path / "o2").exists()


# ----------------------------------------------------------------------------- units
def test_millimetre_positions_given_to_forecast_warn(lift_test, zero_model, tmp_path, capsys):
    pos = lift_test.p3d[:40].astype(np.float64)
    np.savez(tmp_path / "m.npz", positions=pos, fps=25.0)
    np.savez(tmp_path / "mm.npz", positions=pos * 1000.0, fps=25.0)
    code, _, err = cli(capsys, "forecast", tmp_path / "m.npz", "--checkpoint", zero_model, "--out", tmp_path / "o1")
    assert code == 0 and err.strip() == "", err
    code, _, err = cli(capsys, "forecast", tmp_path / "mm.npz", "--checkpoint", zero_model, "--out", tmp_path / "o2")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 0 and len(lines) == 1, err  # a warning, as for an ASF/AMC in the wrong units
    assert lines[0].startswith("warning: ") and "mm.npz[positions]" in lines[0] and "millimetres" in lines[0], lines
    assert "Traceback" not in err


def test_millimetre_p3d_given_to_eval_warns(lift_test, tmp_path, capsys):
    from posegraph.data.lift import LiftSamples
    from posegraph.errors import PosegraphWarning

    sub = lift_test.subset(np.arange(0, 4000, 40))
    sub.to_npz(tmp_path / "m.npz")
    mm = sub.subset(slice(None))
    mm.p3d = sub.p3d * 1000.0
    mm.to_npz(tmp_path / "mm.npz")
    with pytest.warns(PosegraphWarning, match=r"mm\.npz\[p3d\]: measured stature .* millimetres"):
        LiftSamples.from_npz(tmp_path / "mm.npz")
    code, _, err = cli(capsys, "eval", "--checkpoint", "semgcn", "--data", tmp_path / "m.npz", "--json")
    assert code == 0 and err.strip() == "", err
    code, _, err = cli(capsys, "eval", "--checkpoint", "semgcn", "--data", tmp_path / "mm.npz", "--json")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 0 and len(lines) == 1 and lines[0].startswith("warning: "), err
    assert "mm.npz[p3d]" in lines[0] and "millimetres" in lines[0]


def test_the_units_check_is_the_asf_one():
    """Motion files and npz inputs share one check; centimetres are named too."""
    from posegraph.errors import PosegraphWarning
    from posegraph.io.stature import check_units

    pos = np.zeros((1, 17, 3))
    pos[0, :, 1] = np.arange(17) * 0.1  # a chain of 0.1 m bones
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 0.5 < check_units(pos, H36M17.joints, "x.npz") < 3
    with pytest.warns(PosegraphWarning, match=r"x\.npz: measured stature .*centimetres"):
        check_units(pos * 100, H36M17.joints, "x.npz")


# ----------------------------------------------------------------------------- big garbage
def test_big_garbage_bvh_is_refused_from_its_header(tmp_path, capsys, monkeypatch, zero_model):
    import posegraph.io.bvh as bvh
    from posegraph.io import read_motion

    f = tmp_path / "big.bvh"
    with open(f, "wb") as fh:
        fh.write(b"\x00garbage not a bvh\n" + os.urandom(4000))
        fh.truncate(200 * 2 ** 20)  # 200 MB, sparse
    assert f.stat().st_size == 200 * 2 ** 20

    def whole(*a, **k):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(bvh, "read_text", whole)
    t = time.perf_counter()
    with pytest.raises(FormatError, match=r"big\.bvh:1: file does not start with HIERARCHY"):
        read_motion(f)
    assert time.perf_counter() - t < 5.0  # it took 15 s when the whole file was read
    one_line_error(capsys, "forecast", f, "--checkpoint", zero_model, "--out", tmp_path / "o",
                   needles=("big.bvh:1", "HIERARCHY"))
    assert not (tmp_path / "o").exists()
    # blank lines before the first word: its line is named
    g = tmp_path / "late.bvh"
    g.write_bytes(b"\r\n\n  MOTION\nFrames: 1\n")
    with pytest.raises(FormatError, match=r"late\.bvh:3: file does not start with HIERARCHY"):
        read_motion(g)


def test_garbage_npz_is_one_line_without_pickle_advice(tmp_path, capsys, zero_model):
    from posegraph.io.npzfile import read_npz

    g = tmp_path / "garbage.npz"
    g.write_bytes(os.urandom(5000))
    big = tmp_path / "big.npz"
    with open(big, "wb") as fh:
        fh.write(b"\x80\x04garbage")  # starts like a pickle: numpy would suggest allow_pickle
        fh.truncate(200 * 2 ** 20)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    npy = tmp_path / "one.npz"
    with open(npy, "wb") as fh:
        np.save(fh, np.zeros(3))
    obj = tmp_path / "obj.npz"
    np.savez(obj, p2d=np.array([{"a": 1}], dtype=object))
    for f, needle in ((g, "not a valid .npz file"), (big, "not a valid .npz file"), (empty, "not a valid .npz file"),
                      (npy, "single .npy array"), (obj, "Python objects")):
        t = time.perf_counter()
        with pytest.raises(FormatError) as e:
            read_npz(f)
        assert time.perf_counter() - t < 5.0  # it took 15 s when the whole file was read
        msg = str(e.value)
        assert needle in msg and f.name in msg and "\n" not in msg and "allow_pickle" not in msg, msg
        for argv in (["lift", f, "--checkpoint", "semgcn", "--out", tmp_path / "o"],
                     ["forecast", f, "--checkpoint", zero_model, "--out", tmp_path / "o"],
                     ["eval", "--checkpoint", "semgcn", "--data", f]):
            line = one_line_error(capsys, *argv, needles=(f.name,))
            assert "allow_pickle" not in line, line
        assert not (tmp_path / "o").exists()
