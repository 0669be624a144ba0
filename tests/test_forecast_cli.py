"""`posegraph forecast` on real mocap files of every format it reads."""

import json
import subprocess
import sys

import numpy as np
import pytest

from posegraph.errors import FormatError, PosegraphError, ShapeError
from posegraph.apps.forecast import forecast_input
from posegraph.io.read import read_positions
from posegraph.pipeline import Pipeline, save_model_file

CLI = [sys.executable, "-m", "posegraph.cli"]


@pytest.fixture(scope="module")
def zero_model(tmp_path_factory):
    return save_model_file(tmp_path_factory.mktemp("m") / "zero.pt", Pipeline("zero-velocity"))


def test_forecast_amc_with_true_continuation(shared_data, zero_model, tmp_path):
    amc = shared_data / "cmu/subjects/17/17_10.amc"
    r = forecast_input(amc, str(zero_model), tmp_path / "o", frame=60, plot=True)
    with np.load(tmp_path / "o/forecast.npz") as z:
        assert z["past"].shape == (10, 17, 3) and z["prediction"].shape == (25, 17, 3)
        assert z["future_true"].shape == (25, 17, 3)
        # zero velocity repeats the last observed pose
        assert np.allclose(z["prediction"], z["past"][-1:], atol=1e-6)
        assert np.abs(z["past"][:, 0]).max() == 0  # pelvis-relative
    assert r["horizon_ms"][0] == 40 and r["horizon_ms"][-1] == 1000
    assert 0 < r["mpjpe_mm_per_frame"][0] < r["mpjpe_mm_per_frame"][-1] < 1000
    assert (tmp_path / "o/forecast.gif").stat().st_size > 10_000
    # the window is taken from the 25 fps resampling of the 120 Hz file
    pos, fps = read_positions(amc)
    assert fps == 120.0 and pos.shape[1:] == (17, 3)


def test_forecast_bvh_expmap_and_npz_inputs(shared_data, zero_model, tmp_path):
    for i, path in enumerate([shared_data / "cmu/subjects/131/131_02.bvh",
                              shared_data / "cmu/8action/test/walking/walking_1.txt"]):
        r = forecast_input(path, str(zero_model), tmp_path / f"o{i}")
        assert "mpjpe_mm_per_frame" not in r  # forecast after the last frame: nothing to compare with
    pos, fps = read_positions(shared_data / "cmu/subjects/131/131_02.bvh")
    np.savez(tmp_path / "p.npz", positions=pos, fps=fps)
    r = forecast_input(tmp_path / "p.npz", str(zero_model), tmp_path / "o3", frame=20)
    assert r["true_frames_available"] == 25


def test_forecast_errors(shared_data, zero_model, tmp_path):
    np.savez(tmp_path / "bad.npz", positions=np.zeros((30, 16, 3)), fps=25.0)
    with pytest.raises(FormatError, match=r"bad.npz\[positions\]"):
        read_positions(tmp_path / "bad.npz")
    with pytest.raises(ShapeError, match="observed window"):
        forecast_input(shared_data / "cmu/subjects/17/17_10.amc", str(zero_model), tmp_path / "o", frame=3)
    lift = save_model_file(tmp_path / "lift.pt", Pipeline("mean-pose"))
    with pytest.raises(PosegraphError, match="lift model"):
        forecast_input(shared_data / "cmu/subjects/17/17_10.amc", str(lift), tmp_path / "o2")
    r = subprocess.run(CLI + ["forecast", str(tmp_path / "missing.amc"), "--checkpoint", str(zero_model), "--out",
                              str(tmp_path / "o4")], capture_output=True, text=True)
    assert r.returncode == 2 and "missing.amc" in r.stderr and "Traceback" not in r.stderr


def test_forecast_cli_refuses_non_empty_out(shared_data, zero_model, tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o/keep.txt").write_text("x")
    args = CLI + ["forecast", str(shared_data / "cmu/subjects/17/17_10.amc"), "--checkpoint", str(zero_model),
                  "--out", str(tmp_path / "o")]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 2 and "not empty" in r.stderr
    r = subprocess.run(args + ["--overwrite"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o/forecast.json").read_text())["model"] == "zero-velocity"
