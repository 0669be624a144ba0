"""Random virtual cameras and flips for lifting training, on the real benchmark frames."""

import numpy as np
import torch

from posegraph.config import load_config
from posegraph.geometry import look_at_rotation, random_look_at_torch
from posegraph.skeleton import H36M16
from posegraph.train.data import lift_training_data
from posegraph.train.module import PoseModule


def _bones(p):
    return np.stack([np.linalg.norm(p[:, c] - p[:, q], axis=-1) for q, c in H36M16.edges], -1)


def test_torch_cameras_match_numpy_look_at():
    g = torch.Generator().manual_seed(0)
    centre = torch.tensor([[0.3, -1.2], [5.0, 2.0], [-3.0, 0.5]], dtype=torch.float64)
    R, t = random_look_at_torch(centre, generator=g)
    pos = -torch.einsum("bji,bj->bi", R, t)  # camera centre = -R^T t
    for i in range(3):
        d = np.hypot(pos[i, 0] - centre[i, 0], pos[i, 2] - centre[i, 1])
        assert 4.0 <= d <= 7.0 and 1.0 <= pos[i, 1] <= 2.2
        target = [centre[i, 0], 1.0, centre[i, 1]]
        assert np.allclose(R[i].numpy(), look_at_rotation(pos[i].numpy(), target), atol=1e-9)


def test_world_pose_of_each_sample_is_its_frame():
    tr, _ = lift_training_data(H36M16, world=True)
    idx = torch.randint(0, len(tr), (64,), generator=torch.Generator().manual_seed(1))
    b = tr.gather(idx)
    # same frame seen by a camera: identical bone lengths
    assert np.allclose(_bones(b["w"].double().numpy()), _bones(b["y"].double().numpy()), atol=1e-4)


def test_random_camera_augmentation_renders_consistent_samples():
    cfg = load_config("configs/lift/semgcn.yaml", ["data.random_cameras=1.0", "data.flip=false"])
    m = PoseModule(cfg)
    tr, _ = lift_training_data(H36M16, world=True)
    b = tr.gather(torch.arange(0, 64))
    x, y = m._augment(b["x"], b["y"], b["w"])
    assert not torch.allclose(x, b["x"])  # new viewpoints
    assert y[:, 0].abs().max() == 0  # pelvis-relative
    assert np.allclose(_bones(y.double().numpy()), _bones(b["w"].double().numpy()), atol=1e-4)
    assert x[:, 0].abs().max() < 0.2  # the camera looks at the subject: pelvis near the image centre
    assert torch.isfinite(x).all() and x.abs().max() < 1.0


# ---------------------------------------------------------------------------------------
# forecasting: vertical-axis rotations and mirroring of whole windows

def _forecast_batch(n=64):
    from posegraph.skeleton import get_skeleton
    from posegraph.train.data import forecast_training_data

    tr, _ = forecast_training_data(get_skeleton("h36m17"))
    return tr.gather(torch.arange(0, n * 7, 7))


def test_forecast_rotation_and_flip_transform_past_and_future_alike():
    from posegraph.skeleton import H36M17

    b = _forecast_batch()
    cfg = load_config("configs/forecast/sts_gcn.yaml", ["data.rotate=true", "data.flip=true"])
    m = PoseModule(cfg)
    torch.manual_seed(3)
    x, y = m._augment(b["x"], b["y"])
    assert x.shape == b["x"].shape and y.shape == b["y"].shape and not torch.allclose(x, b["x"])
    # rigid (or mirrored) about the vertical axis: heights and per-joint distances are kept
    heights = lambda p: p[..., 1].sort(-1).values  # noqa: E731  (flips permute the joints)
    assert torch.allclose(heights(x), heights(b["x"]), atol=1e-5)
    d = lambda p, q: (p[:, -1:] - q).norm(dim=-1).sort(-1).values  # noqa: E731
    assert torch.allclose(d(x, y), d(b["x"], b["y"]), atol=1e-5)  # past and future moved together
    bones = lambda p: torch.stack([(p[..., c, :] - p[..., q, :]).norm(dim=-1) for q, c in H36M17.edges], -1)  # noqa: E731
    assert torch.allclose(bones(y).sort(-1).values, bones(b["y"]).sort(-1).values, atol=1e-5)
    # off by default: the windows are returned untouched
    plain = PoseModule(load_config("configs/forecast/sts_gcn.yaml", ["data.flip=false"]))
    x0, y0 = plain._augment(b["x"], b["y"])
    assert torch.equal(x0, b["x"]) and torch.equal(y0, b["y"])


