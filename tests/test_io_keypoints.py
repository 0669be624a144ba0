"""Readers and writers of 2D keypoint files (posegraph.io.keypoints)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from posegraph.errors import FormatError, PosegraphError, ShapeError
from posegraph.io.keypoints import (
    Keypoints2D, fill_missing, read_coco_json, read_keypoints, read_keypoints_csv,
    read_keypoints_npz, read_openpose_dir, write_coco_json, write_keypoints_csv,
    write_keypoints_npz, write_openpose_dir)
from posegraph.skeleton import BODY25, COCO17, COCO18, H36M17

# A person standing, facing the camera, in a 1000 x 1000 image (x right, y down). COCO-17
# order; the person's left side is on the image's right.
STANDING = np.array([
    [500, 200],  # nose
    [510, 190], [490, 190],  # l_eye, r_eye
    [525, 195], [475, 195],  # l_ear, r_ear
    [560, 270], [440, 270],  # l_shoulder, r_shoulder
    [580, 370], [420, 370],  # l_elbow, r_elbow
    [590, 460], [410, 460],  # l_wrist, r_wrist
    [540, 480], [460, 480],  # l_hip, r_hip
    [545, 620], [455, 620],  # l_knee, r_knee
    [550, 760], [450, 760],  # l_ankle, r_ankle
], dtype=np.float64)
CENTRE = np.array([500.0, 480.0])
F = 20


def pose(centre, scale) -> np.ndarray:
    return ((STANDING - CENTRE) * scale + centre).astype(np.float32).astype(np.float64)


def confidences(seed: int, n: int = 17) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.4, 1.0, size=(F, n)).astype(np.float32).astype(np.float64)


@pytest.fixture(scope="module")
def two_people():
    """A (big, walking right) and B (small at first, walking towards the camera so that it
    ends up larger than A). Returns (A, B) as (F, 17, 3) arrays."""
    t = np.arange(F)
    a = np.stack([pose((300 + 6 * i, 480 + 2 * i), 1.0) for i in t])
    b = np.stack([pose((760 - 3 * i, 500), 0.5 + 0.045 * i) for i in t])
    a = np.concatenate([a, confidences(1)[..., None]], -1)
    b = np.concatenate([b, confidences(2)[..., None]], -1)
    return a, b


def coco_to_body25(kp: np.ndarray) -> np.ndarray:
    """(..., 17, C) COCO-17 -> (..., 25, C) BODY_25 (neck, mid hip, toes and heels derived)."""
    idx = {n: i for i, n in enumerate(COCO17.keypoints)}
    out = []
    for name in BODY25.keypoints:
        if name in idx:
            out.append(kp[..., idx[name], :])
        elif name == "neck":
            out.append((kp[..., idx["l_shoulder"], :] + kp[..., idx["r_shoulder"], :]) / 2)
        elif name == "mid_hip":
            out.append((kp[..., idx["l_hip"], :] + kp[..., idx["r_hip"], :]) / 2)
        else:
            side = name[0]
            foot = kp[..., idx[f"{side}_ankle"], :].copy()
            foot[..., 1] += 15
            foot[..., 0] += {"big_toe": 10, "small_toe": 20, "heel": -5}[name[2:]] * (1 if side == "l" else -1)
            out.append(foot)
    return np.stack(out, -2).astype(np.float32).astype(np.float64)


def nan_equal(a, b, atol=1e-4):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), atol=atol)


# ---------------------------------------------------------------------------------------
# COCO results
# ---------------------------------------------------------------------------------------


def test_coco_round_trip_largest_and_tracking(tmp_path, two_people):
    a, b = two_people
    # swap the order of the people on odd frames
    per_image = [np.stack([a[f], b[f]] if f % 2 == 0 else [b[f], a[f]]) for f in range(F)]
    ids = [100 + 3 * f for f in range(F)]
    path = write_coco_json(tmp_path / "res.json", per_image[::-1], ids[::-1])  # unsorted file
    raw = json.loads(path.read_text())
    assert len(raw) == 2 * F and len(raw[0]["keypoints"]) == 51 and raw[0]["category_id"] == 1

    k = read_coco_json(path)
    assert k.layout == "coco17" and k.has_confidence
    np.testing.assert_array_equal(k.frame_ids, ids)
    nan_equal(k.xy, a[..., :2])
    nan_equal(k.confidence, a[..., 2])
    np.testing.assert_array_equal(k.person_ids, [0 if f % 2 == 0 else 1 for f in range(F)])
    # B is the larger one in the last frame, the track still follows A
    assert np.ptp(b[-1, :, 1]) > np.ptp(a[-1, :, 1])

    k1 = read_coco_json(path, person=1)
    nan_equal(k1.xy, b[..., :2])
    assert read_keypoints(path).xy.shape == (F, 17, 2)


def test_coco_frames_without_people_and_missing_joints(tmp_path, two_people):
    a, _ = two_people
    kp = a.copy()
    kp[3, 9] = np.nan  # l_wrist lost in frame 3
    per_image = [kp[f][None] for f in range(F)]
    per_image[5] = np.zeros((0, 17, 3))  # nobody in image 5
    path = write_coco_json(tmp_path / "res.json", per_image)
    raw = json.loads(path.read_text())
    assert len(raw) == F - 1
    assert raw[3]["keypoints"][27:30] == [0.0, 0.0, 0.0]

    k = read_coco_json(path, image_ids=range(F))
    assert k.num_frames == F
    assert np.isnan(k.xy[5]).all() and (k.confidence[5] == 0).all() and k.person_ids[5] == -1
    assert np.isnan(k.xy[3, 9]).all() and k.confidence[3, 9] == 0
    assert k.missing.sum() == 17 + 1
    nan_equal(np.delete(k.xy, 5, 0), np.delete(kp[..., :2], 5, 0))
    # without image_ids, image 5 is simply not there
    assert read_coco_json(path).num_frames == F - 1


def test_coco_ground_truth_file(tmp_path, two_people):
    a, _ = two_people
    flags = np.full((F, 17), 2.0)
    flags[0, 0] = 0
    anns = [{"image_id": f, "keypoints": np.concatenate([a[f, :, :2], flags[f, :, None]], -1).ravel().tolist()}
            for f in range(F)]
    p = tmp_path / "gt.json"
    p.write_text(json.dumps({"images": [{"id": f, "width": 1000, "height": 1000} for f in range(F)],
                             "annotations": anns}))
    k = read_keypoints(p)
    assert k.image_size == (1000, 1000)
    assert k.confidence[0, 0] == 0 and np.isnan(k.xy[0, 0]).all()
    assert (k.confidence[1:] == 1).all()


# ---------------------------------------------------------------------------------------
# OpenPose
# ---------------------------------------------------------------------------------------


def test_openpose_round_trip_body25_tracking_and_zeros(tmp_path, two_people):
    a, b = two_people
    a25, b25 = coco_to_body25(a), coco_to_body25(b)
    a25[5:8, 7] = np.nan  # l_wrist (BODY_25 index 7) undetected in frames 5..7
    kps = np.stack([np.stack([a25[f], b25[f]] if f % 3 else [b25[f], a25[f]]) for f in range(F)])
    files = write_openpose_dir(tmp_path / "op", kps, layout="body25", prefix="clip",
                               frame_ids=range(10, 10 + F))
    assert files[2].name == "clip_000000000012_keypoints.json"
    raw = json.loads(files[5].read_text())
    l_wrist = raw["people"][0]["pose_keypoints_2d"][21:24] if 5 % 3 else None
    assert l_wrist == [0.0, 0.0, 0.0]  # OpenPose's own marker of an undetected joint

    k = read_keypoints(tmp_path / "op")
    assert k.layout == "body25" and k.num_keypoints == 25
    np.testing.assert_array_equal(k.frame_ids, np.arange(10, 10 + F))
    nan_equal(k.xy, a25[..., :2])
    assert np.isnan(k.xy[5:8, 7]).all() and (k.confidence[5:8, 7] == 0).all()
    assert k.missing[5:8, 7].all() and k.missing.sum() == 3

    # to h36m17: the missing wrist stays missing there, then fill_missing repairs it
    xy17, c17 = k.to_h36m17()
    lw = H36M17.index("l_wrist")
    assert xy17.shape == (F, 17, 2) and np.isnan(xy17[5:8, lw]).all() and (c17[5:8, lw] == 0).all()
    assert np.isfinite(np.delete(xy17, lw, 1)).all()
    filled, mask = fill_missing(xy17, c17)
    assert mask[5:8, lw].all() and mask.sum() == 3
    np.testing.assert_allclose(filled[5:8, lw], np.repeat(xy17[4:5, lw], 3, 0))

    k1 = read_openpose_dir(tmp_path / "op", person=1)
    nan_equal(k1.xy, b25[..., :2])


def test_openpose_file_order_from_number_and_coco18(tmp_path, two_people):
    a, _ = two_people
    idx = {n: i for i, n in enumerate(COCO17.keypoints)}
    a18 = np.stack([a[:, idx[n]] if n in idx else (a[:, idx["l_shoulder"]] + a[:, idx["r_shoulder"]]) / 2
                    for n in COCO18.keypoints], 1)
    d = tmp_path / "op18"
    d.mkdir()
    for f in range(F):  # numbers not zero-padded: 'v_10' must sort after 'v_9'
        (d / f"v_{f}_keypoints.json").write_text(json.dumps(
            {"version": 1.3, "people": [{"pose_keypoints_2d": a18[f].ravel().tolist()}]}))
    k = read_openpose_dir(d)
    assert k.layout == "coco18"
    np.testing.assert_array_equal(k.frame_ids, np.arange(F))
    nan_equal(k.xy, a18[..., :2])
    single = read_keypoints(d / "v_7_keypoints.json")
    assert single.frame_ids.tolist() == [7]
    nan_equal(single.xy[0], a18[7, :, :2])


def test_openpose_empty_frames(tmp_path, two_people):
    a, _ = two_people
    a25 = coco_to_body25(a)
    frames = [a25[f][None] if f not in (0, 4) else np.zeros((0, 25, 3)) for f in range(F)]
    write_openpose_dir(tmp_path / "op", frames)
    k = read_openpose_dir(tmp_path / "op")
    assert np.isnan(k.xy[[0, 4]]).all() and (k.person_ids[[0, 4]] == -1).all()
    nan_equal(np.delete(k.xy, [0, 4], 0), np.delete(a25[..., :2], [0, 4], 0))


# ---------------------------------------------------------------------------------------
# npz and CSV
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["npz", "csv"])
def test_plain_round_trip_with_confidence(tmp_path, two_people, fmt):
    a, _ = two_people
    kp = a.copy()
    kp[2, 4] = [np.nan, np.nan, 0.0]
    write = write_keypoints_npz if fmt == "npz" else write_keypoints_csv
    path = write(tmp_path / f"k.{fmt}", kp, layout="coco17", image_size=(1000, 1000),
                 frame_ids=np.arange(F) * 2)
    k = read_keypoints(path)
    assert k.layout == "coco17" and k.image_size == (1000, 1000) and k.has_confidence
    np.testing.assert_array_equal(k.frame_ids, np.arange(F) * 2)
    nan_equal(k.xy, kp[..., :2], atol=0)
    nan_equal(k.confidence, kp[..., 2], atol=0)
    # and back out again from the container
    path2 = write(tmp_path / f"k2.{fmt}", k)
    k2 = read_keypoints(path2)
    nan_equal(k2.xy, k.xy, atol=0)
    assert k2.layout == k.layout and k2.image_size == k.image_size


def test_csv_format_is_as_documented(tmp_path, two_people):
    a, _ = two_people
    path = write_keypoints_csv(tmp_path / "k.csv", a[:2], layout="coco17", image_size=(1920, 1080))
    lines = path.read_text().splitlines()
    assert lines[0] == "# layout=coco17 width=1920 height=1080"
    assert lines[1].startswith("frame,x0,y0,c0,x1,y1,c1,") and lines[1].endswith("x16,y16,c16")
    assert lines[2].split(",")[:3] == ["0", "300", "200"]
    # hand-written, no confidence, a missing joint as empty cells, guessed layout
    body = "frame," + ",".join(f"x{k},y{k}" for k in range(17)) + "\n"
    row = STANDING.ravel().tolist()
    row[0] = row[1] = ""
    body += "7," + ",".join(str(v) for v in row) + "\n"
    (tmp_path / "h.csv").write_text(body)
    k = read_keypoints_csv(tmp_path / "h.csv")
    assert k.layout == "coco17" and not k.has_confidence and k.image_size is None
    assert k.frame_ids.tolist() == [7] and np.isnan(k.xy[0, 0]).all() and k.confidence[0, 0] == 0
    assert (k.confidence[0, 1:] == 1).all()


def test_layout_argument_and_guess(tmp_path, two_people):
    a, _ = two_people
    p = write_keypoints_npz(tmp_path / "k.npz", a[..., :2])
    k = read_keypoints(p)
    assert k.layout == "coco17" and not k.has_confidence and (k.confidence == 1).all()
    assert read_keypoints(p, layout="h36m17").layout == "h36m17"
    q = write_keypoints_npz(tmp_path / "q.npz", a, layout="coco17")
    with pytest.raises(FormatError, match="q.npz"):
        read_keypoints(q, layout="h36m17")  # the file says coco17
    # any (F, K, 2/3) array is accepted, e.g. projected mocap in h36m17
    h = np.random.default_rng(0).uniform(0, 1000, (5, 17, 2))
    for ext, w in (("npz", write_keypoints_npz), ("csv", write_keypoints_csv)):
        k = read_keypoints(w(tmp_path / f"h.{ext}", h, layout="h36m17"))
        assert k.layout == "h36m17"
        nan_equal(k.xy, h.astype(np.float32), atol=0)
        xy17, c17 = k.to_h36m17()
        nan_equal(xy17, k.xy, atol=1e-3)


@settings(max_examples=25, deadline=None)
@given(kp=hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.just(18), st.just(3)),
                     elements=st.floats(0, 2000, width=32)),
       drop=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 17)), max_size=5))
def test_plain_round_trip_property(kp, drop):
    kp = kp.copy()
    for f, j in drop:
        if f < kp.shape[0]:
            kp[f, j] = np.nan
    with tempfile.TemporaryDirectory() as d:
        for w in (write_keypoints_npz, write_keypoints_csv, ):
            k = read_keypoints(w(Path(d) / ("k.npz" if w is write_keypoints_npz else "k.csv"), kp))
            miss = ~np.isfinite(kp[..., :2]).all(-1) | ~(kp[..., 2] > 0)
            np.testing.assert_array_equal(k.missing, miss)
            nan_equal(k.xy, np.where(miss[..., None], np.nan, kp[..., :2]), atol=0)
            nan_equal(k.confidence, np.where(miss, 0, kp[..., 2]), atol=0)
            assert k.layout == "coco18"


# ---------------------------------------------------------------------------------------
# fill_missing
# ---------------------------------------------------------------------------------------


def h36m_pose(t: int) -> np.ndarray:
    k = Keypoints2D(pose((300 + 5 * t, 480), 1.0)[None], np.ones((1, 17)), "coco17")
    return k.to_h36m17()[0][0].astype(np.float64)


def test_fill_missing_previous_parent_mean_and_empty_frames():
    xy = np.stack([h36m_pose(t) for t in range(6)])
    conf = np.ones((6, 17))
    lw, le, head = (H36M17.index(n) for n in ("l_wrist", "l_elbow", "head"))
    conf[0, [lw, le]] = 0.1  # never seen before: from the parent chain (thorax -> l_shoulder)
    conf[2, head] = 0.0  # seen in frame 1: carried forward
    xy[2, head] = 0.0  # a fake zero must not leak through
    conf[3, 0] = 0.2  # root, seen before: previous frame
    conf[4] = 0.0  # empty frame: copied from the nearest valid frame (3 and 5 tie -> 3)
    xy[5, 7] = np.nan  # non-finite position with high confidence is missing too
    filled, mask = fill_missing(xy.astype(np.float32), conf)
    assert filled.dtype == np.float32
    expected = np.zeros((6, 17), bool)
    expected[0, [lw, le]] = expected[2, head] = expected[3, 0] = True
    expected[4] = True
    expected[5, 7] = True
    np.testing.assert_array_equal(mask, expected)
    ls = H36M17.index("l_shoulder")
    np.testing.assert_allclose(filled[0, le], xy[0, ls], atol=1e-3)
    np.testing.assert_allclose(filled[0, lw], xy[0, ls], atol=1e-3)
    np.testing.assert_allclose(filled[2, head], xy[1, head], atol=1e-3)
    np.testing.assert_allclose(filled[3, 0], xy[2, 0], atol=1e-3)
    np.testing.assert_allclose(filled[4], filled[3])
    # the last frame where joint 7 was present is 3 (frame 4 is empty)
    np.testing.assert_allclose(filled[5, 7], xy[3, 7], atol=1e-3)
    assert np.isfinite(filled).all()
    untouched = ~mask
    np.testing.assert_allclose(filled[untouched], xy[untouched], atol=1e-3)


def test_fill_missing_root_uses_frame_mean_and_errors():
    xy = h36m_pose(0)[None].repeat(2, 0)
    conf = np.ones((2, 17))
    conf[0, 0] = 0  # pelvis (root) in the first frame: mean of the frame's valid joints
    filled, mask = fill_missing(xy, conf)
    np.testing.assert_allclose(filled[0, 0], xy[0, 1:].mean(0))
    assert mask[0, 0] and mask.sum() == 1
    with pytest.raises(ShapeError):
        fill_missing(xy, np.zeros((2, 17)))
    with pytest.raises(ShapeError):
        fill_missing(xy[:, :16], conf[:, :16])
    f2, m2 = fill_missing(xy[:, :16], conf[:, :16], skeleton="h36m16")
    assert m2.sum() == 1


# ---------------------------------------------------------------------------------------
# Malformed inputs
# ---------------------------------------------------------------------------------------


def _coco_entry(n=51, **over):
    e = {"image_id": 1, "category_id": 1, "keypoints": [1.0] * n, "score": 0.9}
    e.update(over)
    return e


@pytest.mark.parametrize("content, where, problem", [
    ([_coco_entry(), _coco_entry(50)], "[1/keypoints]", "50 values"),
    ([_coco_entry(50)], "[0/keypoints]", "not 3"),
    ([_coco_entry(60)], "[0/keypoints]", "unknown joint count 20"),
    ([_coco_entry(keypoints=[1.0] * 50 + ["x"])], "[0/keypoints]", "not a number"),
    ([_coco_entry(keypoints=[1.0] * 50 + [None])], "[0/keypoints]", "not a number"),
    ([{"image_id": 1, "score": 1}], "[0]", "missing key 'keypoints'"),
    ([{"keypoints": [1.0] * 51}], "[0]", "missing key 'image_id'"),
    ([], "", "no keypoint results"),
    ({"foo": 1}, "", "expected a list"),
])
def test_coco_malformed(tmp_path, content, where, problem):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(content))
    with pytest.raises(FormatError) as e:
        read_keypoints(p)
    msg = str(e.value)
    assert str(p) in msg and where in msg and problem in msg


@pytest.mark.parametrize("text, problem, line", [
    ("", "empty file", None),
    ("   \n", "empty file", None),
    ('[{"image_id": 1,\n "keypoints": [1, 2,]}]', "invalid JSON", 2),
])
def test_json_empty_or_invalid(tmp_path, text, problem, line):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(FormatError) as e:
        read_coco_json(p)
    assert str(p) in str(e.value) and problem in str(e.value) and e.value.line == line


def test_openpose_malformed(tmp_path):
    d = tmp_path / "op"
    d.mkdir()
    good = {"people": [{"pose_keypoints_2d": [1.0] * 75}]}
    (d / "a_000000000000_keypoints.json").write_text(json.dumps(good))
    bad = d / "a_000000000001_keypoints.json"
    bad.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 54}]}))
    with pytest.raises(FormatError, match=r"a_000000000001_keypoints\.json\[people/0/pose_keypoints_2d\]: 54 values"):
        read_openpose_dir(d)
    bad.write_text(json.dumps({"version": 1.3}))
    with pytest.raises(FormatError, match=r"a_000000000001_keypoints\.json\[people\]: missing key 'people'"):
        read_openpose_dir(d)
    bad.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 60}]}))
    (d / "a_000000000000_keypoints.json").unlink()
    with pytest.raises(FormatError, match="unknown joint count 20"):
        read_keypoints(d)
    bad.write_text("{")
    with pytest.raises(FormatError, match="invalid JSON"):
        read_keypoints(d)
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(FormatError, match="no \\*_keypoints.json"):
        read_keypoints(empty)


def test_person_centre(tmp_path, two_people):
    """``person="centre"``: the person nearest the image centre in the first frame, then followed."""
    a, b = two_people  # A around x = 300 (the larger), B around x = 760
    per_image = [np.stack([a[f], b[f]] if f % 2 == 0 else [b[f], a[f]]) for f in range(F)]
    path = write_coco_json(tmp_path / "res.json", per_image)
    nan_equal(read_coco_json(path, person="centre", image_size=(1500, 1000)).xy, b[..., :2])
    nan_equal(read_coco_json(path, person="center", image_size=(700, 1000)).xy, a[..., :2])
    with pytest.raises(PosegraphError, match="'centre'"):
        read_coco_json(path, person="middle")


def test_person_rank_beyond_first_frame(tmp_path, two_people):
    a, b = two_people
    p = write_coco_json(tmp_path / "r.json", [np.stack([a[f], b[f]]) for f in range(3)])
    with pytest.raises(FormatError, match="has only 2"):
        read_coco_json(p, person=2)


HEADER = "frame," + ",".join(f"x{k},y{k},c{k}" for k in range(17))
ROW = ",".join(["1.5"] * 51)


@pytest.mark.parametrize("text, line, problem", [
    (f"# layout=coco17\n{HEADER}\n0,{ROW}\n1,{ROW[:-4]}\n", 4, "51 columns, expected 52"),
    (f"{HEADER}\n0,{ROW[:-3]}abc\n", 2, "'abc' is not a number"),
    (f"{HEADER}\nzero,{ROW}\n", 2, "is not an integer"),
    (f"{HEADER}\n0,{ROW[:-3]}inf\n", 2, "not finite"),
    (f"{HEADER.replace('x3', 'x4')}\n0,{ROW}\n", 1, "expected 'x3'"),
    (f"# layout=coco17 width=10\n{HEADER}\n0,{ROW}\n", 1, "both width= and height="),
    (f"# layout=nosuch\n{HEADER}\n0,{ROW}\n", 1, "unknown keypoint layout"),
    (f"# layout=body25\n{HEADER}\n0,{ROW}\n", 1, "body25 has 25 keypoints"),
    ("frame," + ",".join(f"x{k},y{k}" for k in range(20)) + "\n0," + ",".join(["1"] * 40) + "\n", 1,
     "unknown joint count 20"),
    (f"{HEADER}\n0,,{ROW[4:]}\n", 2, "partly empty"),
    (f"{HEADER}\n", 1, "no frames"),
    ("# only a comment\n", None, "no column header"),
    ("", None, "empty file"),
])
def test_csv_malformed(tmp_path, text, line, problem):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(FormatError) as e:
        read_keypoints(p)
    assert str(p) in str(e.value) and problem in str(e.value)
    assert e.value.line == line


def test_npz_malformed(tmp_path, two_people):
    a, _ = two_people
    p = tmp_path / "bad.npz"
    np.savez(p, points=a)
    with pytest.raises(FormatError, match=r"bad\.npz\[keypoints\]: missing key"):
        read_keypoints(p)
    np.savez(p, keypoints=a[..., 0])
    with pytest.raises(FormatError, match="shape"):
        read_keypoints(p)
    np.savez(p, keypoints=np.zeros((2, 20, 2)))
    with pytest.raises(FormatError, match="unknown joint count 20"):
        read_keypoints(p)
    np.savez(p, keypoints=np.full((2, 17, 2), "x"))
    with pytest.raises(FormatError, match="not numeric"):
        read_keypoints(p)
    p.write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="bad.npz"):
        read_keypoints(p)
    # NaN where the joint is present -> ShapeError; NaN with confidence 0 is a missing joint
    kp = a.copy()
    kp[3, 5, 0] = np.nan
    np.savez(p, keypoints=kp)
    with pytest.raises(ShapeError, match=r"bad\.npz.*frame 3, joint 5"):
        read_keypoints(p)
    np.savez(p, keypoints=kp[..., :2])
    with pytest.raises(ShapeError, match="frame 3, joint 5"):
        read_keypoints(p)
    kp[3, 5, 2] = 0
    np.savez(p, keypoints=kp)
    k = read_keypoints_npz(p)
    assert np.isnan(k.xy[3, 5]).all() and k.missing.sum() == 1


def test_unknown_extension(tmp_path):
    p = tmp_path / "k.txt"
    p.write_text("1,2,3")
    with pytest.raises(FormatError, match="k.txt"):
        read_keypoints(p)
    with pytest.raises(FormatError, match="no such file"):
        read_keypoints(tmp_path / "absent.json")


WRITERS = {
    "OpenPose": lambda d, k: write_openpose_dir(d / "op", k)[0].parent,
    "OpenPose frame": lambda d, k: write_openpose_dir(d / "frames", k)[0],
    "COCO keypoints": lambda d, k: write_coco_json(d / "results.json", k),
    "npz": lambda d, k: write_keypoints_npz(d / "k.npz", k),
    "CSV": lambda d, k: write_keypoints_csv(d / "k.csv", k),
}
"""For each row of ``READERS`` (by name): a file of that format, from its writer."""


def test_read_keypoints_dispatch_table_covers_every_format(tmp_path, monkeypatch, two_people):
    """Every registered reader reads, through ``read_keypoints``, what its writer wrote."""
    import dataclasses

    from posegraph.io.keypoints import dispatch

    assert set(WRITERS) == {r.name for r in dispatch.READERS}, "a format without a writer here"
    used = []

    def spy(row):
        def read(*args):
            used.append(row.name)
            return row.read(*args)
        return dataclasses.replace(row, read=read)

    monkeypatch.setattr(dispatch, "READERS", tuple(spy(r) for r in dispatch.READERS))
    a, _ = two_people
    a = a.copy()
    a[4, 6, 2] = 0  # a missing joint
    k = Keypoints2D(np.where(a[..., 2:] > 0, a[..., :2], np.nan), a[..., 2], "coco17", (1000, 1000),
                    np.arange(F) + 3)
    for name, write in WRITERS.items():
        used.clear()
        got = read_keypoints(write(tmp_path, k))
        assert used == [name]
        n = 1 if name == "OpenPose frame" else F
        assert got.layout == "coco17" and np.array_equal(got.frame_ids, k.frame_ids[:n])
        np.testing.assert_array_equal(got.xy, k.xy[:n])
        np.testing.assert_array_equal(got.confidence, k.confidence[:n])


def test_known_joint_counts_are_those_of_skeleton_layouts():
    from posegraph.io.keypoints.checks import _KNOWN_COUNTS, _count_keypoints
    from posegraph.skeleton import LAYOUTS, guess_layout, layouts_by_count

    counts = {lay.num_keypoints for lay in LAYOUTS.values()}
    assert set(layouts_by_count()) == counts
    assert {lay.name for lay in layouts_by_count().values()} == set(LAYOUTS) - {"h36m17"}
    assert [int(part.split()[0]) for part in _KNOWN_COUNTS.split(", ")] == sorted(counts)
    for n in counts:
        assert guess_layout(n).num_keypoints == n
        assert _count_keypoints(3 * n, None, "k.json", "keypoints") == n
    unknown = max(counts) + 1
    with pytest.raises(FormatError, match=f"unknown joint count {unknown} .*known: 17 \\(coco17: 51 values\\)"):
        _count_keypoints(3 * unknown, None, "k.json", "keypoints")
    with pytest.raises(FormatError, match="expected one of " + ", ".join(str(3 * n) for n in sorted(counts))):
        _count_keypoints(3 * unknown + 1, None, "k.json", "keypoints")


def test_parse_person_one_rule_for_library_and_cli():
    """``--person`` strings and library values parse by the same rule (io.keypoints.tracking)."""
    from posegraph.io.keypoints.tracking import parse_person

    assert parse_person(None) == parse_person("largest") == parse_person(" Largest ") == 0
    assert parse_person("2") == parse_person(2) == 2
    assert parse_person("center") == parse_person("centre") == "centre"
    for bad in ("middle", -1, True, 1.5, "-1"):
        with pytest.raises(PosegraphError, match="'largest', 'centre' or a rank"):
            parse_person(bad)
