"""The offline 2D detector (mediapipe 0.10.21 in its own venv) and `posegraph lift VIDEO`.

Tests that run the detector need the detect environment (``make detect-env`` makes
``.venv-detect``; or ``$POSEGRAPH_DETECT_PYTHON``) and the demo video in ``shared/media``:
they skip with a reason where either is absent, but fail under CI (``CI=true``).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from posegraph.cli import main
from posegraph.apps.detect.runner import DetectorNotFound, default_detect_python, detect_python, run_detector
from posegraph.apps.lift import lift_input
from posegraph.pipeline import Pipeline, save_model_file

N = 10  # frames of walk_demo.mp4 used


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def detect_env() -> Path:
    try:
        return detect_python()
    except DetectorNotFound as e:
        if _ci():
            pytest.fail(f"{e} -- under CI the detect environment must be there")
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    torch.manual_seed(0)
    p = tmp_path_factory.mktemp("model") / "m.pt"
    save_model_file(p, Pipeline("semgcn", {"skeleton": "h36m16", "hidden": 32, "num_blocks": 1}))
    return p


@pytest.fixture(scope="module")
def detections(detect_env, shared_media, tmp_path_factory):
    out = tmp_path_factory.mktemp("det") / "walk10.npz"
    return run_detector(shared_media / "walk_demo.mp4", out, max_frames=N, progress=False)


def test_main_env_has_no_mediapipe():
    assert importlib.util.find_spec("mediapipe") is None, "mediapipe must stay an optional extra"


def test_detector_module_imports_only_numpy_cv2_mediapipe():
    import posegraph.apps.detect.mediapipe_pose as m

    tree = ast.parse(Path(m.__file__).read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative (posegraph) imports in the detector"
            mods.add(node.module.split(".")[0])
    assert mods <= {"__future__", "argparse", "os", "sys", "tempfile", "numpy", "cv2", "mediapipe"}, mods


def test_missing_detect_env_is_one_line(monkeypatch, shared_media, model_path, tmp_path, capsys):
    monkeypatch.setenv("POSEGRAPH_DETECT_PYTHON", str(tmp_path / "no" / "python"))
    with pytest.raises(DetectorNotFound, match="make detect-env"):
        detect_python()
    assert main(["lift", str(shared_media / "walk_demo.mp4"), "--checkpoint", str(model_path),
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "make detect-env" in err
    assert not (tmp_path / "o").exists()
    monkeypatch.delenv("POSEGRAPH_DETECT_PYTHON")
    assert default_detect_python().name == "python"


def test_detector_on_real_frames(detections):
    from posegraph.io.keypoints import read_keypoints

    kp = read_keypoints(detections)
    assert kp.layout == "blazepose33" and kp.num_frames == N and kp.image_size == (1768, 994)
    with np.load(detections) as d:
        assert float(d["fps"]) == pytest.approx(30.0, abs=0.1)
        det = d["detected"]
    assert det.sum() >= N // 2, "BlazePose should find a person in most of the first frames"
    xy = kp.xy[det]
    ok = np.isfinite(xy).all(-1)
    assert ok.mean() > 0.9
    assert (xy[ok][:, 0] > -50).all() and (xy[ok][:, 0] < 1818).all()
    assert (xy[ok][:, 1] > -50).all() and (xy[ok][:, 1] < 1044).all()
    h17, c17 = kp.to_h36m17()
    # a standing person: ankles below the hips below the shoulders (y down), in detected frames
    f = np.flatnonzero(det)[-1]
    y = {j: h17[f, i, 1] for i, j in enumerate(["pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
                                                  "spine", "thorax", "neck", "head", "l_shoulder"])}
    assert y["r_ankle"] > y["r_knee"] > y["r_hip"] > y["thorax"] > y["head"]


def test_lift_detector_keypoint_file(detections, model_path, tmp_path):
    res = lift_input(detections, model_path, tmp_path / "out", progress=False, render="gif")
    d = np.load(res["npz"])
    assert d["keypoints_2d"].shape == (N, 17, 2) and d["joints_3d"].shape == (N, 16, 3)
    with np.load(detections) as det:
        undetected = ~det["detected"]
    assert d["filled"][undetected].all()  # frames without a person are flagged
    # and get no invented pose: NaN 2D and 3D, detected false
    assert not d["detected"][undetected].any() and np.isnan(d["joints_3d"][undetected]).all()
    assert np.isnan(d["keypoints_2d"][undetected]).all()
    assert np.isfinite(d["joints_3d"][d["detected"]]).all() and np.isnan(d["root_cam"][undetected]).all()
    meta = json.loads(res["json"].read_text())
    assert meta["image_size"] == [1768, 994] and meta["focal"] == pytest.approx(1.145 * 1768)
    assert res["video"].suffix == ".gif" and res["video"].stat().st_size > 0


def test_lift_video_end_to_end(detect_env, shared_media, model_path, tmp_path):
    from posegraph.apps.video import iter_frames, probe

    out = tmp_path / "out"
    assert main(["lift", str(shared_media / "walk_demo.mp4"), "--checkpoint", str(model_path), "--out", str(out),
                 "--render", "--max-frames", "6", "--no-progress", "--focal", "1500"]) == 0
    assert {p.name for p in out.iterdir()} == {"detections.npz", "lift.npz", "lift.json", "lift.mp4"}
    d = np.load(out / "lift.npz")
    assert d["joints_3d"].shape == (6, 16, 3) and float(d["focal"]) == 1500.0 and float(d["fps"]) == 30.0
    assert "detected" in d.files
    info = probe(out / "lift.mp4")
    assert info.width % 2 == 0 and info.height % 2 == 0 and info.fps == 30.0
    assert sum(1 for _ in iter_frames(out / "lift.mp4")) == 6