def test_forecast_playback_speed_resamples_each_window_within_its_take():
    """data.speed: a window replayed at speed r is the take sampled at r * k from its start
    (real mocap), never reaches past the end of its take, and is off by default."""
    from posegraph.skeleton import get_skeleton
    from posegraph.train.augment import _replay
    from posegraph.train.data import forecast_training_data

    tr, _ = forecast_training_data(get_skeleton("h36m17"), speed=0.5)
    ends = tr.ends
    last = torch.nonzero(tr.starts + 35 == ends).flatten()[:8]  # windows that end exactly with their take
    idx = torch.cat([torch.arange(0, 64 * 7, 7), last])
    b = tr.gather(idx)
    assert b["w"].shape[1] == 52 and torch.equal(b["w"][:, :35], torch.cat([b["x"], b["y"]], 1))
    assert torch.isnan(b["w"][len(idx) - len(last):, 35:]).all()  # past the take's end: nothing
    cfg = load_config("configs/forecast/sts_gcn.yaml", ["data.speed=0.5", "data.flip=false"])
    m = PoseModule(cfg)
    torch.manual_seed(0)
    x, y = m._augment(b["x"], b["y"], b["w"])
    assert x.shape == b["x"].shape and y.shape == b["y"].shape and torch.isfinite(torch.cat([x, y], 1)).all()
    assert not torch.allclose(x[:64], b["x"][:64])
    # windows at the end of their take cannot be sped up: at most the original speed
    steps = lambda p: (p[:, 1:] - p[:, :-1]).norm(dim=-1).mean((1, 2))  # noqa: E731
    assert (steps(torch.cat([x, y], 1))[64:] <= steps(torch.cat([b["x"], b["y"]], 1))[64:] * 1.001).all()
    # a take moving at one unit per frame: frame k of a replayed window sits at r * k, r in [1-s, 1+s]
    take = torch.arange(40.0)[None, :, None, None].expand(5, 40, 1, 3).clone()
    take[4, 30:] = float("nan")  # a take that ends 30 frames after the window's start
    torch.manual_seed(1)
    px, py = _replay(10, 25, take, 0.5)
    w = torch.cat([px, py], 1)[..., 0, 0]  # (5, 25)
    r = w[:, 1] - w[:, 0]
    assert torch.allclose(w, r[:, None] * torch.arange(25.0), atol=1e-5)
    assert ((r >= 0.5 - 1e-6) & (r <= 1.5 + 1e-6)).all() and r[4] <= 29 / 24 + 1e-6
    # off by default: no long windows gathered, nothing resampled
    plain, _ = forecast_training_data(get_skeleton("h36m17"))
    assert "w" not in plain.gather(idx[:4])


def test_forecast_scale_scales_each_window_about_the_pelvis():
    """``data.scale``: one factor per window, past and future alike, within U(1 - c, 1 + c)."""
    b = _forecast_batch()
    assert torch.allclose(b["x"][:, :, 0], torch.zeros_like(b["x"][:, :, 0]), atol=1e-6)  # pelvis-relative windows
    m = PoseModule(load_config("configs/forecast/sts_gcn.yaml", ["data.flip=false", "data.scale=0.1"]))
    torch.manual_seed(0)
    x, y = m._augment(b["x"], b["y"])
    big = b["x"].abs() > 1e-3
    f = (x[big] / b["x"][big])
    fx = (x / b["x"].where(big, torch.ones_like(b["x"])))  # per-window factor, read off the past
    for i in range(len(x)):
        ratios = fx[i][big[i]]
        assert torch.allclose(ratios, ratios[0].expand_as(ratios), atol=1e-4)  # one factor per window
        assert torch.allclose(y[i], b["y"][i] * ratios[0], atol=1e-5)  # the future scaled alike
    assert 0.9 - 1e-6 <= float(f.min()) and float(f.max()) <= 1.1 + 1e-6 and float(f.std()) > 0.01


