"""ASF/AMC reader: real CMU and HDM05 files, cross-check with the exp-map reader, bad files."""

from __future__ import annotations

import time

import numpy as np
import pytest

from posegraph.errors import FormatError
from posegraph.io import read_amc, read_asf, read_expmap, read_motion
from posegraph.io.rotations import euler_to_matrix, parse_axis_order
from posegraph.skeleton import H36M17

LIMBS = {"r_femur": (1, 2), "r_tibia": (2, 3), "l_femur": (4, 5), "l_tibia": (5, 6),
         "l_upper_arm": (11, 12), "l_forearm": (12, 13), "r_upper_arm": (14, 15), "r_forearm": (15, 16)}


def _source_bone_lengths(m, asf):
    names = m.all_joint_names
    par = [names.index(b.parent) for b in asf.bones.values()]
    ch = [names.index(n) for n in asf.bones]
    return np.linalg.norm(m.all_positions[:, ch] - m.all_positions[:, par], axis=-1)


from helpers import facing_cosine  # noqa: E402


@pytest.fixture(scope="module")
def subj01(shared_data):
    d = shared_data / "cmu/subjects/01"
    asf = read_asf(d / "01.asf")
    t = time.perf_counter()
    m = read_amc(d / "01_01.amc", asf)
    return asf, m, time.perf_counter() - t


def test_reference_frame_count_fps_and_speed(subj01):
    asf, m, dt = subj01
    assert m.num_frames == 2751
    assert m.fps == 120
    assert m.positions.shape == (2751, 17, 3) and m.positions.dtype == np.float32
    assert np.isfinite(m.positions).all()
    assert m.all_positions.shape == (2751, 1 + len(asf.bones), 3)
    assert dt < 1.0, f"reading 01_01.amc took {dt:.2f} s"


def test_crlf_cmu_file(shared_data):
    assert b"\r\n" in (shared_data / "cmu/subjects/01/01_01.amc").read_bytes()[:300]


def test_units_and_bones(subj01):
    asf, m, _ = subj01
    assert asf.length_scale == pytest.approx(0.0254 / 0.45)
    assert asf.bones["lfemur"].dof == ("rx", "ry", "rz")
    assert asf.bones["lhipjoint"].dof == ()
    assert asf.bones["ltibia"].parent == "lfemur"
    # rest length of the femur, metres
    assert 0.35 < asf.bones["lfemur"].length < 0.5


def test_limb_lengths_and_rigidity(subj01):
    asf, m, _ = subj01
    bl = H36M17.bone_lengths(m.positions)
    for k in (1, 2, 4, 5):  # femur and tibia edges (1,2),(2,3),(4,5),(5,6)
        assert 0.35 <= bl[:, k].min() and bl[:, k].max() <= 0.5
    # every ASF bone keeps its length over time (1 mm)
    L = _source_bone_lengths(m, asf)
    assert np.abs(L - L[0]).max() < 1e-3
    # single-bone h36m17 edges too
    for a, b in LIMBS.values():
        d = np.linalg.norm(m.positions[:, b] - m.positions[:, a], axis=-1)
        assert np.ptp(d) < 1e-3
    assert (m.positions[:, 10, 1] > m.positions[:, 0, 1]).mean() > 0.95  # head above pelvis: y up


def test_left_right_on_walk(shared_data):
    d = shared_data / "cmu/subjects/05"
    m = read_amc(d / "05_01.amc", d / "05.asf")
    assert facing_cosine(m.positions) > 0.9


def test_hdm05_latin1_crlf(shared_data):
    d = shared_data / "hdm05/bd"
    f = d / "HDM_bd_sneak2StepsLStart_001_120.amc"
    raw = f.read_bytes()
    first = raw.split(b"\n", 1)[0]
    with pytest.raises(UnicodeDecodeError):
        first.decode("utf-8")
    assert b"\r\n" in raw
    m = read_motion(f)  # finds HDM_bd.asf
    assert m.fps == 120 and m.num_frames > 50
    bl = H36M17.bone_lengths(m.positions)
    assert (0.35 <= bl[:, [1, 2, 4, 5]]).all() and (bl[:, [1, 2, 4, 5]] <= 0.5).all()
    assert facing_cosine(m.positions) > 0.9  # sneaking forward


def test_cross_check_expmap_vs_amc(shared_data):
    """8action soccer_1 (from its second line) and 10_01.amc are the same take."""
    e = read_expmap(shared_data / "cmu/8action/train/soccer/soccer_1.txt")
    d = shared_data / "cmu/subjects/10"
    a = read_amc(d / "10_01.amc", d / "10.asf")
    assert e.num_frames == a.num_frames == 801  # no start offset
    pe, pa = e.positions.astype(np.float64), a.positions.astype(np.float64)
    root = np.linalg.norm(pe[:, 0] - pa[:, 0], axis=-1)
    assert root.max() < 1e-3
    errs = {}
    for name, (i, j) in {"r_thigh": (0, 2), "l_thigh": (0, 5), **LIMBS}.items():
        u = pe[:, j] - pe[:, i]
        v = pa[:, j] - pa[:, i]
        c = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        errs[name] = np.degrees(np.arccos(np.clip(c, -1, 1))).mean()
    assert max(errs.values()) < 6.0, errs
    assert np.mean(list(errs.values())) < 4.0, errs


