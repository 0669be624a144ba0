"""Residual graph convolutional lifting network (the SemGCN architecture with a choice of
graph convolution).

Structure (Zhao et al., CVPR 2019, Fig. 3): graph conv 2 -> ``hidden`` + BN + ReLU,
``num_blocks`` residual blocks of two [graph conv, BN, ReLU], graph conv ``hidden`` -> 3;
optionally a non-local block after the input layer and after every residual block.
``conv``: ``"vanilla"`` (Kipf & Welling), ``"decoupled"`` (Liu et al. 2020), ``"semantic"``
(SemGCN), ``"semantic_cw"`` (channel-wise SemGCN). Loss: MSE over all coordinates.
``joint_embedding``: a learned per-joint vector after the input layer (not in the papers; see
:class:`~posegraph.models.base.ResGCNBackbone`).
"""

from __future__ import annotations

import torch

from ..nn.layers import make_graph_conv
from .base import LiftingModel, ResGCNBackbone
from .registry import register_model

__all__ = ["ResGCN"]


@register_model("resgcn", task="lift")
class ResGCN(LiftingModel):
    def __init__(self, skeleton="h36m16", conv: str = "vanilla", hidden: int = 128, num_blocks: int = 4,
                 non_local: bool = False, dropout: float | None = None, joint_embedding: bool = False):
        super().__init__(skeleton)
        self.backbone = ResGCNBackbone(self.skeleton, conv, 2, hidden, num_blocks, non_local, dropout,
                                       joint_embedding)
        self.output = make_graph_conv(conv, hidden, 3, self.skeleton)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.output.forward_jm(self.backbone.forward_jm(x.transpose(0, 1))).transpose(0, 1)