# ---------------------------------------------------------------------------------------
# other people's proportions (data.bone_scale)

def _test_batch(n=256):
    from posegraph.data.lift import load_lift
    from posegraph.skeleton import H36M17

    te = load_lift("test", "gt")
    j = [H36M17.joints.index(name) for name in H36M16.joints]
    idx = np.linspace(0, len(te) - 1, n).astype(int)
    return torch.tensor(te.p2d[idx][:, j]), torch.tensor(te.p3d[idx][:, j])


def test_camera_root_puts_the_pose_back_where_the_camera_saw_it():
    from posegraph.geometry import MOCAP_LIFT, project_to_screen_torch
    from posegraph.train.augment import camera_root

    x, y = _test_batch()
    t = camera_root(x, y)
    assert (t[:, 2] > 3.0).all()  # in front of the camera, metres away
    eye = torch.eye(3, dtype=torch.float64).expand(len(x), 3, 3)
    xy, _ = project_to_screen_torch(y.double(), eye, t, MOCAP_LIFT["focal"], torch.tensor([500.0, 500.0]), 1000.0, 1000.0)
    assert (xy - x.double()).abs().max() * 500 < 0.01  # under 1/100 pixel


def test_bone_scale_makes_a_person_of_other_proportions_seen_by_the_same_camera():
    from posegraph.pipeline import Pipeline
    from posegraph.train.augment import camera_root, rescale_bones

    x, y = _test_batch()
    perm = Pipeline("semgcn", {"skeleton": "h36m16"}).flip_perm
    x0, y0 = rescale_bones(x, y, 0.0, H36M16.parents, perm)  # no change: the exact round trip
    assert torch.allclose(x0, x, atol=1e-6) and torch.allclose(y0, y, atol=1e-6)
    torch.manual_seed(0)
    x1, y1 = rescale_bones(x, y, 0.1, H36M16.parents, perm)
    ratio = _bones(y1.double().numpy()) / _bones(y.double().numpy())
    assert ratio.min() >= 0.9 * 0.95 - 1e-6 and ratio.max() <= 1.1 * 1.05 + 1e-6
    assert ratio.std(axis=0).mean() > 0.03  # people differ
    # a left bone and its right twin change alike (the flip permutation pairs the joints)
    for q, c in H36M16.edges:
        twin = int(perm[c])
        if twin != c:
            k, k2 = H36M16.edges.index((q, c)), [e[1] for e in H36M16.edges].index(twin)
            assert np.allclose(ratio[:, k], ratio[:, k2], atol=1e-5)
    assert y1[:, 0].abs().max() == 0  # still pelvis-relative
    # the 2D is the exact view of the new pose from the old root position
    assert torch.allclose(camera_root(x1, y1), camera_root(x, y), atol=1e-4)
    assert ((x1 - x).abs() * 500).mean() > 0.5  # and it moved by pixels, not nothing


def test_bone_scale_in_training_augmentation():
    cfg = load_config("configs/lift/semgcn.yaml", ["data.bone_scale=0.1", "data.flip=false", "data.noise_px=0"])
    m = PoseModule(cfg)
    x, y = _test_batch(64)
    torch.manual_seed(1)
    xa, ya = m._augment(x, y)
    assert not torch.allclose(ya, y) and not torch.allclose(xa, x)
    plain = PoseModule(load_config("configs/lift/semgcn.yaml", ["data.flip=false", "data.noise_px=0"]))
    xb, yb = plain._augment(x, y)
    assert torch.equal(xb, x) and torch.equal(yb, y)
