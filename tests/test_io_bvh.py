"""BVH reader: CMU subject 131 (3ds Max friendly conversion), synthetic files, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from posegraph.errors import FormatError
from posegraph.io import read_bvh, read_motion
from posegraph.skeleton import H36M17


from helpers import facing_cosine  # noqa: E402


@pytest.fixture(scope="module")
def walk(shared_data):
    return read_motion(shared_data / "cmu/subjects/131/131_01.bvh")


def test_reference_counts(walk, shared_data):
    assert walk.num_frames == 994
    assert walk.fps == 120
    assert b"\r\n" in (shared_data / "cmu/subjects/131/131_01.bvh").read_bytes()[:200]
    assert walk.positions.shape == (994, 17, 3) and np.isfinite(walk.positions).all()
    assert "LeftHip" in walk.all_joint_names and "Head_end" in walk.all_joint_names


def test_bone_lengths(walk):
    bl = H36M17.bone_lengths(walk.positions)
    legs = bl[:, [1, 2, 4, 5]]
    assert (legs >= 0.35).all() and (legs <= 0.5).all()
    # hip joints sit at the hip, not the knee: pelvis->hip is short
    assert (bl[:, [0, 3]] < 0.2).all()
    # rigid: every source parent->child distance constant within 1 mm
    names = walk.all_joint_names
    assert np.ptp(bl[:, [0, 1, 2, 3, 4, 5, 10, 11, 13, 14]], axis=0).max() < 1e-3
    assert len(names) == walk.all_positions.shape[1]


def test_left_right_and_up(walk):
    assert facing_cosine(walk.positions) > 0.85
    assert (walk.positions[:, 10, 1] > walk.positions[:, 0, 1]).all()


def test_other_takes(shared_data):
    for t in (2, 3):
        m = read_bvh(shared_data / f"cmu/subjects/131/131_0{t}.bvh")
        assert m.fps == 120 and m.num_frames > 100
        bl = H36M17.bone_lengths(m.positions[:1])[0]
        assert (0.35 <= bl[[1, 2, 4, 5]]).all() and (bl[[1, 2, 4, 5]] <= 0.5).all()


SYN = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
  JOINT Arm
  {
    OFFSET 1 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 2 0 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 0 0 0 0 0 0 0 0
1 2 3 90 0 0 90 0 0
"""


def test_synthetic_fk(tmp_path):
    f = tmp_path / "s.bvh"
    f.write_text(SYN)
    m = read_bvh(f, scale=1.0, mapping={j: "Hips" for j in H36M17.joints})
    assert m.fps == 25
    P = m.all_positions
    assert np.allclose(P[0], [[0, 0, 0], [1, 0, 0], [3, 0, 0]], atol=1e-6)
    # frame 1: root at (1,2,3) turned 90 deg about y (x -> -z); arm turned 90 deg about z
    assert np.allclose(P[1, 1], [1, 2, 2], atol=1e-5)
    assert np.allclose(P[1, 2], [1, 2, 2] + np.array([0, 2, 0]), atol=1e-5)


def _lines(shared_data):
    return (shared_data / "cmu/subjects/131/131_01.bvh").read_bytes().decode("latin-1").splitlines()


def _write(tmp_path, lines):
    f = tmp_path / "bad.bvh"
    f.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    return f


def test_wrong_channel_count(shared_data, tmp_path):
    lines = _lines(shared_data)
    k = next(i for i, s in enumerate(lines) if s.startswith("Frame Time")) + 10
    lines[k] = lines[k] + " 0.5"
    with pytest.raises(FormatError, match=r"bad\.bvh:\d+: frame has 97 values \(expected 96") as e:
        read_bvh(_write(tmp_path, lines))
    assert e.value.line == k + 1


def test_non_numeric_and_truncated(shared_data, tmp_path):
    lines = _lines(shared_data)
    k = next(i for i, s in enumerate(lines) if s.startswith("Frame Time")) + 3
    bad = list(lines)
    t = bad[k].split()
    t[5] = "x1"
    bad[k] = " ".join(t)
    with pytest.raises(FormatError, match="non-numeric") as e:
        read_bvh(_write(tmp_path, bad))
    assert e.value.line == k + 1
    with pytest.raises(FormatError, match=r"frame lines but 'Frames: 994'"):
        read_bvh(_write(tmp_path, lines[:k]))
    # cut inside the hierarchy
    with pytest.raises(FormatError, match="MOTION|unclosed"):
        read_bvh(_write(tmp_path, lines[:60]))


def test_bad_hierarchy_tokens(shared_data, tmp_path):
    lines = _lines(shared_data)
    k = next(i for i, s in enumerate(lines) if "OFFSET" in s and i > 5)
    bad = list(lines)
    bad[k] = "OFFSET 1 two 3"
    with pytest.raises(FormatError, match="non-numeric OFFSET") as e:
        read_bvh(_write(tmp_path, bad))
    assert e.value.line == k + 1
    bad = list(lines)
    k = next(i for i, s in enumerate(lines) if "CHANNELS" in s and i > 5)
    bad[k] = bad[k].replace("Zrotation", "Wrotation", 1)
    with pytest.raises(FormatError, match="unknown channel"):
        read_bvh(_write(tmp_path, bad))


def test_empty_and_not_bvh(tmp_path):
    f = tmp_path / "e.bvh"
    f.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_bvh(f)
    f.write_text("hello\n")
    with pytest.raises(FormatError, match="HIERARCHY") as e:
        read_bvh(f)
    assert e.value.line == 1
