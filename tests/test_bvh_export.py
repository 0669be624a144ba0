"""BVH export (posegraph.io.bvh_write, ``lift --bvh``, ``export-motion``), read back by the
project's own BVH reader: the same joint positions within 1 mm. Real mocap (CMU subject 17)."""

from __future__ import annotations

import numpy as np
import pytest

from posegraph import temporal
from posegraph.cli import main
from posegraph.io.bvh import read_bvh
from posegraph.io.bvh_write import bvh_mapping, camera_to_bvh, write_bvh
from posegraph.io.keypoints import write_keypoints_npz
from posegraph.skeleton import H36M16, H36M17


@pytest.fixture(scope="module")
def mocap(shared_data):
    from posegraph.io import read_motion

    m = read_motion(shared_data / "cmu/subjects/17/17_10.amc")
    return m.positions[::4][:120].astype(np.float64), m.fps / 4  # 30 fps, metres, +y up


def _read_back(path, names):
    m = read_bvh(path, scale=1.0, mapping=bvh_mapping(names))
    return m, m.all_positions[:, [m.all_joint_names.index(j) for j in names]]


@pytest.mark.parametrize("sk", [H36M17, H36M16], ids=lambda s: s.name)
def test_round_trip_within_1mm(mocap, sk, tmp_path):
    pos, fps = mocap
    p = pos[:, H36M17.subset_indices(sk)]
    rel = p - p[:, :1]
    fixed = temporal.apply_bone_lengths(rel, sk.parents, temporal.robust_bone_lengths(rel, sk.parents)) + p[:, :1]
    path = write_bvh(tmp_path / "m.bvh", fixed, sk.parents, sk.joints, fps)
    m, back = _read_back(path, sk.joints)
    assert np.abs(back - fixed).max() < 1e-3 and m.fps == pytest.approx(fps)
    # a hierarchy with the person's bone lengths as offsets; the pelvis moves (root translation)
    text = path.read_text()
    knee = text.split("JOINT r_knee")[1].split("OFFSET")[1].split("\n")[0].split()
    L = np.linalg.norm(fixed[0, sk.index("r_knee")] - fixed[0, sk.index("r_hip")])
    assert np.linalg.norm([float(v) for v in knee]) == pytest.approx(L, abs=1e-5)
    assert np.ptp(back[:, 0], axis=0).max() > 0.3
    with pytest.raises(Exception, match="--overwrite"):
        write_bvh(path, fixed, sk.parents, sk.joints, fps)


def test_lift_bvh_and_export_motion(shared_data, tmp_path, capsys):
    from posegraph.data.lift import load_lift
    from posegraph.geometry import unnormalize_screen

    s = load_lift("test", "noisy")
    idx = np.flatnonzero((s.seq == s.seq[0]) & (s.cam == s.cam[0]))[:90]
    px = unnormalize_screen(s.p2d[idx], 1000, 1000).astype(np.float32)
    conf = np.ones(px.shape[:2], np.float32)
    conf[40:43] = 0  # three frames without a detection
    px[40:43] = np.nan
    src = write_keypoints_npz(tmp_path / "kp.npz", px, conf, layout="h36m17", image_size=(1000, 1000))
    out = tmp_path / "out"
    assert main(["lift", str(src), "--checkpoint", "semgcn", "--out", str(out), "--bvh", "--no-progress"]) == 0
    d = np.load(out / "lift.npz")
    assert not d["detected"][40:43].any() and np.isnan(d["joints_3d"][40:43]).all()
    m, back = _read_back(out / "lift.bvh", H36M16.joints)
    cam = camera_to_bvh(d["joints_3d_cam"])
    ok = d["detected"]
    assert np.abs(back[ok] - cam[ok]).max() < 1e-3  # the camera-frame joints, root trajectory included
    assert np.isfinite(back).all() and len(back) == 90  # the gap is bridged in the BVH only
    # export-motion writes the same file from the result
    assert main(["export-motion", str(out), "--format", "bvh", "-o", str(tmp_path / "again.bvh")]) == 0
    assert (tmp_path / "again.bvh").read_text() == (out / "lift.bvh").read_text()
    capsys.readouterr()
    assert main(["export-motion", str(out), "-o", str(tmp_path / "again.bvh")]) == 2
    assert main(["export-motion", str(out), "--format", "fbx"]) == 2
    assert main(["export-motion", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("error: ") for e in err)
    assert "--overwrite" in err[0] and "fbx" in err[1] and "none" in err[2]
