r"""Perceptual feature pooling: image features sampled at the 2D joints (SemGCN's image input).

SemGCN (Zhao et al., CVPR 2019, Sec. 4.2) concatenates, to each joint's 2D coordinates, the
features of a CNN's intermediate layers sampled at that joint's image location. Here:

* :class:`SmallBackbone`: a small in-repo CNN (no downloaded weights) returning feature maps
  at strides 1, 2 and 4. Downsampling is 2x2 average pooling followed by a 3x3 convolution
  with padding 1, so that feature cell ``(i, j)`` of the stride-``s`` map covers exactly the
  image pixels ``[s*j, s*(j+1))`` (and rows likewise): its centre is at pixel
  ``s*j + (s-1)/2``.
* :func:`pool_at_joints`: bilinear sampling of feature maps at pixel positions with
  ``torch.nn.functional.grid_sample``.
* :class:`JointFeaturePool`: backbone + pooling; ``(B, 3, H, W)`` images and ``(B, J, 2)``
  pixel joints -> ``(B, J, C)`` features (``C`` = sum of the layers' channels).

Pixel convention: a keypoint at integer ``(x, y)`` is the *centre* of pixel column ``x`` and
row ``y`` (COCO/OpenCV convention); the image spans ``[-0.5, W-0.5] x [-0.5, H-0.5]``. With
``align_corners=False`` ``grid_sample`` takes ``-1``/``+1`` as the outer *edges* of the
border pixels, so the grid coordinate is

.. math::  g_x = \frac{2 (x + 0.5)}{W} - 1, \qquad g_y = \frac{2 (y + 0.5)}{H} - 1,

the same for every feature map that evenly covers the image (a stride-``s`` map of width
``W/s``): at the centre of feature cell ``j`` (``x = s j + (s-1)/2``) it samples exactly that
cell, and bilinearly in between. (``align_corners=True`` would instead put ``-1``/``+1`` on
the border pixels' centres, which differ between layers of different strides.) Positions
outside the image take the border value (``padding_mode="border"``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ShapeError

__all__ = ["SmallBackbone", "pixels_to_grid", "pool_at_joints", "JointFeaturePool", "normalize_image"]

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)


def normalize_image(images: torch.Tensor) -> torch.Tensor:
    """``(B, H, W, 3)`` uint8 (or ``(B, 3, H, W)`` float in [0, 1]) -> standardised ``(B, 3, H, W)``."""
    if images.dtype == torch.uint8:
        if images.dim() != 4 or images.shape[-1] != 3:
            raise ShapeError(f"uint8 images must be (B, H, W, 3), got {tuple(images.shape)}")
        images = images.permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGE_MEAN, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGE_STD, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    return (images - mean) / std


class SmallBackbone(nn.Module):
    """A few conv layers; returns the feature maps at strides 1, 2, 4, ... (one per channel entry).

    Layer 0: 3x3 conv (3 -> ``channels[0]``) + ReLU at full resolution. Layer ``k > 0``: 2x2
    average pooling, 3x3 conv + ReLU. Image sides should be divisible by ``2**(len(channels)-1)``
    for the stride-``s`` cells to cover exactly ``s x s`` pixels (otherwise the last partial
    cells are dropped by the pooling and the sampling is off by under one cell at the border).
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 64), in_channels: int = 3):
        super().__init__()
        self.channels = tuple(int(c) for c in channels)
        layers = []
        prev = in_channels
        for k, c in enumerate(self.channels):
            conv = nn.Conv2d(prev, c, kernel_size=3, padding=1)
            layers.append(nn.Sequential(*([nn.AvgPool2d(2)] if k else []), conv, nn.ReLU(inplace=False)))
            prev = c
        self.layers = nn.ModuleList(layers)

    @property
    def strides(self) -> tuple[int, ...]:
        return tuple(2 ** k for k in range(len(self.channels)))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        if images.dim() != 4:
            raise ShapeError(f"images must be (B, C, H, W), got {tuple(images.shape)}")
        maps = []
        h = images
        for layer in self.layers:
            h = layer(h)
            maps.append(h)
        return maps


def pixels_to_grid(joints_px: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """Pixel positions ``(B, J, 2)`` (pixel centres at integers) -> ``grid_sample`` coordinates.

    ``image_size`` is ``(width, height)`` of the image the positions refer to.
    """
    W, H = image_size
    scale = joints_px.new_tensor([2.0 / W, 2.0 / H])
    return (joints_px + 0.5) * scale - 1.0


def pool_at_joints(feature_maps: Sequence[torch.Tensor], joints_px: torch.Tensor,
                   image_size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly sample each ``(B, C_l, h_l, w_l)`` map at the joints; ``(B, J, sum C_l)``.

    Every map is taken to cover the whole ``image_size = (width, height)`` image (see the
    module docstring for the pixel convention and ``align_corners=False``).
    """
    if joints_px.dim() != 3 or joints_px.shape[-1] != 2:
        raise ShapeError(f"joints must be (B, J, 2) pixels, got {tuple(joints_px.shape)}")
    grid = pixels_to_grid(joints_px, image_size).unsqueeze(2)  # (B, J, 1, 2)
    out = []
    for fm in feature_maps:
        if fm.dim() != 4 or fm.shape[0] != joints_px.shape[0]:
            raise ShapeError(f"feature map {tuple(fm.shape)} does not match joints {tuple(joints_px.shape)}")
        s = F.grid_sample(fm, grid.to(fm.dtype), mode="bilinear", padding_mode="border", align_corners=False)
        out.append(s.squeeze(-1).transpose(1, 2))  # (B, C, J, 1) -> (B, J, C)
    return torch.cat(out, dim=-1)


class JointFeaturePool(nn.Module):
    """CNN features at the 2D joints: ``(B, 3, H, W)`` images, ``(B, J, 2)`` pixels -> ``(B, J, C)``.

    ``layers`` picks which backbone outputs to pool (default all); ``out_channels`` is their
    total channel count.
    """

    def __init__(self, backbone: nn.Module | None = None, layers: Sequence[int] | None = None):
        super().__init__()
        self.backbone = backbone if backbone is not None else SmallBackbone()
        chans = tuple(getattr(self.backbone, "channels"))
        self.layers = tuple(range(len(chans))) if layers is None else tuple(int(i) for i in layers)
        self.out_channels = sum(chans[i] for i in self.layers)

    def forward(self, images: torch.Tensor, joints_px: torch.Tensor) -> torch.Tensor:
        maps = self.backbone(images)
        H, W = images.shape[-2:]
        return pool_at_joints([maps[i] for i in self.layers], joints_px, (W, H))
