"""`posegraph.apps.lift` in stages: ``read_2d`` -> ``lift_keypoints`` (no files) -> ``write_lift``.

Real 2D: the mocap-lift test split's first take, in pixels of its 1000x1000 training camera.
The staged path must give exactly the files of ``lift_input``, and ``lift_keypoints`` must
read and write nothing; the detector's ``detections.npz`` is read once with its frame rate
and detection flags.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posegraph.errors import PosegraphError
from posegraph.geometry import unnormalize_screen
from posegraph.io.keypoints import write_keypoints_npz
from posegraph.apps.lift import Camera, LiftResult, lift_input, lift_keypoints, read_2d, write_lift
from posegraph.pipeline import Pipeline, load_model_file, save_model_file

F = 30


@pytest.fixture(scope="module")
def keypoint_file(tmp_path_factory):
    from posegraph.data.lift import load_lift

    s = load_lift("test")
    idx = np.flatnonzero((s.seq == s.seq[0]) & (s.cam == s.cam[0]) & (s.source == s.source[0]))[:F]
    px = unnormalize_screen(s.p2d[idx].astype(np.float32), 1000, 1000).astype(np.float32)
    p = tmp_path_factory.mktemp("kp") / "kp.npz"
    write_keypoints_npz(p, px, layout="h36m17", image_size=(1000, 1000))
    return p, px


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    torch.manual_seed(0)
    pipe = Pipeline("semgcn", {"skeleton": "h36m16", "hidden": 32, "num_blocks": 1})
    p = tmp_path_factory.mktemp("model") / "m.pt"
    save_model_file(p, pipe)
    return p


def test_stages_equal_lift_input(keypoint_file, model_path, tmp_path):
    path, px = keypoint_file
    track, camera = read_2d(path)
    assert track.num_frames == F and track.layout == "h36m17" and track.kind == "keypoints"
    np.testing.assert_allclose(track.xy, px, atol=1e-4)
    assert camera == Camera((1000, 1000), None, 0.0)

    before = sorted(tmp_path.iterdir())
    res = lift_keypoints(load_model_file(model_path), track, camera, progress=False)
    assert sorted(tmp_path.iterdir()) == before  # no file read or written beside the inputs
    assert isinstance(res, LiftResult) and res.num_frames == F
    assert res.joints_3d.shape == (F, 16, 3) and np.isfinite(res.joints_3d).all()
    assert res.focal == pytest.approx(1145.0) and res.present.all() and not res.filled.any()

    staged = write_lift(res, tmp_path / "staged", checkpoint=model_path, progress=False)
    whole = lift_input(path, model_path, tmp_path / "whole", progress=False)
    with np.load(staged["npz"]) as a, np.load(whole["npz"]) as b:
        assert sorted(a.files) == sorted(b.files)
        for k in a.files:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert staged["frames"] == whole["frames"] == F


def test_read_2d_detections_once(keypoint_file, tmp_path):
    """A detector's output (keypoints plus fps and per-frame detected flags) in one read."""
    _, px = keypoint_file
    det = np.ones(F, bool)
    det[5] = False
    p = tmp_path / "detections.npz"
    np.savez(p, keypoints=px, confidence=np.ones(px.shape[:2], np.float32), layout=np.array("h36m17"),
             image_size=np.array([1000, 1000]), frame_ids=np.arange(F), fps=np.float64(25.0), detected=det)
    track, camera = read_2d(p, kind="video", source=tmp_path / "walk.mp4")
    assert camera.fps == 25.0 and track.kind == "video" and track.source.endswith("walk.mp4")
    np.testing.assert_array_equal(track.detected, det)


def test_stage_errors(keypoint_file, model_path, tmp_path):
    path, _ = keypoint_file
    with pytest.raises(PosegraphError, match="--image-size says"):
        read_2d(path, image_size=(640, 480))
    track, camera = read_2d(path)
    with pytest.raises(PosegraphError, match="--max-gap"):
        lift_keypoints(load_model_file(model_path), track, camera, max_gap=-1)
    res = lift_keypoints(load_model_file(model_path), track, camera, progress=False)
    with pytest.raises(PosegraphError, match="render"):
        write_lift(res, tmp_path / "o", render="avi")
    assert not (tmp_path / "o").exists()
