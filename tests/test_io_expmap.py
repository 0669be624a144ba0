"""Exp-map text reader (CMU 8-action set, Human3.6M table) and the rotation helpers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posegraph.errors import FormatError
from posegraph.io import load_expmap_skeleton, read_expmap, read_motion
from posegraph.io.rotations import expmap_to_matrix
from posegraph.skeleton import H36M17

WALK = "cmu/8action/test/walking/walking_1.txt"


from helpers import facing_cosine  # noqa: E402


def test_expmap_matrix_matches_scipy():
    r = np.random.default_rng(1).normal(size=(10, 3))
    r[0] = 0.0
    r[1] = [1e-9, 0, 0]
    assert np.allclose(expmap_to_matrix(r), Rotation.from_rotvec(r).as_matrix(), atol=1e-9)
    assert expmap_to_matrix(np.zeros((2, 4, 3))).shape == (2, 4, 3, 3)


def test_reference_counts(shared_data):
    f = shared_data / WALK
    assert len([s for s in f.read_text().splitlines() if s.strip()]) == 359
    m = read_motion(f)
    assert m.num_frames == 358 and m.fps == 120
    assert read_expmap(f, skip_rest=False).num_frames == 359
    assert m.all_positions.shape == (358, 38, 3)


def test_lengths_rigidity_facing(shared_data):
    m = read_expmap(shared_data / WALK)
    bl = H36M17.bone_lengths(m.positions)
    legs = bl[:, [1, 2, 4, 5]]
    assert (legs >= 0.35).all() and (legs <= 0.5).all()
    sk = load_expmap_skeleton()
    P = m.all_positions
    d = np.linalg.norm(P[:, 1:] - P[:, sk["parents"][1:]], axis=-1)
    assert np.abs(d - np.linalg.norm(sk["offsets"][1:], axis=-1) * sk["length_unit_in_metres"]).max() < 1e-3
    assert facing_cosine(m.positions) > 0.9
    assert (m.positions[:, 10, 1] > m.positions[:, 0, 1]).all()


def test_rest_line_is_rest_pose(shared_data):
    m = read_expmap(shared_data / WALK, skip_rest=False)
    legs = m.positions[0, [3, 6], 1] - m.positions[0, [1, 4], 1]
    assert (legs < -0.75).all()  # straight legs hanging down


def test_bundled_tables_and_h36m(tmp_path):
    cmu = load_expmap_skeleton("cmu")
    assert len(cmu["parents"]) == 38
    h = load_expmap_skeleton("h36m")
    assert len(h["parents"]) == 32 and h["length_unit_in_metres"] == 0.001
    assert [h["h36m17_from_joint_index"][j] for j in H36M17.joints] == [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]
    # a Human3.6M-style file: 99 values a line, zero rotations -> rest pose
    f = tmp_path / "h.txt"
    rows = np.zeros((3, 99))
    rows[:, :3] = [10.0, 900.0, -5.0]
    np.savetxt(f, rows, delimiter=",")
    m = read_expmap(f, skeleton="h36m", fps=50)
    assert m.num_frames == 2 and m.fps == 50
    bl = H36M17.bone_lengths(m.positions[0])
    assert bl[1] == pytest.approx(0.4429, abs=1e-3) and bl[2] == pytest.approx(0.4542, abs=1e-3)
    assert np.allclose(m.positions[0, 0], [0.01, 0.9, -0.005])
    with pytest.raises(FormatError, match="expected 117"):
        read_expmap(f)  # wrong skeleton


def test_fk_row_vector_convention(tmp_path):
    sk = {"parents": [-1, 0, 1], "offsets": [[0, 0, 0], [0, 1, 0], [0, 1, 0]],
          "h36m17_from_joint_index": {j: 0 for j in H36M17.joints}}
    f = tmp_path / "k.txt"
    line = [0, 0, 0] + [0, 0, np.pi / 2] + [0, 0, 0] + [0, 0, 0]
    f.write_text(",".join(map(str, line)) + "\n")
    m = read_expmap(f, skeleton=sk, skip_rest=False)
    # row vector: x_1 = offset_1 @ Rz(90) = (0,1,0) @ Rz = (1, 0, 0)
    assert np.allclose(m.all_positions[0], [[0, 0, 0], [1, 0, 0], [2, 0, 0]], atol=1e-6)
    j = tmp_path / "sk.json"
    j.write_text(json.dumps(sk))
    assert np.allclose(read_expmap(f, skeleton=j, skip_rest=False).all_positions, m.all_positions)


def test_bad_value_count(shared_data, tmp_path):
    lines = (shared_data / WALK).read_text().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:116])
    f = tmp_path / "bad.txt"
    f.write_text("\n".join(lines))
    with pytest.raises(FormatError, match=r"bad\.txt:6: line has 116 values \(expected 117") as e:
        read_expmap(f)
    assert e.value.line == 6


def test_non_numeric_empty_and_bad_skeleton(shared_data, tmp_path):
    lines = (shared_data / WALK).read_text().splitlines()[:10]
    v = lines[7].split(",")
    v[40] = "zero"
    lines[7] = ",".join(v)
    f = tmp_path / "bad.txt"
    f.write_text("\n".join(lines))
    with pytest.raises(FormatError, match="non-numeric") as e:
        read_expmap(f)
    assert e.value.line == 8
    f.write_text("")
    with pytest.raises(FormatError, match="empty"):
        read_expmap(f)
    f.write_text("\n".join((shared_data / WALK).read_text().splitlines()[:1]))
    with pytest.raises(FormatError, match="no frames after the rest line"):
        read_expmap(f)
    with pytest.raises(FormatError, match=r"\[offsets\]"):
        read_expmap(f, skeleton={"parents": [-1]})
