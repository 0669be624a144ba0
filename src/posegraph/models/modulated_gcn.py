"""Modulated GCN (Zou & Tang, ICCV 2021, "Modulated graph convolutional network for 3D human
pose estimation").

What is followed (paper and the authors' release): modulated graph convolutions
(:class:`posegraph.nn.modulated_conv.ModulatedGraphConv`: weight modulation ``M`` per node
and channel, initialised to ones; adjacency modulation ``Q``, initialised to 1e-6, added to
the row-normalised ``A + I`` and symmetrised) in the residual structure of SemGCN: input
conv 2 -> ``hidden`` + BN + ReLU, ``num_blocks`` residual blocks of two [conv, BN, ReLU],
output conv ``hidden`` -> 3. Defaults as in the authors' code: ``hidden=128``,
``num_blocks=4``, no dropout, no non-local blocks (0.29M parameters for 16 joints, the
paper's count). Loss as in the authors' code: ``(1 - l1_weight) MSE + l1_weight L1`` with
``l1_weight=0.1`` (set 0 for plain MSE). The authors also clip the gradient norm at 1; that
is the training engine's business.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ..nn.layers import make_graph_conv
from .base import LiftingModel, ResGCNBackbone, mpjpe
from .registry import register_model

__all__ = ["ModulatedGCN"]


@register_model("modulated-gcn", task="lift")
class ModulatedGCN(LiftingModel):
    def __init__(self, skeleton="h36m16", hidden: int = 128, num_blocks: int = 4, dropout: float | None = None,
                 non_local: bool = False, l1_weight: float = 0.1):
        super().__init__(skeleton)
        self.l1_weight = float(l1_weight)
        self.backbone = ResGCNBackbone(self.skeleton, "modulated", 2, hidden, num_blocks, non_local, dropout)
        self.output = make_graph_conv("modulated", hidden, 3, self.skeleton)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.output.forward_jm(self.backbone.forward_jm(x.transpose(0, 1))).transpose(0, 1)

    def loss(self, out, target):
        pose = self._pose(out)
        mse = F.mse_loss(pose, target)
        l1 = F.l1_loss(pose, target)
        loss = (1 - self.l1_weight) * mse + self.l1_weight * l1
        return loss, {"mse": mse.detach(), "l1": l1.detach(), "mpjpe": mpjpe(pose.detach(), target)}
