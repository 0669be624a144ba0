"""SemGCN (Zhao et al., CVPR 2019, "Semantic graph convolutional networks for 3D human pose
regression").

Semantic graph convolutions in the residual structure of :mod:`.resgcn`, 128 channels,
4 residual blocks, and (``non_local=True``) a non-local block after the input layer and
after every residual block. As in the paper's release, the non-local blocks work on
grouped joints: ``phi`` and ``g`` are max-pooled over 8 groups of neighbouring joints
(see :func:`posegraph.nn.non_local.default_joint_groups`). Parameters for 16 joints:
0.267M without, 0.435M with non-local blocks. ``channel_wise=True`` uses one edge-weight
vector per output channel. Loss: MSE over all coordinates.
"""

from __future__ import annotations

from .registry import register_model
from .resgcn import ResGCN

__all__ = ["SemGCN"]


@register_model("semgcn", task="lift")
class SemGCN(ResGCN):
    def __init__(self, skeleton="h36m16", hidden: int = 128, num_blocks: int = 4, non_local: bool = True,
                 channel_wise: bool = False, dropout: float | None = None):
        super().__init__(skeleton, conv="semantic_cw" if channel_wise else "semantic", hidden=hidden,
                         num_blocks=num_blocks, non_local=non_local, dropout=dropout)
