"""Human3.6M protocols end to end, on files in the exact published layouts made from real mocap.

The licensed files cannot be shipped, so the fixtures write real CMU takes (``../shared/data``)
into the layouts with the project's writers:

* ``data_3d_h36m.npz`` (VideoPose3D: ``positions_3d[subject][take]``, 32 joints, metres, +z up)
  for S1 S5 S6 S7 S8 S9 S11 with Human3.6M take names, suffixes and spellings, S11's
  ``Directions`` take among them; a ``data_2d_h36m_cpn_ft_h36m_dbb.npz``-like 2D file
  (pixels, h36m layout) with a longer take, a shorter take and a take lacking a camera;
* an exp-map tree ``h3.6m/dataset/S<k>/<action>_<sub>.txt`` (99 values a line) driven by the
  rotations of the CMU 8-action exp-map files.

Then ``posegraph data build h36m|h36m-forecast``, a few training steps, ``posegraph eval
--benchmark h36m|h36m-forecast``, with the quirks and the coordinates checked explicitly.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from posegraph.cli import main
from posegraph.errors import PosegraphError
from posegraph.data.h36m import (ACTIONS, build_h36m_lift, camera_to_world, canonical_action, h36m_camera_arrays,
                                 load_h36m_lift, world_to_camera)
from posegraph.data.h36m_forecast import JOINTS22, load_h36m_forecast
from posegraph.data.lift import load_lift, validation_mask
from posegraph.io import read_motion, write_h36m_2d, write_h36m_3d
from posegraph.io.expmap import load_expmap_skeleton
from posegraph.io.h36m_cameras import EXTRINSICS, INTRINSICS, CAMERA_IDS
from posegraph.io.h36m_npz import H36M32_TO_H36M17

META = {"layout_name": "h36m", "num_joints": 17,
        "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
# subject -> takes, as the release names them (suffixes, both spellings, S11's "Directions")
PLAN = {
    "S1": ["Directions 1", "TakingPhoto", "WalkingDog 1", "Eating", "Greeting 1"],
    "S5": ["Eating 2", "Walking", "Phoning 1", "Posing"],
    "S6": ["Photo", "Sitting 1", "Smoking", "Purchases"],
    "S7": ["Waiting 1", "Discussion 1", "SittingDown"],
    "S8": ["WalkTogether 1", "WalkDog", "Walking 1"],
    "S9": ["Photo 1", "Eating 2", "Walking 1", "Directions"],
    "S11": ["Directions", "Directions 1", "WalkDog", "Greeting 2"],
}
LONGER_2D = ("S9", "Photo 1", 3)  # 2D has 3 frames more than the 3D (VideoPose3D's case)
SHORTER_2D = ("S1", "TakingPhoto", 2)  # 2D has 2 frames fewer
MISSING_CAM = ("S6", "Photo")  # 2D lists 3 cameras
OTHER_SPELLING_2D = (("S1", "WalkingDog 1"), "WalkDog 1")  # the 2D file spells it VideoPose3D's way


def _quat_rotate(q, v):
    """Rotate vectors ``v`` (..., 3) by the unit quaternion ``q`` (w, x, y, z)."""
    w, u = q[0], np.asarray(q[1:])
    uv = np.cross(u, v)
    return v + 2.0 * (w * uv + np.cross(u, uv))


def _vp3d_camera(world_zup, subject, c):
    """Camera-frame points the way VideoPose3D computes them: the inverse quaternion applied to
    ``X - t`` (t in metres); independent of posegraph's matrices."""
    e = EXTRINSICS[subject][c]
    q = np.array(e["orientation"])
    qinv = q * np.array([1, -1, -1, -1])
    return _quat_rotate(qinv, world_zup - np.array(e["translation"]) / 1000.0)


def _vp3d_pixels(xc, c):
    intr = INTRINSICS[CAMERA_IDS[c]]
    f, ctr, k, p = (np.array(intr[n]) for n in ("focal_length", "center", "k", "p"))
    xy = np.clip(xc[..., :2] / xc[..., 2:], -1, 1)
    r2 = (xy ** 2).sum(-1, keepdims=True)
    rad = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tan = (xy * p).sum(-1, keepdims=True)
    return f * (xy * (rad + tan) + p * r2) + ctr


