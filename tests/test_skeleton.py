import numpy as np
import pytest

from posegraph.errors import PosegraphError, ShapeError
from posegraph.skeleton import H36M16, H36M17, get_layout, get_skeleton, guess_layout, map_keypoints


def test_h36m17_order_and_edges():
    assert H36M17.joints[:4] == ("pelvis", "r_hip", "r_knee", "r_ankle")
    assert len(H36M17.edges) == 16
    names = {(H36M17.joints[p], H36M17.joints[c]) for p, c in H36M17.edges}
    for chain in (("pelvis", "r_hip", "r_knee", "r_ankle"), ("pelvis", "l_hip", "l_knee", "l_ankle"),
                  ("pelvis", "spine", "thorax", "neck", "head"), ("thorax", "l_shoulder", "l_elbow", "l_wrist"),
                  ("thorax", "r_shoulder", "r_elbow", "r_wrist")):
        for a, b in zip(chain, chain[1:]):
            assert (a, b) in names


def test_h36m16_drops_neck_and_hangs_head_from_thorax():
    assert "neck" not in H36M16.joints and len(H36M16) == 16
    assert H36M16.joints[H36M16.parents[H36M16.index("head")]] == "thorax"
    assert np.array_equal(H36M17.subset_indices(H36M16), [i for i in range(17) if i != 9])


def test_adjacency_normalisations():
    A = H36M17.adjacency()
    assert (A == A.T).all() and A.sum() == 2 * 16 and np.diag(A).sum() == 0
    S = H36M17.adjacency(self_loops=True, normalize="sym")
    d = A.sum(1) + 1
    i, j = H36M17.edges[0]
    assert S[i, j] == pytest.approx(1 / np.sqrt(d[i] * d[j]))
    R = H36M17.adjacency(self_loops=True, normalize="row")
    assert np.allclose(R.sum(1), 1)


def test_flip_swaps_left_and_right():
    perm = H36M17.flip_permutation
    assert H36M17.joints[perm[H36M17.index("l_wrist")]] == "r_wrist"
    assert (perm[perm] == np.arange(17)).all()
    assert perm[H36M17.index("spine")] == H36M17.index("spine")


def test_keypoint_mapping_midpoints_and_confidence():
    lay = get_layout("coco17")
    kp = np.zeros((17, 2))
    kp[lay.keypoints.index("l_hip")] = [10, 100]
    kp[lay.keypoints.index("r_hip")] = [-10, 100]
    kp[lay.keypoints.index("l_shoulder")] = [20, 0]
    kp[lay.keypoints.index("r_shoulder")] = [-20, 0]
    conf = np.ones(17)
    conf[lay.keypoints.index("r_hip")] = 0.2
    out, c = map_keypoints(kp, "coco17", conf)
    assert np.allclose(out[H36M17.index("pelvis")], [0, 100])
    assert np.allclose(out[H36M17.index("thorax")], [0, 0])
    assert np.allclose(out[H36M17.index("spine")], [0, 50])
    assert c[H36M17.index("pelvis")] == pytest.approx(0.2)  # weakest contributing keypoint
    for name in ("coco17", "body25", "coco18", "blazepose33"):
        assert np.allclose(get_layout(name).weights.sum(1), 1)


def test_unknown_names_and_shapes_are_clear_errors():
    with pytest.raises(PosegraphError, match="unknown skeleton"):
        get_skeleton("smpl24")
    with pytest.raises(ShapeError, match="cannot tell"):
        guess_layout(21)
    with pytest.raises(ShapeError, match="33 keypoints"):
        map_keypoints(np.zeros((5, 17, 2)), "blazepose33")
