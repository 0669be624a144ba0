"""Human3.6M VideoPose3D npz layout and the published camera table."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from posegraph.errors import FormatError
from posegraph.io import (h36m32_to_h36m17, read_h36m_2d, read_h36m_3d, write_h36m_2d,
                          write_h36m_3d, zup_to_yup)
from posegraph.io import h36m_cameras as cams
from posegraph.skeleton import H36M17

META = {"layout_name": "h36m", "num_joints": 17,
        "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}


def _data3d(rng):
    return {"S1": {"Walking": rng.normal(size=(7, 32, 3)).astype(np.float32),
                   "Eating 2": rng.normal(size=(3, 32, 3)).astype(np.float32)},
            "S9": {"Sitting": rng.normal(size=(4, 32, 3)).astype(np.float32)}}


def test_roundtrip_3d(tmp_path):
    d = _data3d(np.random.default_rng(0))
    f = tmp_path / "data_3d_h36m.npz"
    write_h36m_3d(f, d)
    # the VideoPose3D way of reading it
    raw = np.load(f, allow_pickle=True)["positions_3d"].item()
    assert np.array_equal(raw["S1"]["Walking"], d["S1"]["Walking"])
    r = read_h36m_3d(f)
    assert set(r) == {"S1", "S9"} and set(r["S1"]) == {"Walking", "Eating 2"}
    assert np.array_equal(r["S9"]["Sitting"], d["S9"]["Sitting"])
    assert r["S1"]["Walking"].dtype == np.float32


def test_conversions():
    p = np.arange(32 * 3, dtype=float).reshape(1, 32, 3)
    q = h36m32_to_h36m17(p)
    assert q.shape == (1, 17, 3)
    assert np.array_equal(q[0, :, 0] / 3, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27])
    # z-up -> y-up keeps handedness: a proper rotation
    v = np.array([[1.0, 2.0, 3.0]])
    assert np.allclose(zup_to_yup(v), [[1.0, 3.0, -2.0]])
    e = np.eye(3)
    M = zup_to_yup(e)
    assert np.isclose(np.linalg.det(M), 1.0)
    assert np.allclose(zup_to_yup([0, 0, 1.0]), [0, 1, 0])
    assert len(H36M17.joints) == q.shape[1]


def test_roundtrip_2d(tmp_path):
    rng = np.random.default_rng(1)
    pos = {"S1": {"Walking": [rng.normal(size=(5, 17, 2)) for _ in range(4)]}}
    f = tmp_path / "data_2d.npz"
    write_h36m_2d(f, pos, META)
    raw = np.load(f, allow_pickle=True)
    assert raw["metadata"].item()["num_joints"] == 17
    p, m = read_h36m_2d(f)
    assert len(p["S1"]["Walking"]) == 4
    assert np.allclose(p["S1"]["Walking"][2], pos["S1"]["Walking"][2])
    assert m["layout_name"] == "h36m" and m["keypoints_symmetry"] == META["keypoints_symmetry"]


def test_missing_keys(tmp_path):
    f = tmp_path / "x.npz"
    np.savez(f, other=np.zeros(3))
    with pytest.raises(FormatError, match=r"x\.npz\[positions_3d\]: missing key") as e:
        read_h36m_3d(f)
    assert e.value.line == "positions_3d"
    with pytest.raises(FormatError, match=r"\[positions_2d\]"):
        read_h36m_2d(f)
    np.savez(f, positions_2d=np.array({"S1": {}}, dtype=object))
    with pytest.raises(FormatError, match=r"\[metadata\]"):
        read_h36m_2d(f)
    np.savez(f, positions_2d=np.array({"S1": {}}, dtype=object),
             metadata=np.array({"layout_name": "h36m"}, dtype=object))
    with pytest.raises(FormatError, match=r"metadata/num_joints"):
        read_h36m_2d(f)
    with pytest.raises(FormatError, match="num_joints"):
        write_h36m_2d(f, {}, {"layout_name": "x"})


def test_bad_shapes_and_files(tmp_path):
    f = tmp_path / "s.npz"
    write_h36m_3d(f, {"S1": {"Walking": np.zeros((4, 17, 3))}})
    with pytest.raises(FormatError, match=r"\[positions_3d/S1/Walking\].*expected \(frames, 32, 3\)"):
        read_h36m_3d(f)
    assert read_h36m_3d(f, num_joints=None)["S1"]["Walking"].shape == (4, 17, 3)
    write_h36m_3d(f, {"S1": {"Walking": np.full((4, 32, 3), np.nan)}})
    with pytest.raises(FormatError, match="non-finite"):
        read_h36m_3d(f)
    f.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_h36m_3d(f)
    f.write_bytes(b"not a zip file at all")
    with pytest.raises(FormatError, match="not a readable npz"):
        read_h36m_3d(f)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_refuses_code_in_pickles(tmp_path):
    f = tmp_path / "evil.npz"
    payload = io.BytesIO()
    np.lib.format.write_array(payload, np.array(_Evil(), dtype=object), allow_pickle=True)
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("positions_3d.npy", payload.getvalue())
    with pytest.raises(FormatError, match="refusing to load builtins.print"):
        read_h36m_3d(f)
    assert pickle  # imported for clarity of the threat model


def test_camera_table():
    assert cams.CAMERA_IDS == ("54138969", "55011271", "58860488", "60457274")
    assert set(cams.EXTRINSICS) == {"S1", "S5", "S6", "S7", "S8", "S9", "S11"}
    for s, lst in cams.EXTRINSICS.items():
        assert len(lst) == 4
        for c in lst:
            assert np.linalg.norm(c["orientation"]) == pytest.approx(1.0, abs=1e-5)
            assert 1000 < np.linalg.norm(c["translation"]) < 7000  # mm, cameras a few metres away
            assert 1300 < c["translation"][2] < 1700  # mounted ~1.5 m high (z up)
    for cid, c in cams.INTRINSICS.items():
        assert 1100 < c["focal_length"][0] < 1200 and len(c["k"]) == 3 and len(c["p"]) == 2
        assert c["width"] == 1000 and c["height"] in (1000, 1002)
    c = cams.camera("S9", 2)
    assert c["id"] == "58860488" and c["translation"].shape == (3,)
    with pytest.raises(KeyError):
        cams.camera("S2", 0)