def _to32(p17):
    """h36m17 positions (+y up) -> the 32-joint layout (+z up); the 15 joints VideoPose3D
    drops copy their parent (as the release's static/duplicate joints do)."""
    parents = load_expmap_skeleton("h36m")["parents"]
    out = np.zeros((len(p17), 32, 3))
    where = {int(j): i for i, j in enumerate(H36M32_TO_H36M17)}
    for j in range(32):
        out[:, j] = p17[:, where[j]] if j in where else out[:, parents[j]]
    return np.stack([out[..., 0], -out[..., 2], out[..., 1]], axis=-1)  # +y up -> +z up


@pytest.fixture(scope="module")
def lift_files(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("h36m_lift")
    clips = []
    for f in sorted((shared_data / "cmu" / "subjects" / "07").glob("07_0*.amc"))[:6]:
        pos = read_motion(f).positions[::6].astype(np.float64)  # 20 Hz, a few seconds
        for s in range(0, len(pos) - 40, 40):
            clips.append(pos[s:s + 40])
    rng = np.random.default_rng(0)
    d3, d2, k = {}, {}, 0
    for subject, takes in PLAN.items():
        d3[subject], d2[subject] = {}, {}
        for take in takes:
            p17 = clips[k % len(clips)].copy()
            k += 1
            p17[..., [0, 2]] -= p17[:, :1, [0, 2]].mean(0)  # near the capture volume's centre
            w32 = _to32(p17)
            d3[subject][take] = w32.astype(np.float32)
            n = len(w32)
            cams = []
            for c in range(4):
                px = _vp3d_pixels(_vp3d_camera(w32[:, H36M32_TO_H36M17], subject, c), c)
                px = px + rng.normal(scale=2.0, size=px.shape)  # a detector's error
                cams.append(px)
            if (subject, take) == LONGER_2D[:2]:
                cams = [np.concatenate([v, v[-LONGER_2D[2]:]]) for v in cams]
            if (subject, take) == SHORTER_2D[:2]:
                cams = [v[:n - SHORTER_2D[2]] for v in cams]
            if (subject, take) == MISSING_CAM:
                cams = cams[:3]
            name2d = OTHER_SPELLING_2D[1] if (subject, take) == OTHER_SPELLING_2D[0] else take
            d2[subject][name2d] = [v.astype(np.float32) for v in cams]
    f3, f2 = root / "data_3d_h36m.npz", root / "data_2d_h36m_cpn_ft_h36m_dbb.npz"
    write_h36m_3d(f3, d3)
    write_h36m_2d(f2, d2, META)
    return {"root": root, "d3": d3, "d2": d2, "f3": f3, "f2": f2}


@pytest.fixture(scope="module")
def lift_build(lift_files):
    out = lift_files["root"] / "build"
    rc = main(["data", "build", "h36m", "--data-3d", str(lift_files["f3"]), "--data-2d", str(lift_files["f2"]),
               "--out", str(out)])
    assert rc == 0
    return out


def test_action_names_map_to_the_15():
    assert canonical_action("TakingPhoto") == "Photo" and canonical_action("Photo 1") == "Photo"
    assert canonical_action("WalkingDog 1") == "WalkDog" and canonical_action("WalkDog") == "WalkDog"
    assert canonical_action("Eating 2") == "Eating" and canonical_action("Directions") == "Directions"
    assert canonical_action("Walking 1") == "Walking" and canonical_action("WalkTogether 1") == "WalkTogether"
    assert canonical_action("SittingDown 2") == "SittingDown" and canonical_action("Sitting 1") == "Sitting"
    assert canonical_action("Dancing") is None
    assert len(ACTIONS) == 15


def test_camera_round_trip_and_convention():
    for subject in ("S1", "S9", "S11"):
        cam = h36m_camera_arrays(subject)
        x = np.random.default_rng(1).normal(size=(50, 3)) + [0.0, 1.0, 0.0]
        for c in range(4):
            back = camera_to_world(world_to_camera(x, cam["R"][c], cam["t"][c]), cam["R"][c], cam["t"][c])
            assert np.abs(back - x).max() < 1e-6
            # the camera centre (published translation, mm, +z up) maps to the camera origin
            tz = np.array(EXTRINSICS[subject][c]["translation"]) / 1000.0
            centre_yup = np.array([tz[0], tz[2], -tz[1]])
            assert np.abs(world_to_camera(centre_yup, cam["R"][c], cam["t"][c])).max() < 1e-9
            # and matches VideoPose3D's quaternion formula
            xz = np.stack([x[:, 0], -x[:, 2], x[:, 1]], -1)
            assert np.abs(world_to_camera(x, cam["R"][c], cam["t"][c]) - _vp3d_camera(xz, subject, c)).max() < 1e-9


def test_build_quirks_and_splits(lift_files, lift_build):
    z = np.load(lift_build / "h36m_lift.npz")
    names = list(z["seq_name"])
    # S11 "Directions" dropped (VideoPose3D), S11 "Directions 1" and S9 "Directions" kept
    assert "S11/Directions" not in names and "S11/Directions 1" in names and "S9/Directions" in names
    assert len(names) == sum(len(t) for t in PLAN.values()) - 1
    act = dict(zip(names, z["seq_action"]))
    assert act["S1/TakingPhoto"] == "Photo" and act["S9/Photo 1"] == "Photo" and act["S1/WalkingDog 1"] == "WalkDog"
    assert act["S5/Eating 2"] == "Eating" and act["S8/WalkTogether 1"] == "WalkTogether"
    split = dict(zip(names, z["seq_split"]))
    assert {n.split("/")[0] for n, s in split.items() if s == "train"} == {"S1", "S5", "S6", "S7", "S8"}
    assert {n.split("/")[0] for n, s in split.items() if s == "test"} == {"S9", "S11"}
    # frame counts: 2D longer -> the 3D length; 2D shorter -> the 2D length
    off = z["seq_offsets"]
    length = {n: int(off[i + 1] - off[i]) for i, n in enumerate(names)}
    d3 = lift_files["d3"]
    assert length["S9/Photo 1"] == len(d3["S9"]["Photo 1"])
    assert length["S1/TakingPhoto"] == len(d3["S1"]["TakingPhoto"]) - SHORTER_2D[2]
    assert length["S5/Walking"] == len(d3["S5"]["Walking"])
    # the take without camera 3 has no detections there
    i = names.index("S6/Photo")
    assert z["det_mask"][off[i]:off[i + 1]].sum(0).tolist() == [length["S6/Photo"]] * 3 + [0]


def test_samples_coordinates_and_joint_order(lift_files, lift_build):
    te = load_h36m_lift(lift_build, "test", "gt")
    assert set(te.subject) == {"S9", "S11"} and set(np.unique(te.cam)) == {0, 1, 2, 3}
    assert np.abs(te.p3d[:, 0]).max() == 0.0  # pelvis-relative, pelvis first (h36m17 order)
    # one take, one camera: 3D and 2D as VideoPose3D computes them from the 32-joint file
    m = (te.seq == "S9/Walking 1") & (te.cam == 2)
    w = lift_files["d3"]["S9"]["Walking 1"][:, H36M32_TO_H36M17].astype(np.float64)
    xc = _vp3d_camera(w, "S9", 2)
    assert np.abs(te.p3d[m] - (xc - xc[:, :1])).max() < 1e-5
    px = _vp3d_pixels(xc, 2)
    wh = INTRINSICS[CAMERA_IDS[2]]
    assert np.abs(te.p2d[m] - (px / wh["width"] * 2 - [1, wh["height"] / wh["width"]])).max() < 1e-5
    assert np.abs(te.p2d).max() < 1.5 and (xc[..., 2] > 2.0).all()  # in front of the camera, in the image
    # left/right: l_hip (4) is on the subject's left of r_hip (1) as in the 3D file
    d = load_h36m_lift(lift_build, "test", "det")
    md = (d.seq == "S9/Photo 1") & (d.cam == 0)
    raw = lift_files["d2"]["S9"]["Photo 1"][0][:md.sum()]
    w0 = INTRINSICS[CAMERA_IDS[0]]
    assert np.abs(d.p2d[md] - (raw / w0["width"] * 2 - [1, w0["height"] / w0["width"]])).max() < 1e-5
    assert 3 not in set(d.cam[d.seq == "S6/Photo"])
    # detections differ from the projection by about the 2 px noise the fixture added
    g = load_h36m_lift(lift_build, "test", "gt")
    mg = (g.seq == "S9/Photo 1") & (g.cam == 0)
    err_px = np.abs(d.p2d[md] - g.p2d[mg]).mean() * w0["width"] / 2
    assert 0.5 < err_px < 3.0
    # the training loader (data.path) sees the same build
    tr = load_lift("train", "gt", validation="include", path=lift_build / "h36m_lift.npz")
    assert set(tr.subject) == {"S1", "S5", "S6", "S7", "S8"}
    # a 3D take finds its 2D under the other spelling (3D "WalkingDog 1", 2D "WalkDog 1")
    trd = load_h36m_lift(lift_build, "train", "det")
    assert (trd.seq == "S1/WalkingDog 1").sum() == 4 * len(lift_files["d3"]["S1"]["WalkingDog 1"])


def test_train_and_eval_end_to_end(lift_build, tmp_path, capsys):
    path = lift_build / "h36m_lift.npz"
    names = np.load(path)["seq_name"][np.load(path)["seq_split"] == "train"]
    assert validation_mask(names).any()  # some whole training takes are held out
    run = tmp_path / "run"
    # the shipped config as it is (benchmark: h36m), data.path = the build folder
    rc = main(["train", "--config", "configs/lift/h36m/semgcn.yaml", "--set", "train.max_steps=3",
               "--set", "train.val_every_steps=3", "--set", f"data.path={lift_build}", "--set", "train.num_threads=1",
               "--out", str(run), "--no-progress"])
    assert rc == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_gt"]["n"] == len(load_h36m_lift(path, "test", "gt"))  # the build's test split, not mocap-lift
    # the final report carries the papers' tables (the build has a 2D file: gt and det)
    assert metrics["h36m_gt"]["benchmark"] == "h36m" and metrics["h36m_det"]["setting"] == "det"
    assert metrics["h36m_gt"]["n"] == metrics["test_gt"]["n"]
    report = (run / "report.md").read_text()
    assert "Human3.6M Protocols #1 and #2, gt 2D inputs" in report and "| 43.8 |" in report
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run / "model.pt"), "--benchmark", "h36m", "--root", str(lift_build)]) == 0
    out = capsys.readouterr().out
    header = [l for l in out.splitlines() if l.startswith("| Protocol")][0]
    cols = [c.strip() for c in header.strip("|").split("|")]
    assert cols == ["Protocol", "Direct.", "Discuss", "Eating", "Greet", "Phone", "Photo", "Pose", "Purch.",
                    "Sitting", "SittingD.", "Smoke", "Wait", "WalkD.", "Walk", "WalkT.", "Avg"]
    assert "#1 MPJPE, semgcn" in out and "#2 P-MPJPE, semgcn" in out
    assert "Zhao et al., CVPR'19 (SemGCN)" in out and "| 43.8 |" in out
    # without --root (the build the model trained on), and without --benchmark (the model's: h36m)
    assert main(["eval", "--checkpoint", str(run / "model.pt"), "--benchmark", "h36m", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["eval", "--checkpoint", str(run), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert first["benchmark"] == again["benchmark"] == "h36m" and first["avg_mpjpe"] == again["avg_mpjpe"]
    # the generic tables of the same test split are still there (--benchmark mocap-lift is the committed set)
    assert main(["eval", "--checkpoint", str(run), "--benchmark", "mocap-lift", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] != first["n"]
    # JSON: the Avg is the mean of the action means (the papers'), test actions only
    assert main(["eval", "--checkpoint", "baseline", "--benchmark", "h36m", "--root", str(lift_build),
                 "--setting", "det", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    acts = [a for a, v in rep["actions"].items() if v["n"]]
    assert set(acts) == {"Photo", "Eating", "Walking", "Directions", "WalkDog", "Greeting"}
    assert abs(rep["avg_mpjpe"] - np.mean([rep["actions"][a]["mpjpe"] for a in acts])) < 1e-9
    assert rep["references"][0]["mpjpe"] == 62.9 and "not CPN" in rep["references"][0]["note"]
    assert rep["avg_p_mpjpe"] < rep["avg_mpjpe"]
    # the modulated GCN's reference: the authors' README number, printed as given (38.25, not 38.2)
    assert main(["eval", "--checkpoint", "modulated-gcn", "--benchmark", "h36m", "--root", str(lift_build)]) == 0
    out = capsys.readouterr().out
    assert "#1 reported: Zou & Tang, ICCV'21 (modulated GCN)" in out and "| 38.25 |" in out


# ------------------------------------------------------------------------- forecasting
# H36M exp-map joint <- CMU exp-map joint whose rotation drives the same limb
_CMU_FOR_H36M = {0: 0, 1: 8, 2: 9, 3: 10, 4: 11, 6: 2, 7: 3, 8: 4, 9: 5, 11: 13, 12: 14, 13: 16, 14: 18, 15: 19,
                 16: 20, 17: 21, 18: 22, 19: 23, 24: 29, 25: 30, 26: 31, 27: 32}
FORECAST_PLAN = {"S5": ["walking", "eating"], "S1": ["walking", "eating"], "S6": ["walking"], "S11": ["walking"]}
LINES = 400  # 50 Hz lines a take -> 200 frames at 25 fps


def _cmu_rows(shared_data):
    rows = []
    for f in ("train/directing_traffic/directing_traffic_1.txt", "train/basketball_signal/basketball_signal_1.txt",
              "test/washwindow/washwindow_1.txt"):
        lines = (shared_data / "cmu" / "8action" / f).read_text().strip().splitlines()[1:]  # rest line skipped
        rows += [np.array(l.split(","), dtype=np.float64) for l in lines]
    return np.array(rows)


def _h36m_line(cmu):
    e = cmu[3:].reshape(38, 3)
    h = np.zeros((32, 3))
    for hj, cj in _CMU_FOR_H36M.items():
        h[hj] = e[cj]
    return np.concatenate([cmu[:3] * 56.444, h.reshape(-1)])


@pytest.fixture(scope="module")
def forecast_tree(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("h36m_fc") / "h3.6m" / "dataset"
    rows = _cmu_rows(shared_data)
    k = 0
    for subject, actions in FORECAST_PLAN.items():
        (root / subject).mkdir(parents=True)
        for a in actions:
            for sub in (1, 2):
                seg = rows[k * LINES:(k + 1) * LINES]
                k += 1
                text = "\n".join(",".join(f"{v:.8f}" for v in _h36m_line(r)) for r in seg)
                (root / subject / f"{a}_{sub}.txt").write_text(text + "\n")
    return root


def test_forecast_build_and_sampling(forecast_tree, tmp_path, capsys):
    out = tmp_path / "fc"
    assert main(["data", "build", "h36m-forecast", "--root", str(forecast_tree), "--out", str(out)]) == 0
    msg = capsys.readouterr().out
    assert "test 4 takes" in msg and "files missing" in msg
    z = np.load(out / "h36m_forecast.npz")
    assert z["positions"].shape[1:] == (17, 3) and z["positions22"].shape[1:] == (22, 3)
    assert len(JOINTS22) == 22 and float(z["fps"]) == 25.0
    off = z["seq_offsets"]
    assert all(off[i + 1] - off[i] == LINES // 2 for i in range(len(off) - 1))  # every 2nd line of 50 Hz
    p = z["positions"].astype(np.float64)
    assert np.abs(p[:, 0]).max() < 1e-6  # hips at the origin (root position zeroed)
    hips = p[:, 4] - p[:, 1]  # root rotation zeroed: the hip line never turns
    assert np.abs(hips - [0.265897, 0.0, 0.0]).max() < 1e-4
    femur = np.linalg.norm(p[:, 2] - p[:, 1], axis=-1)
    assert np.abs(femur - 0.442894612).max() < 1e-5  # millimetres -> metres, the table's bone
    assert set(z["seq_split"]) == {"train", "val", "test"}
    assert {n.split("/")[0] for n, s in zip(z["seq_name"], z["seq_split"]) if s == "test"} == {"S5"}
    # the papers' test windows: 256 an action (128 a subaction), the same 8 first for srnn8
    w = load_h36m_forecast(out, "test", sampling="mao256")
    w8 = load_h36m_forecast(out, "test", sampling="srnn8")
    assert len(w) == 2 * 256 and len(w8) == 2 * 8
    lab = w.labels()
    assert set(lab["subject"]) == {"S5"} and (np.unique(lab["action"], return_counts=True)[1] == 256).all()
    T = LINES // 2
    assert lab["start"].min() >= 16 + 40 and lab["start"].max() < T - 150 + 40 and (lab["start"] + 35 <= T).all()
    rng = np.random.RandomState(1234567890)  # Eating is first in the papers' action order
    first = [rng.randint(16, T - 150) + 40 for _ in range(2)]
    assert [lab["start"][0], lab["start"][128]] == first
    s8 = w8.labels()["start"]
    assert list(s8[:4]) == list(lab["start"][:4]) and list(s8[4:8]) == list(lab["start"][128:132])
    assert len(load_h36m_forecast(out, "test", sampling="all")) == 4 * (T - 35 + 1)
    # training sees S1 S6 S7 S8 S9 (here S1 S6), validation S11
    tr = load_h36m_forecast(out, "train", validation="exclude")
    assert set(tr.labels()["subject"]) == {"S1", "S6"}
    assert set(load_h36m_forecast(out, "train", validation="only").labels()["subject"]) == {"S11"}

    capsys.readouterr()
    assert main(["eval", "--checkpoint", "sts-gcn", "--benchmark", "h36m-forecast", "--root", str(out)]) == 0
    text = capsys.readouterr().out
    assert "### MPJPE at the frame" in text and "### MPJPE averaged over the frames up to it" in text
    assert "| action | n | 80 ms | 160 ms | 320 ms | 400 ms | 560 ms | 1000 ms |" in text
    assert "STS-GCN (Sofianos et al., ICCV'21)" in text and "75.6" in text and "72.9" in text
    upto_part = text.split("averaged over the frames up to it")[1]
    assert "reported: STS-GCN" in upto_part and "reported" not in text.split("averaged over the frames up to it")[0]
    assert main(["eval", "--checkpoint", "sts-gcn", "--benchmark", "h36m-forecast", "--root", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["n"] == 512 and rep["sampling"] == "mao256"
    assert rep["mpjpe_upto"]["1000"] < rep["mpjpe_at"]["1000"] + 1e-9  # the average up to 1 s includes earlier frames

    run = tmp_path / "run"
    assert main(["train", "--config", "configs/forecast/h36m/sts_gcn.yaml", "--set", "train.max_steps=2",
                 "--set", "train.val_every_steps=2", "--set", f"data.path={out}",
                 "--set", "train.num_threads=1", "--out", str(run), "--no-progress"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_gt"]["n"] == 512 and metrics["h36m_forecast_mao256"]["sampling"] == "mao256"
    assert "### MPJPE averaged over the frames up to it" in (run / "report.md").read_text()
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run), "--benchmark", "h36m-forecast", "--setting", "srnn8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 16  # the build it trained on, 8 windows an action


def test_benchmark_names_in_configs(lift_build, tmp_path, capsys):
    """``benchmark: h36m`` / ``h36m-forecast`` need data.path to be a build of that kind (checked
    before the run folder is touched); configs written before the names (mocap-lift + data.path of
    a build) still train on the build."""
    from posegraph.config import load_config

    cfg = load_config("configs/lift/h36m/semgcn.yaml")
    assert cfg["benchmark"] == "h36m" and cfg["task"] == "lift"
    assert load_config("configs/forecast/h36m/sts_gcn.yaml")["benchmark"] == "h36m-forecast"
    with pytest.raises(PosegraphError, match="data.path must name it"):
        load_config("configs/lift/h36m/semgcn.yaml", ["data.path=null"])
    with pytest.raises(PosegraphError, match="a lift model .'semgcn'. needs mocap-lift or h36m$"):
        load_config("configs/lift/h36m/semgcn.yaml", ["benchmark=h36m-forecast"])

    def one_line_error(*args, names=()):
        capsys.readouterr()
        assert main(list(args)) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("error:"), err
        for n in names:
            assert str(n) in err, (n, err)

    run = tmp_path / "run"
    base = ["train", "--config", "configs/lift/h36m/semgcn.yaml", "--set", "train.max_steps=2", "--set",
            "train.val_every_steps=2", "--set", "train.num_threads=1", "--no-progress", "--out", str(run)]
    one_line_error(*base, "--set", f"data.path={tmp_path / 'nowhere'}", names=("data.path", "nowhere", "data build h36m"))
    fc = tmp_path / "fc.npz"  # a forecasting build where a lifting one is wanted
    np.savez(fc, kind=np.array("h36m-forecast"))
    one_line_error(*base, "--set", f"data.path={fc}", names=("data.path", "fc.npz", "build of h36m-forecast"))
    assert not run.exists()  # nothing written
    # an older config: the lifting family plus data.path of the build
    assert main([*base, "--set", "benchmark=mocap-lift", "--set", f"data.path={lift_build / 'h36m_lift.npz'}"]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["test_gt"]["n"] == len(load_h36m_lift(lift_build, "test", "gt")) and "h36m_gt" not in m
    # eval: the four names, --root only with the Human3.6M ones
    one_line_error("eval", "--checkpoint", "semgcn", "--benchmark", "h36m-lift",
                   names=("mocap-lift, mocap-forecast, h36m, h36m-forecast",))
    one_line_error("eval", "--checkpoint", "semgcn", "--benchmark", "mocap-lift", "--root", str(lift_build),
                   names=("--root",))
    one_line_error("eval", "--checkpoint", "semgcn", "--benchmark", "h36m-forecast", "--root", str(lift_build),
                   names=("--root", "h36m_forecast.npz"))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "posegraph.cli", *args], capture_output=True, text=True, timeout=300)


def test_bad_input_is_one_line(lift_files, tmp_path, capsys):
    bad = tmp_path / "data_3d_h36m.npz"
    bad.write_bytes(b"not a zip")
    r = _cli("data", "build", "h36m", "--data-3d", str(bad), "--out", str(tmp_path / "o"))  # a real process
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in r.stderr

    def one_line_error(*args, names=()):
        capsys.readouterr()
        assert main(list(args)) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("error:"), err
        for n in names:
            assert str(n) in err, (n, err)

    # an unknown take name
    write_h36m_3d(bad, {"S1": {"Dancing 1": lift_files["d3"]["S1"]["Eating"]}})
    one_line_error("data", "build", "h36m", "--data-3d", str(bad), "--out", str(tmp_path / "o"), names=(bad, "Dancing 1"))
    # a 2D file in another layout, a 2D file without a subject of the 3D file
    f2 = tmp_path / "data_2d_h36m_detectron_pt_coco.npz"
    write_h36m_2d(f2, {"S1": {"Eating": [np.zeros((3, 17, 2))]}}, {**META, "layout_name": "coco"})
    one_line_error("data", "build", "h36m", "--data-3d", str(lift_files["f3"]), "--data-2d", str(f2), "--out",
                   str(tmp_path / "o"), names=(f2, "layout"))
    write_h36m_2d(f2, {"S1": {"Eating": [np.zeros((3, 17, 2))]}}, META)
    one_line_error("data", "build", "h36m", "--data-3d", str(lift_files["f3"]), "--data-2d", str(f2), "--out",
                   str(tmp_path / "o"), names=(f2, "S5"))
    one_line_error("data", "build", "h36m", "--out", str(tmp_path / "o"), names=("--data-3d",))
    # a damaged exp-map line; a tree without S5
    root = tmp_path / "dataset"
    (root / "S5").mkdir(parents=True)
    (root / "S5" / "walking_1.txt").write_text("1,2,3\n")
    one_line_error("data", "build", "h36m-forecast", "--root", str(root), "--out", str(tmp_path / "o"),
                   names=("walking_1.txt", "99"))
    (root / "S5" / "walking_1.txt").unlink()
    one_line_error("data", "build", "h36m-forecast", "--root", str(root), "--out", str(tmp_path / "o"), names=("S5",))
    # eval without a build, or with a model of the other task
    one_line_error("eval", "--checkpoint", "semgcn", "--benchmark", "h36m", "--root", str(tmp_path / "nothing"),
                   names=("nothing",))
    one_line_error("eval", "--checkpoint", "semgcn", "--benchmark", "h36m", names=("--root",))


def test_person_validation_is_for_the_mocap_benchmarks(lift_build):
    from posegraph.errors import PosegraphError

    with pytest.raises(PosegraphError, match="data.validation_subjects is for the mocap-\\* benchmarks"):
        load_lift("train", "gt", validation="only", path=lift_build / "h36m_lift.npz", validation_subjects=["S1/S1"])