def test_euler_conventions():
    a = np.array([0.3, -0.5, 1.1])
    Rx, Ry, Rz = (euler_to_matrix(a[i:i + 1], "XYZ"[i]) for i in range(3))
    assert np.allclose(euler_to_matrix(a, "XYZ"), Rx @ Ry @ Rz)
    assert np.allclose(euler_to_matrix(a, "XYZ", intrinsic=False), Rz @ Ry @ Rx)
    assert np.allclose(euler_to_matrix(np.degrees(a), ["rx", "ry", "rz"], degrees=True, intrinsic=False), Rz @ Ry @ Rx)
    assert np.allclose(euler_to_matrix(a[[2, 0]], ["Zrotation", "Xrotation"]), Rz @ Rx)
    # Rz(90) maps x to y
    assert np.allclose(euler_to_matrix([np.pi / 2], "Z") @ [1, 0, 0], [0, 1, 0])
    # batched
    B = euler_to_matrix(np.random.default_rng(0).normal(size=(4, 5, 3)), "ZXY")
    assert B.shape == (4, 5, 3, 3)
    assert np.allclose(B @ np.swapaxes(B, -1, -2), np.eye(3))
    with pytest.raises(ValueError):
        parse_axis_order("XQ")


# ---------------------------------------------------------------- malformed files


@pytest.fixture()
def small(shared_data, tmp_path):
    """A copy of 09.asf and the first 20 frames of 09_06.amc, as lines."""
    d = shared_data / "cmu/subjects/09"
    asf = tmp_path / "09.asf"
    asf.write_bytes((d / "09.asf").read_bytes())
    lines = (d / "09_06.amc").read_bytes().decode("latin-1").splitlines()
    starts = [i for i, s in enumerate(lines) if s.strip().isdigit()]
    return asf, lines[:starts[20]], starts


def _write(tmp_path, lines, name="t.amc"):
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return f


def test_small_copy_reads(small, tmp_path):
    asf, lines, _ = small
    assert read_motion(_write(tmp_path, lines)).num_frames == 20


def test_truncated_frame(small, tmp_path):
    asf, lines, starts = small
    f = _write(tmp_path, lines[:starts[19] + 5])  # last frame has only 4 bone lines
    with pytest.raises(FormatError, match=r"t\.amc:\d+: frame starting on line \d+ has no line for bone") as e:
        read_amc(f, asf)
    assert e.value.line == starts[19] + 5


def test_missing_bone_line_mid_file(small, tmp_path):
    asf, lines, starts = small
    lines = lines[:starts[3] + 2] + lines[starts[3] + 3:]
    with pytest.raises(FormatError, match="has no line for bone"):
        read_amc(_write(tmp_path, lines), asf)


def test_too_few_values(small, tmp_path):
    asf, lines, starts = small
    k = starts[2] + 1
    lines[k] = " ".join(lines[k].split()[:-1])
    with pytest.raises(FormatError, match=r"has \d+ values \(expected \d+\)") as e:
        read_amc(_write(tmp_path, lines), asf)
    assert e.value.line == k + 1 and "t.amc" in str(e.value)


def test_non_numeric_value(small, tmp_path):
    asf, lines, starts = small
    k = starts[5] + 2
    t = lines[k].split()
    lines[k] = " ".join(t[:1] + ["abc"] + t[2:])
    with pytest.raises(FormatError, match="non-numeric") as e:
        read_amc(_write(tmp_path, lines), asf)
    assert e.value.line == k + 1


def test_unknown_bone(small, tmp_path):
    asf, lines, starts = small
    k = starts[1] + 1
    lines[k] = "tail " + " ".join(lines[k].split()[1:])
    with pytest.raises(FormatError, match="unknown bone 'tail'") as e:
        read_amc(_write(tmp_path, lines), asf)
    assert e.value.line == k + 1


def test_empty_files(small, tmp_path):
    asf, lines, _ = small
    empty = tmp_path / "e.amc"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_amc(empty, asf)
    with pytest.raises(FormatError, match="empty"):
        read_asf(empty)
    header_only = _write(tmp_path, lines[:3], "h.amc")
    with pytest.raises(FormatError, match="no frames"):
        read_amc(header_only, asf)


def test_read_motion_asf_lookup(small, tmp_path):
    asf, lines, _ = small
    sub = tmp_path / "none"
    sub.mkdir()
    f = _write(sub, lines)
    with pytest.raises(FormatError, match="no .asf"):
        read_motion(f)
    assert read_motion(f, asf=asf).num_frames == 20
    (tmp_path / "other.asf").write_bytes(asf.read_bytes())
    with pytest.raises(FormatError, match="several .asf"):
        read_motion(_write(tmp_path, lines))
    with pytest.raises(FormatError, match="extension"):
        read_motion(tmp_path / "x.c3d")


def test_bad_asf(small, tmp_path):
    asf, _, _ = small
    text = asf.read_bytes().decode("latin-1").splitlines()
    k = next(i for i, s in enumerate(text) if s.strip().startswith("length") and i > 20)
    text[k] = "     length seven"
    bad = tmp_path / "bad.asf"
    bad.write_text("\n".join(text))
    with pytest.raises(FormatError, match="non-numeric") as e:
        read_asf(bad)
    assert e.value.line == k + 1
