"""`posegraph lift` on 2D keypoint files in every format, made from real benchmark 2D.

The inputs are the mocap-lift test split's 2D joints (normalised screen coordinates of
1000x1000 images, f = 1145: exactly the training camera), converted back to pixels. They are
written as:

* npz and CSV in the ``h36m17`` layout (these formats store the layout): the lift must equal
  running the pipeline directly on the benchmark's 2D;
* COCO results JSON (``coco17``) and an OpenPose folder (``body25``), where the h36m17 joints
  that have a counterpart are written (shoulders, elbows, wrists, hips, knees, ankles; for
  BODY_25 also ``neck`` = thorax and ``mid_hip`` = pelvis, though the mapping to h36m17
  takes the pelvis as the hips' midpoint); the face keypoints (nose, eyes,
  ears) are missing, so the derived ``neck``/``head`` joints are missing and must come back
  filled and flagged.

The model is an untrained SemGCN (h36m16) saved to a temporary file: these are shape, IO and
consistency tests, independent of any shipped weights.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from posegraph.cli import main
from posegraph.errors import PosegraphError
from posegraph.pipeline import run_batched
from posegraph.geometry import unnormalize_screen
from posegraph.io.keypoints import write_coco_json, write_keypoints_csv, write_keypoints_npz, write_openpose_dir
from posegraph.apps.lift import lift_input, smooth_poses, to_model_input
from posegraph.pipeline import Pipeline, load_model_file, save_model_file
from posegraph.skeleton import BODY25, COCO17, H36M17

F = 24


@pytest.fixture(scope="module")
def bench():
    from posegraph.data.lift import load_lift

    s = load_lift("test")
    seq0 = s.seq[0]
    idx = np.flatnonzero((s.seq == seq0) & (s.cam == s.cam[0]) & (s.source == s.source[0]))[:F]
    assert len(idx) == F
    p2d = s.p2d[idx].astype(np.float32)
    px = unnormalize_screen(p2d, 1000, 1000).astype(np.float32)
    return p2d, px


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    torch.manual_seed(0)
    pipe = Pipeline("semgcn", {"skeleton": "h36m16", "hidden": 32, "num_blocks": 1})
    with torch.no_grad():  # a non-trivial output normalisation, so the check is not vacuous
        pipe.out_norm.std.fill_(0.2)
    p = tmp_path_factory.mktemp("model") / "m.pt"
    save_model_file(p, pipe)
    return p


def _direct(model_path, p2d):
    pipe = load_model_file(model_path)
    idx = H36M17.subset_indices(pipe.skeleton)
    pose = run_batched(pipe, p2d[:, idx])["pose"]
    return pose - pose[:, :1]


def _to_layout(px17, layout):
    """h36m17 pixels -> a detector layout, with only the joints that correspond (others NaN)."""
    K = layout.num_keypoints
    out = np.full((len(px17), K, 2), np.nan, np.float32)
    pairs = {}
    for side, pre in (("l", "l"), ("r", "r")):
        for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            pairs[f"{pre}_{j}"] = f"{side}_{j}"
    if layout.name == "body25":
        pairs["mid_hip"] = "pelvis"
        pairs["neck"] = "thorax"
    for kp, j in pairs.items():
        out[:, layout.keypoints.index(kp)] = px17[:, H36M17.index(j)]
    return out


def test_npz_h36m17_matches_direct_pipeline(bench, model_path, tmp_path):
    p2d, px = bench
    src = write_keypoints_npz(tmp_path / "kp.npz", px, layout="h36m17", image_size=(1000, 1000))
    res = lift_input(src, model_path, tmp_path / "out", progress=False)
    d = np.load(res["npz"])
    assert d["joints_3d"].shape == (F, 16, 3)
    assert d["keypoints_2d"].shape == (F, 17, 2) and d["confidence"].shape == (F, 17)
    assert d["filled"].shape == (F, 17) and not d["filled"].any()
    np.testing.assert_allclose(d["keypoints_2d"], px, atol=1e-3)
    np.testing.assert_allclose(d["model_input"], p2d[:, H36M17.subset_indices(load_model_file(model_path).skeleton)],
                               atol=1e-5)
    np.testing.assert_allclose(d["joints_3d_raw"], _direct(model_path, p2d), atol=1e-4)  # frame by frame
    assert np.isfinite(d["joints_3d"]).all() and d["detected"].all() and not d["interpolated"].any()
    assert np.abs(d["joints_3d"][:, 0]).max() == 0  # pelvis-relative
    meta = json.loads((tmp_path / "out" / "lift.json").read_text())
    assert meta["num_frames"] == F and len(meta["frames"]) == F and meta["skeleton_3d"] == "h36m16"
    assert meta["focal"] == pytest.approx(1145.0) and meta["image_size"] == [1000, 1000]
    np.testing.assert_allclose(meta["frames"][3]["joints_3d"], d["joints_3d"][3], atol=1e-4)


def test_csv_h36m17_with_missing_joints_flagged(bench, model_path, tmp_path):
    p2d, px = bench
    conf = np.ones((F, 17), np.float32)
    conf[2, H36M17.index("l_wrist")] = 0.0      # missing
    conf[5, H36M17.index("r_knee")] = 0.1       # below the 0.3 threshold
    xy = px.copy()
    xy[2, H36M17.index("l_wrist")] = np.nan
    src = write_keypoints_csv(tmp_path / "kp.csv", xy, conf, layout="h36m17", image_size=(1000, 1000))
    res = lift_input(src, model_path, tmp_path / "out", progress=False)
    d = np.load(res["npz"])
    want = conf < 0.3
    np.testing.assert_array_equal(d["filled"], want)
    assert np.isfinite(d["keypoints_2d"]).all()
    # filled from the previous frame, never zeros
    np.testing.assert_allclose(d["keypoints_2d"][2, H36M17.index("l_wrist")], px[1, H36M17.index("l_wrist")], atol=1e-2)
    ok = ~want.any(1)
    np.testing.assert_allclose(d["joints_3d_raw"][ok], _direct(model_path, p2d)[ok], atol=1e-4)
    assert res["filled_fraction"] == pytest.approx(2 / (F * 17))


def test_coco_json_multi_person_and_openpose(bench, model_path, tmp_path):
    p2d, px = bench
    coco = _to_layout(px, COCO17)
    small = (coco - 500) * 0.5 + np.array([800, 500], np.float32)  # a smaller second person
    both = np.stack([small, coco], 1)  # the larger person listed second
    src = write_coco_json(tmp_path / "res.json", [both[f] for f in range(F)])
    res = lift_input(src, model_path, tmp_path / "out", progress=False, image_size=(1000, 1000))
    d = np.load(res["npz"])
    assert d["joints_3d"].shape == (F, 16, 3)
    limbs = [H36M17.index(f"{s}_{j}") for s in "lr" for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")]
    np.testing.assert_allclose(d["keypoints_2d"][:, limbs], px[:, limbs], atol=1e-2)  # the largest person
    face = [H36M17.index("neck"), H36M17.index("head")]
    assert d["filled"][:, face].all() and d["filled"].sum() == 2 * F
    assert np.isfinite(d["keypoints_2d"]).all() and np.isfinite(d["joints_3d"]).all()
    # --person 1 follows the smaller one
    res1 = lift_input(src, model_path, tmp_path / "out1", progress=False, image_size=(1000, 1000), person="1")
    d1 = np.load(res1["npz"])
    np.testing.assert_allclose(d1["keypoints_2d"][:, limbs], (px[:, limbs] - 500) * 0.5 + [800, 500], atol=1e-2)

    body = _to_layout(px, BODY25)
    folder = tmp_path / "openpose"
    write_openpose_dir(folder, body, layout="body25")
    assert main(["lift", str(folder), "--checkpoint", str(model_path), "--out", str(tmp_path / "out2"),
                 "--image-size", "1000x1000", "--no-progress", "--smooth", "gaussian", "--sigma", "1.5",
                 "--no-robust", "--no-constant-bones"]) == 0
    d2 = np.load(tmp_path / "out2" / "lift.npz")
    # BODY_25's neck is the thorax; the pelvis is mapped as the midpoint of the hips (mid_hip unused)
    th = H36M17.index("thorax")
    np.testing.assert_allclose(d2["keypoints_2d"][:, limbs + [th]], px[:, limbs + [th]], atol=1e-2)
    assert d2["filled"][:, face].all()
    np.testing.assert_allclose(d2["joints_3d"], smooth_poses(d2["joints_3d_raw"], 1.5), atol=1e-5)


def test_focal_rescales_about_the_centre():
    px = np.array([[[500.0, 500.0], [600.0, 300.0]]])
    x1, f1, s1 = to_model_input(px, (1000, 1000))
    assert f1 == pytest.approx(1145.0) and s1 == 1.0
    x2, _, s2 = to_model_input(px, (1000, 1000), focal=2290.0)
    assert s2 == 0.5
    np.testing.assert_allclose(x2, x1 * 0.5, atol=1e-12)  # the centre maps to 0 for a square image
    x3, _, _ = to_model_input(np.array([[[960.0, 540.0]]]), (1920, 1080))
    np.testing.assert_allclose(x3, 0.0, atol=1e-12)


def test_smoothing_filter():
    t = np.arange(50, dtype=np.float64)
    x = np.stack([t, np.zeros(50)], -1)[:, None, :]  # (T, 1, 2) a line
    np.testing.assert_allclose(smooth_poses(x, 2.0)[10:40], x[10:40], atol=1e-9)  # a line is kept inside
    noisy = x + np.random.default_rng(0).normal(0, 1, x.shape)
    assert np.abs(smooth_poses(noisy, 2.0) - x).std() < 0.6 * np.abs(noisy - x).std()


def test_render_gif_from_keypoints(bench, model_path, tmp_path):
    from PIL import Image

    _, px = bench
    src = write_keypoints_npz(tmp_path / "kp.npz", px[:4], layout="h36m17", image_size=(1000, 1000))
    res = lift_input(src, model_path, tmp_path / "out", progress=False, render="gif")
    with Image.open(res["video"]) as im:
        assert im.n_frames == 4


def test_graphmdn_hypotheses_written(bench, tmp_path):
    _, px = bench
    torch.manual_seed(0)
    p = tmp_path / "mdn.pt"
    save_model_file(p, Pipeline("graphmdn", {}))
    src = write_keypoints_npz(tmp_path / "kp.npz", px[:6], layout="h36m17", image_size=(1000, 1000))
    res = lift_input(src, p, tmp_path / "out", progress=False)
    d = np.load(res["npz"])
    M = d["hypotheses"].shape[1]
    J = d["joints_3d"].shape[1]
    assert d["hypotheses"].shape == (6, M, J, 3) and d["weights"].shape == (6, J, M) and M > 1
    np.testing.assert_allclose(d["weights"].sum(-1), 1.0, atol=1e-4)
    meta = json.loads(res["json"].read_text())
    assert meta["num_hypotheses"] == M and np.array(meta["frames"][0]["hypotheses"]).shape == (M, J, 3)


def _one_line_error(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    for n in needles:
        assert n in err, err
    return err


def test_cli_errors(bench, model_path, tmp_path, capsys):
    _, px = bench
    src = write_keypoints_npz(tmp_path / "kp.npz", px[:3], layout="h36m17", image_size=(1000, 1000))
    out = tmp_path / "busy"
    out.mkdir()
    (out / "x.txt").write_text("keep me")
    _one_line_error(capsys, ["lift", str(src), "--checkpoint", str(model_path), "--out", str(out)], "--overwrite")
    assert (out / "x.txt").read_text() == "keep me" and not (out / "lift.npz").exists()
    assert main(["lift", str(src), "--checkpoint", str(model_path), "--out", str(out), "--overwrite",
                 "--no-progress"]) == 0
    assert (out / "lift.npz").exists()
    capsys.readouterr()
    _one_line_error(capsys, ["lift", str(tmp_path / "nope.mp4"), "--checkpoint", str(model_path),
                             "--out", str(tmp_path / "o1")], "nope.mp4")
    _one_line_error(capsys, ["lift", str(src), "--checkpoint", str(tmp_path / "missing.pt"),
                             "--out", str(tmp_path / "o2")], "missing.pt")
    _one_line_error(capsys, ["lift", str(src), "--checkpoint", "no-such-model", "--out", str(tmp_path / "o3")],
                    "no-such-model")
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()
    # keypoint formats without an image size need --image-size
    coco = write_coco_json(tmp_path / "r.json", [_to_layout(px[:2], COCO17)[f] for f in range(2)])
    _one_line_error(capsys, ["lift", str(coco), "--checkpoint", str(model_path), "--out", str(tmp_path / "o4")],
                    "--image-size")


def test_lift_help_has_examples():
    from typer.testing import CliRunner

    from posegraph.cli import app

    r = CliRunner().invoke(app, ["lift", "--help"])
    assert r.exit_code == 0 and "posegraph lift" in r.output and "--focal" in r.output


# ---------------------------------------------------------------------------------------
# Chunked processing: the same outputs for any chunk size
# ---------------------------------------------------------------------------------------


def _gappy(px):
    """The benchmark 2D with missing joints and empty frames on both sides of chunk boundaries
    (chunks of 3: 0-2, 3-5, 6-8, ...): ``(xy, conf)``, missing joints NaN with confidence 0."""
    xy = px.copy()
    conf = np.ones((F, 17), np.float32)
    j = H36M17.index
    conf[[0, 1]] = 0                      # empty first frames: copied from the next frame with a joint (2)
    conf[2:5, j("l_wrist")] = 0           # never seen yet: from its parent, across a boundary
    conf[[5, 6]] = 0                      # empty frames across a boundary: from frames 4 and 7
    conf[[8, 9], j("r_knee")] = 0.1       # below the threshold across a boundary
    conf[[11, 12], j("head")] = 0         # carried from frame 10 into the next chunk
    conf[[14, 15], j("pelvis")] = 0.2     # the root, across a boundary
    conf[17, :16] = 0                     # one joint left
    conf[[22, 23]] = 0                    # empty last frames: from frame 21
    xy[conf == 0] = np.nan
    return xy, conf


def test_chunked_lift_equals_one_chunk(bench, model_path, tmp_path):
    _, px = bench
    xy, conf = _gappy(px)
    src = write_keypoints_npz(tmp_path / "kp.npz", xy, conf, layout="h36m17", image_size=(1000, 1000))
    outs = {}
    for chunk in (3, 1, 5, 4096):
        res = lift_input(src, model_path, tmp_path / f"out{chunk}", progress=False, smooth=1.5, bones=False,
                         robust=False, chunk_frames=chunk)
        outs[chunk] = (dict(np.load(res["npz"])), json.loads(res["json"].read_text()))
    d, meta = outs[4096]
    # frames with fewer than 6 present joints are not detections: NaN, never an invented pose
    undetected = np.zeros(F, bool)
    undetected[[0, 1, 5, 6, 17, 22, 23]] = True
    np.testing.assert_array_equal(d["detected"], ~undetected)
    for k in ("keypoints_2d", "joints_3d", "joints_3d_raw"):
        np.testing.assert_array_equal(np.isnan(d[k]).all((1, 2)), undetected, err_msg=k)
        assert np.isfinite(d[k][~undetected]).all(), k
    assert np.isnan(d["root_cam"][undetected]).all() and np.isnan(d["joints_3d_cam"][undetected]).all()
    np.testing.assert_array_equal(d["filled"], ~(conf >= 0.3))
    np.testing.assert_array_equal(d["keypoints_2d"][[11, 12], H36M17.index("head")], px[[10, 10], H36M17.index("head")])
    for s, e in ((2, 5), (7, 17), (18, 22)):  # each run of detected frames smoothed on its own
        np.testing.assert_allclose(d["joints_3d"][s:e], smooth_poses(d["joints_3d_raw"][s:e], 1.5), atol=1e-6)
    assert meta["frames"][0]["joints_3d"] is None and meta["frames"][0]["detected"] is False
    for chunk in (3, 1, 5):
        dc, mc = outs[chunk]
        assert sorted(dc) == sorted(d)
        for k in d:
            assert dc[k].dtype == d[k].dtype and dc[k].shape == d[k].shape, k
            if k in ("joints_3d", "joints_3d_raw"):  # the model ran in other batches: float rounding at most
                np.testing.assert_allclose(dc[k], d[k], rtol=0, atol=1e-6, err_msg=f"{k}, chunks of {chunk}")
            else:
                np.testing.assert_array_equal(dc[k], d[k], err_msg=f"{k}, chunks of {chunk}")
        assert {k: v for k, v in mc.items() if k != "frames"} == {k: v for k, v in meta.items() if k != "frames"}
        floats = ("joints_3d", "joints_3d_raw", "root_cam")
        for fa, fb in zip(mc["frames"], meta["frames"]):
            for k in floats:
                a, b = fa.pop(k), fb[k]
                assert (a is None) == (b is None), k
                if a is not None:
                    np.testing.assert_allclose(a, b, rtol=0, atol=1.01e-4)
            assert fa == {k: v for k, v in fb.items() if k not in floats}


def test_chunked_keypoint_steps_equal_whole_arrays(bench):
    """``to_h36m17``, ``fill_missing`` and the model runner give the same result for any chunk size."""
    from posegraph.io.keypoints import Keypoints2D, fill_missing

    _, px = bench
    xy, conf = _gappy(px)
    coco = _to_layout(xy, COCO17)  # derived joints (pelvis, thorax, neck, head) from several keypoints
    cconf = np.where(np.isfinite(coco).all(-1), 1.0, 0.0).astype(np.float32)
    cconf[:, COCO17.keypoints.index("nose")] = 0.9
    coco[:, COCO17.keypoints.index("nose")] = px[:, H36M17.index("head")]
    cconf[[3, 9], COCO17.keypoints.index("nose")] = 0
    kp = Keypoints2D(coco, cconf, "coco17")
    whole = kp.to_h36m17(chunk_frames=F)
    for chunk in (1, 2, 7):
        for a, b in zip(kp.to_h36m17(chunk_frames=chunk), whole):
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a, b)
    for pos, c in ((xy, conf), whole, (xy.astype(np.float64), conf)):
        ref, miss = fill_missing(pos, c, chunk_frames=F)
        for chunk in (1, 2, 3, 5):
            got, m = fill_missing(pos, c, chunk_frames=chunk)
            assert got.dtype == pos.dtype
            np.testing.assert_array_equal(m, miss)
            np.testing.assert_array_equal(got, ref)
    # a trailing size of 3 and no skeleton (the frame mean only)
    p3 = np.concatenate([xy, xy[..., :1]], -1)
    ref, _ = fill_missing(p3, conf, skeleton=None, chunk_frames=F)
    np.testing.assert_array_equal(fill_missing(p3, conf, skeleton=None, chunk_frames=4)[0], ref)
    with pytest.raises(PosegraphError, match="chunk_frames"):
        fill_missing(xy, conf, chunk_frames=0)

    torch.manual_seed(0)
    pipe = Pipeline("graphmdn", {})
    pipe.eval()
    x = bench[0][:, H36M17.subset_indices(pipe.skeleton)]
    full = run_batched(pipe, x)
    parts = run_batched(pipe, x, batch_size=5)
    assert sorted(parts) == sorted(full)
    for k in full:
        assert parts[k].shape == full[k].shape and parts[k].dtype == full[k].dtype
        np.testing.assert_allclose(parts[k], full[k], rtol=0, atol=1e-6)
