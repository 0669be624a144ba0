"""Tests of posegraph.geometry: cameras, projection, screen normalisation, Procrustes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from posegraph.errors import ShapeError
from posegraph.geometry import (
    Camera,
    mocap_lift_cameras,
    normalize_screen,
    procrustes_align,
    project_to_screen_torch,
    random_cameras,
    ring_cameras,
    unnormalize_screen,
)
from posegraph.skeleton import H36M17

from helpers import STANDING  # noqa: E402


def rot(axis, deg):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    a = math.radians(deg)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * K @ K


def random_rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def test_standing_pose_is_plausible():
    bones = H36M17.bone_lengths(STANDING)
    assert bones.shape == (16,)
    assert np.all(bones > 0.05) and np.all(bones < 0.5)
    # left/right bone lengths match
    e = H36M17.edges
    length = dict(zip(e, bones))
    for a, b in H36M17.symmetry:
        ia, ib = H36M17.index(a), H36M17.index(b)
        pa = H36M17.parents[ia]
        pb = H36M17.parents[ib]
        if H36M17.joints[pa].startswith(("l_", "r_")):
            assert length[(pa, ia)] == pytest.approx(length[(pb, ib)])


# ---------------------------------------------------------------------------------------
# Camera
# ---------------------------------------------------------------------------------------


def make_cam(**kw):
    R = rot([0.3, 1.0, -0.2], 40)
    return Camera(R=R, t=[0.1, -0.2, 4.0], fx=1000, fy=1100, cx=480, cy=520, width=960, height=1000, **kw)


def test_world_camera_round_trip_and_position():
    cam = make_cam()
    X = np.random.default_rng(0).normal(size=(4, 5, 3))
    np.testing.assert_allclose(cam.camera_to_world(cam.world_to_camera(X)), X, atol=1e-12)
    # the camera centre maps to the camera-frame origin
    np.testing.assert_allclose(cam.world_to_camera(cam.position), 0, atol=1e-12)


def test_optical_axis_projects_to_principal_point():
    cam = make_cam()
    np.testing.assert_allclose(cam.project([0.0, 0.0, 3.7]), [480, 520])
    # with distortion too: the axis is the distortion centre
    cam_d = make_cam(k=[0.1, -0.05, 0.01], p=[0.001, -0.002])
    np.testing.assert_allclose(cam_d.project([0.0, 0.0, 2.0]), [480, 520])


def test_pinhole_projection_by_hand():
    cam = make_cam()
    # X/Z = 0.5, Y/Z = -0.25 -> (480 + 500, 520 - 275)
    np.testing.assert_allclose(cam.project([1.0, -0.5, 2.0]), [980.0, 245.0])


def test_distortion_model_by_hand():
    k = np.array([0.1, 0.02, 0.003])
    p = np.array([0.01, -0.02])
    cam = Camera(R=np.eye(3), t=np.zeros(3), fx=100, fy=100, cx=0, cy=0, width=200, height=200, k=k, p=p)
    x, y = 0.2, 0.1
    r2 = x * x + y * y
    radial = 1 + 0.1 * r2 + 0.02 * r2 ** 2 + 0.003 * r2 ** 3
    tan = 0.01 * x - 0.02 * y
    xd = x * (radial + tan) + (-0.02) * r2
    yd = y * (radial + tan) + 0.01 * r2
    np.testing.assert_allclose(cam.project([x * 5, y * 5, 5.0]), [100 * xd, 100 * yd], rtol=1e-12)
    assert cam.has_distortion and not make_cam().has_distortion


def test_dict_round_trip():
    cam = make_cam(k=[0.1, 0.0, 0.0], p=[0.0, 0.01])
    d = cam.to_dict()
    import json

    cam2 = Camera.from_dict(json.loads(json.dumps(d)))
    for name in ("R", "t", "k", "p"):
        np.testing.assert_array_equal(getattr(cam2, name), getattr(cam, name))
    assert (cam2.fx, cam2.fy, cam2.cx, cam2.cy, cam2.width, cam2.height) == (1000, 1100, 480, 520, 960, 1000)


def test_bad_camera_shape():
    with pytest.raises(ShapeError):
        Camera(R=np.eye(2), t=np.zeros(3), fx=1, fy=1, cx=0, cy=0, width=1, height=1)
    with pytest.raises(ShapeError):
        make_cam().project(np.zeros((3, 2)))


def test_look_at_no_roll_and_orientation():
    cam = Camera.look_at([3.0, 1.8, -2.0], [0.0, 1.0, 0.5], f=1000, width=800, height=600)
    R = cam.R
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    # camera x axis (first row of R, in world coordinates) is horizontal
    assert abs(R[0, 1]) < 1e-12
    # camera y axis points downwards in the world
    assert R[1, 1] < 0
    np.testing.assert_allclose(cam.position, [3.0, 1.8, -2.0], atol=1e-12)
    assert (cam.cx, cam.cy) == (400.0, 300.0)
    # the target projects to the principal point
    np.testing.assert_allclose(cam.project_world([0.0, 1.0, 0.5]), [400, 300], atol=1e-9)
    # a point above the target is above the image centre (smaller v)
    above = cam.project_world([0.0, 1.5, 0.5])
    assert above[1] < 300 - 10
    assert above[0] == pytest.approx(400, abs=1e-9)


def test_look_at_right_is_right():
    # a camera at +z looking towards -z with y up (like OpenGL's default view): world +x is
    # on the image's right, world +y at its top
    cam = Camera.look_at([0.0, 1.0, 5.0], [0.0, 1.0, 0.0], f=500, width=500, height=500)
    np.testing.assert_allclose(cam.R, np.diag([1.0, -1.0, -1.0]), atol=1e-12)
    assert cam.project_world([1.0, 1.0, 0.0])[0] > 250
    assert cam.project_world([-1.0, 1.0, 0.0])[0] < 250


def test_look_at_straight_down_is_rejected():
    with pytest.raises(ShapeError):
        Camera.look_at([0.0, 5.0, 0.0], [0.0, 0.0, 0.0])


def test_ring_cameras_positions():
    cams = ring_cameras((1.0, 0.0, -2.0), 6.0, [0, 90, 180], [1.5, 1.7, 1.9], 1.1, 1000, 640, 480)
    expected = [(7.0, 1.5, -2.0), (1.0, 1.7, 4.0), (-5.0, 1.9, -2.0)]
    for cam, pos in zip(cams, expected):
        np.testing.assert_allclose(cam.position, pos, atol=1e-12)
        assert abs(cam.R[0, 1]) < 1e-12
        np.testing.assert_allclose(cam.project_world([1.0, 1.1, -2.0]), [320, 240], atol=1e-9)
        assert cam.fx == cam.fy == 1000
    with pytest.raises(ShapeError):
        ring_cameras((0, 0), 1.0, [0, 90], [1.0, 2.0, 3.0], 1.0, 1000, 100, 100)


def test_mocap_lift_cameras():
    rng = np.random.default_rng(1)
    pel = np.column_stack([rng.uniform(-1, 2, 50), rng.uniform(0.8, 1.0, 50), rng.uniform(-3, 0, 50)])
    cams = mocap_lift_cameras(pel)
    assert len(cams) == 4
    mx, mz = pel[:, 0].mean(), pel[:, 2].mean()
    radius = 5.0 + np.max(np.hypot(pel[:, 0] - mx, pel[:, 2] - mz))
    for cam, a, h in zip(cams, (45, 135, 225, 315), (1.4, 1.6, 1.8, 2.0)):
        a = math.radians(a)
        np.testing.assert_allclose(cam.position, [mx + radius * math.cos(a), h, mz + radius * math.sin(a)], atol=1e-12)
        assert (cam.fx, cam.fy, cam.cx, cam.cy, cam.width, cam.height) == (1145, 1145, 500, 500, 1000, 1000)
        assert not cam.has_distortion
        np.testing.assert_allclose(cam.project_world([mx, 1.0, mz]), [500, 500], atol=1e-9)
    # a standing person anywhere on the path is fully inside every image
    for c in pel[::10]:
        pose = STANDING + np.array([c[0], 0.0, c[2]])
        for cam in cams:
            px = cam.project_world(pose)
            assert np.all(cam.world_to_camera(pose)[:, 2] > 0)
            assert np.all((px > 0) & (px < 1000))
            # head above the ankles in the image
            assert px[10, 1] < px[3, 1]


def test_random_cameras():
    cams = random_cameras(20, (0.5, -1.0), np.random.default_rng(3))
    assert len(cams) == 20
    for cam in cams:
        d = np.hypot(cam.position[0] - 0.5, cam.position[2] + 1.0)
        assert 4.0 <= d <= 7.0
        assert 1.0 <= cam.position[1] <= 2.2
        assert abs(cam.R[0, 1]) < 1e-12
        np.testing.assert_allclose(cam.project_world([0.5, 1.0, -1.0]), [500, 500], atol=1e-9)
    a = random_cameras(3, (0, 0), 7)
    b = random_cameras(3, (0, 0), 7)
    np.testing.assert_array_equal(a[2].R, b[2].R)


# ---------------------------------------------------------------------------------------
# Screen normalisation and torch projection
# ---------------------------------------------------------------------------------------


def test_normalize_screen_by_hand():
    xy = normalize_screen([[0, 0], [1000, 500], [500, 250]], 1000, 500)
    np.testing.assert_allclose(xy, [[-1, -0.5], [1, 0.5], [0, 0]])


@settings(max_examples=25, deadline=None)
@given(st.integers(50, 4000), st.integers(50, 4000), st.integers(0, 2 ** 31))
def test_normalize_round_trip(w, h, seed):
    px = np.random.default_rng(seed).uniform(-100, 5000, size=(3, 4, 2))
    np.testing.assert_allclose(unnormalize_screen(normalize_screen(px, w, h), w, h), px, rtol=1e-10, atol=1e-8)


def test_torch_projection_matches_numpy():
    rng = np.random.default_rng(5)
    cams = random_cameras(3, (0.0, 0.0), rng)
    cams[1] = Camera.look_at(cams[1].position, (0.0, 1.0, 0.0), f=900, width=1200, height=800)
    X = np.stack([STANDING + rng.normal(scale=0.05, size=STANDING.shape) for _ in cams])
    R = torch.tensor(np.stack([c.R for c in cams]))
    t = torch.tensor(np.stack([c.t for c in cams]))
    f = torch.tensor([c.fx for c in cams])
    c = torch.tensor([[cam.cx, cam.cy] for cam in cams])
    w = torch.tensor([float(cam.width) for cam in cams])
    h = torch.tensor([float(cam.height) for cam in cams])
    xy, Xc = project_to_screen_torch(torch.tensor(X), R, t, f, c, w, h)
    assert xy.shape == (3, 17, 2) and Xc.shape == (3, 17, 3)
    for i, cam in enumerate(cams):
        np.testing.assert_allclose(Xc[i].numpy(), cam.world_to_camera(X[i]), atol=1e-12)
        want = normalize_screen(cam.project_world(X[i]), cam.width, cam.height)
        np.testing.assert_allclose(xy[i].numpy(), want, atol=1e-12)
    # scalar intrinsics, float32, gradients flow
    Xt = torch.tensor(X[:1], dtype=torch.float32, requires_grad=True)
    xy1, _ = project_to_screen_torch(Xt, R[:1].float(), t[:1].float(), 1145.0, (500.0, 500.0), 1000, 1000)
    xy1.sum().backward()
    assert Xt.grad is not None and torch.isfinite(Xt.grad).all()
    want = normalize_screen(cams[0].project_world(X[0]), 1000, 1000)
    np.testing.assert_allclose(xy1[0].detach().numpy(), want, atol=1e-4)


# ---------------------------------------------------------------------------------------
# Procrustes
# ---------------------------------------------------------------------------------------


def test_procrustes_random_rotation_is_exact():
    rng = np.random.default_rng(11)
    target = STANDING - STANDING[0]
    Q = random_rotation(rng)
    pred = 1.7 * target @ Q.T + np.array([0.3, -2.0, 5.0])
    np.testing.assert_allclose(procrustes_align(pred, target), target, atol=1e-10)
    # without scale, a rotated + translated copy is still exact
    pred2 = target @ Q.T - 1.0
    np.testing.assert_allclose(procrustes_align(pred2, target, scale=False), target, atol=1e-10)


def test_procrustes_batched_matches_single():
    rng = np.random.default_rng(12)
    target = rng.normal(size=(2, 4, 17, 3))
    pred = target + rng.normal(scale=0.3, size=target.shape)
    batched = procrustes_align(pred, target)
    for i in range(2):
        for j in range(4):
            np.testing.assert_allclose(batched[i, j], procrustes_align(pred[i, j], target[i, j]), atol=1e-12)


def test_procrustes_reflection():
    target = STANDING - STANDING.mean(0)
    mirrored = target * np.array([-1.0, 1.0, 1.0])
    fixed = procrustes_align(mirrored, target)
    assert np.linalg.norm(fixed - target, axis=-1).mean() > 0.01
    free = procrustes_align(mirrored, target, reflection=True)
    np.testing.assert_allclose(free, target, atol=1e-10)


def test_procrustes_is_optimal():
    """No small perturbation of the found transform lowers the error."""
    rng = np.random.default_rng(13)
    target = rng.normal(size=(17, 3))
    pred = target @ random_rotation(rng).T * 0.8 + rng.normal(scale=0.2, size=(17, 3))
    aligned = procrustes_align(pred, target)
    best = np.sum((aligned - target) ** 2)
    mu = aligned.mean(0)
    for _ in range(20):
        Rp = rot(rng.normal(size=3), rng.normal(scale=2.0))
        s = 1 + rng.normal(scale=0.02)
        other = s * (aligned - mu) @ Rp.T + mu + rng.normal(scale=0.01, size=3)
        assert np.sum((other - target) ** 2) >= best - 1e-12


def test_procrustes_shape_errors():
    with pytest.raises(ShapeError):
        procrustes_align(np.zeros((5, 3)), np.zeros((4, 3)))
