"""Perceptual feature pooling (SemGCN image features) on real frames of walk_demo.mp4."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posegraph.nn.feature_pool import JointFeaturePool, SmallBackbone, normalize_image, pool_at_joints, pixels_to_grid


@pytest.fixture(scope="module")
def frames(shared_media):
    """Two real frames (0 and 30), centre crop 256x192 of the half-size frame (sides divisible by 4)."""
    from PIL import Image

    from posegraph.apps.video import iter_frames

    out = []
    for _, fr in iter_frames(shared_media / "walk_demo.mp4", [0, 30]):
        half = np.asarray(Image.fromarray(fr).resize((fr.shape[1] // 2, fr.shape[0] // 2), Image.BILINEAR))
        h, w = half.shape[:2]
        y0, x0 = (h - 192) // 2, (w - 256) // 2
        out.append(half[y0:y0 + 192, x0:x0 + 256])
    return torch.as_tensor(np.stack(out))  # (2, 192, 256, 3) uint8


@pytest.fixture(scope="module")
def maps_and_images(frames):
    torch.manual_seed(0)
    net = SmallBackbone((8, 12, 16)).eval()
    images = normalize_image(frames)
    with torch.no_grad():
        maps = net(images)
    return net, images, maps


def test_backbone_shapes(maps_and_images):
    net, images, maps = maps_and_images
    assert images.shape == (2, 3, 192, 256)
    assert [tuple(m.shape) for m in maps] == [(2, 8, 192, 256), (2, 12, 96, 128), (2, 16, 48, 64)]
    assert net.strides == (1, 2, 4)
    assert all(m.std() > 0 for m in maps)  # real image content gives non-constant features


def test_exact_at_pixel_centres(maps_and_images):
    _, images, maps = maps_and_images
    rng = np.random.default_rng(0)
    J = 17
    # full-resolution layer: integer pixel positions are the pixel centres
    xs, ys = rng.integers(0, 256, (2, J)), rng.integers(0, 192, (2, J))
    px = torch.as_tensor(np.stack([xs, ys], -1), dtype=torch.float32)
    got = pool_at_joints([maps[0]], px, (256, 192))
    want = torch.stack([maps[0][b, :, ys[b], xs[b]].T for b in range(2)])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    # stride-s layers: the centre of cell (i, j) is pixel (s*j + (s-1)/2, s*i + (s-1)/2)
    for layer, s in ((1, 2), (2, 4)):
        fm = maps[layer]
        h, w = fm.shape[-2:]
        cj, ci = rng.integers(0, w, (2, J)), rng.integers(0, h, (2, J))
        px = torch.as_tensor(np.stack([s * cj + (s - 1) / 2, s * ci + (s - 1) / 2], -1), dtype=torch.float32)
        got = pool_at_joints([fm], px, (256, 192))
        want = torch.stack([fm[b, :, ci[b], cj[b]].T for b in range(2)])
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_bilinear_between_centres(maps_and_images):
    _, _, maps = maps_and_images
    fm = maps[0]
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, 17)
    y = rng.uniform(0, 191, 17)
    px = torch.as_tensor(np.stack([x, y], -1)[None].repeat(2, 0), dtype=torch.float32)
    got = pool_at_joints([fm], px, (256, 192))
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    ax, ay = torch.as_tensor(x - x0, dtype=torch.float32), torch.as_tensor(y - y0, dtype=torch.float32)
    f = lambda yy, xx: fm[:, :, yy, xx].permute(0, 2, 1)  # noqa: E731  (B, J, C)
    want = ((1 - ay)[:, None] * ((1 - ax)[:, None] * f(y0, x0) + ax[:, None] * f(y0, x0 + 1))
            + ay[:, None] * ((1 - ax)[:, None] * f(y0 + 1, x0) + ax[:, None] * f(y0 + 1, x0 + 1)))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_grid_convention():
    g = pixels_to_grid(torch.tensor([[[-0.5, -0.5], [99.5, 49.5], [49.5, 24.5]]]), (100, 50))
    torch.testing.assert_close(g, torch.tensor([[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]]))


def test_joint_feature_pool_and_semgcn_image_gradients(frames):
    from posegraph.models import build_model
    import posegraph.models.semgcn_image  # noqa: F401  (registers semgcn-image)

    torch.manual_seed(0)
    net = build_model("semgcn-image", skeleton="h36m16", hidden=32, num_blocks=1, backbone_channels=(4, 8, 8))
    assert net.feature_channels == 20
    images = normalize_image(frames)
    px = torch.rand(2, 16, 2) * torch.tensor([255.0, 191.0])
    px.requires_grad_(True)
    x = torch.randn(2, 16, 2)
    out = net(x, images, px)
    assert out.shape == (2, 16, 3)
    out.square().sum().backward()
    conv0 = net.pool.backbone.layers[0][0]  # full-resolution conv (no pooling in front)
    assert conv0.weight.grad is not None and conv0.weight.grad.abs().sum() > 0
    assert net.pool.backbone.layers[2][1].weight.grad.abs().sum() > 0
    assert px.grad is not None and px.grad.abs().sum() > 0  # bilinear sampling is differentiable in position
    # features change the output; without images the features are zero
    with torch.no_grad():
        net.eval()
        a = net(x, images, px)
        b = net(x)
        c = net(x, features=torch.zeros(2, 16, 20))
    assert not torch.allclose(a, b)
    torch.testing.assert_close(b, c)
    pool = JointFeaturePool(SmallBackbone((4, 8)), layers=[1])
    assert pool(images, px.detach()).shape == (2, 16, 8)


def test_semgcn_image_in_a_pipeline():
    import posegraph.models.semgcn_image  # noqa: F401
    from posegraph.pipeline import Pipeline

    pipe = Pipeline("semgcn-image", {"skeleton": "h36m16", "hidden": 16, "num_blocks": 1}).eval()
    with torch.no_grad():
        assert pipe(torch.zeros(3, 16, 2)).shape == (3, 16, 3)
