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
