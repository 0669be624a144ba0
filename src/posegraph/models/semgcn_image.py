"""SemGCN with perceptual image features at the joints (Zhao et al., CVPR 2019, Sec. 4.2).

``semgcn-image`` is :class:`~posegraph.models.semgcn.SemGCN` whose input layer takes, per
joint, the 2D coordinates concatenated with CNN features sampled at the joint's image position
(:class:`posegraph.nn.feature_pool.JointFeaturePool`: a small in-repo backbone, features at
strides 1, 2 and 4, bilinear ``grid_sample``). Everything after the input layer is SemGCN's.

Calling: ``model(x, images=None, joints_px=None, features=None)``

* ``x`` ``(B, J, 2)``: the 2D joints as every lifting model takes them (normalised screen
  coordinates, standardised by the :class:`~posegraph.pipeline.Pipeline`);
* ``images`` ``(B, 3, H, W)`` standardised images (:func:`~posegraph.nn.feature_pool.normalize_image`)
  and ``joints_px`` ``(B, J, 2)`` the joints in those images' pixels; or
* ``features`` ``(B, J, C)`` already pooled features (e.g. precomputed for a dataset).

Without images or features the feature channels are zero, so the model also runs where only
2D is available (``Pipeline("semgcn-image")``, ONNX export, the generic model tests) - but it
is meant to be trained and used with images. It is untrained in posegraph (no image dataset
with 3D labels here): see ``docs/image_features.md``.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..errors import ShapeError
from ..nn.feature_pool import JointFeaturePool, SmallBackbone
from .base import ResGCNBackbone
from .registry import register_model
from .semgcn import SemGCN

__all__ = ["SemGCNImage"]


@register_model("semgcn-image", task="lift")
class SemGCNImage(SemGCN):
    def __init__(self, skeleton="h36m16", hidden: int = 128, num_blocks: int = 4, non_local: bool = True,
                 channel_wise: bool = False, dropout: float | None = None,
                 backbone_channels: Sequence[int] = (16, 32, 64), pool_layers: Sequence[int] | None = None):
        super().__init__(skeleton, hidden=hidden, num_blocks=num_blocks, non_local=non_local,
                         channel_wise=channel_wise, dropout=dropout)
        self.pool = JointFeaturePool(SmallBackbone(backbone_channels), pool_layers)
        self.feature_channels = self.pool.out_channels
        conv = "semantic_cw" if channel_wise else "semantic"
        # SemGCN's backbone with a wider input layer: 2 coordinates + the pooled features
        self.backbone = ResGCNBackbone(self.skeleton, conv, 2 + self.feature_channels, hidden,
                                       num_blocks, non_local, dropout)

    def joint_features(self, images: torch.Tensor, joints_px: torch.Tensor) -> torch.Tensor:
        """``(B, J, C)`` backbone features at the joints."""
        return self.pool(images, joints_px)

    def forward(self, x: torch.Tensor, images: torch.Tensor | None = None, joints_px: torch.Tensor | None = None,
                features: torch.Tensor | None = None) -> torch.Tensor:
        self._check_input(x)
        if features is None:
            if images is not None:
                if joints_px is None:
                    raise ShapeError("semgcn-image: pass joints_px (B, J, 2 pixels) with images")
                features = self.joint_features(images, joints_px)
            else:
                # zeros built from x (not from its shape), so traced/exported graphs keep a dynamic batch
                features = torch.zeros_like(x[..., :1]).expand(-1, -1, self.feature_channels)
        elif features.shape != (x.shape[0], x.shape[1], self.feature_channels):
            raise ShapeError(f"semgcn-image: features must be {(x.shape[0], x.shape[1], self.feature_channels)}, "
                             f"got {tuple(features.shape)}")
        return self.output(self.backbone(torch.cat([x, features.to(x.dtype)], dim=-1)))
