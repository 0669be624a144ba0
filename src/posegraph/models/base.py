"""Shared pieces of the lifting models: the base class and the residual GCN building blocks.

Every lifting model takes ``skeleton`` (a name or :class:`~posegraph.skeleton.Skeleton`),
maps ``(B, J, 2)`` to ``(B, J, 3)`` (or a dict holding ``"pose"``) and has
``loss(out, target) -> (scalar, logs)``; the default loss is the MSE over all coordinates.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ShapeError
from ..nn.batch_norm import batch_norm_last, bn_scale_shift
from ..nn.graph_conv import batch_major
from ..nn.layers import make_graph_conv
from ..nn.non_local import NonLocalBlock, default_joint_groups
from ..skeleton import get_skeleton
from .contract import PoseModel, pose_of

__all__ = ["LiftingModel", "ConvBNReLU", "ResBlock", "ResGCNBackbone", "mpjpe"]


def mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint position error (in the units of the inputs)."""
    return torch.linalg.vector_norm(pred - target, dim=-1).mean()


class LiftingModel(PoseModel):
    """Base class: skeleton handling, input checks, default MSE loss."""

    def __init__(self, skeleton="h36m16"):
        super().__init__()
        self.skeleton = get_skeleton(skeleton)
        self.num_joints = self.skeleton.num_joints
        self.root = self.skeleton.parents.index(-1)

    def _check_input(self, x: torch.Tensor) -> None:
        if torch.jit.is_tracing():
            return
        if x.dim() != 3 or x.shape[1] != self.num_joints or x.shape[2] != 2:
            raise ShapeError(f"{type(self).__name__} expects (B, {self.num_joints}, 2) input, "
                             f"got {tuple(x.shape)}")

    _pose = staticmethod(pose_of)

    def loss(self, out, target: torch.Tensor):
        pose = self._pose(out)
        mse = F.mse_loss(pose, target)
        return mse, {"mse": mse.detach(), "mpjpe": mpjpe(pose.detach(), target)}


class ConvBNReLU(nn.Module):
    """graph conv -> batch norm (over channels) -> ReLU -> optional dropout. Like every layer
    here, ``forward`` takes ``(B, J, C)`` and ``forward_jm`` joint-major ``(J, B, C)``
    (see :mod:`posegraph.nn.graph_conv`)."""

    def __init__(self, conv: nn.Module, channels: int, dropout: float | None = None):
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm1d(channels)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        h = batch_norm_last(self.bn, self.conv.forward_jm(x))
        # in place when nothing records the graph (inference): no fresh buffer per layer
        return self.dropout(F.relu(h, inplace=not torch.is_grad_enabled()))

    def fold_bn_(self) -> None:
        """Fold the (evaluation-mode) batch norm into the convolution."""
        if not isinstance(self.bn, nn.Identity):
            self.conv.scale_output_(*bn_scale_shift(self.bn))
            self.bn = nn.Identity()


class ResBlock(nn.Module):
    """Two :class:`ConvBNReLU` with an identity shortcut."""

    def __init__(self, kind: str, channels: int, adjacency, dropout: float | None = None):
        super().__init__()
        self.layer1 = ConvBNReLU(make_graph_conv(kind, channels, channels, adjacency), channels, dropout)
        self.layer2 = ConvBNReLU(make_graph_conv(kind, channels, channels, adjacency), channels, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer2.forward_jm(self.layer1.forward_jm(x))
        return h.add_(x) if not torch.is_grad_enabled() else x + h


class ResGCNBackbone(nn.Module):
    """Input conv (2 -> hidden) + BN + ReLU, ``num_blocks`` residual blocks, optional non-local
    blocks after the input layer and after every residual block; returns hidden features.
    ``forward`` is batch-major ``(B, J, C)``; ``forward_jm`` joint-major ``(J, B, C)``.

    ``joint_embedding=True`` (not in the papers; default off): a learned vector per joint added to
    the input layer's output, ``h_i <- h_i + e_i``, zero at start (the untrained network is the
    plain one). For convolutions whose weights are shared by all joints (vanilla, decoupled), joint
    identity otherwise reaches the network only through the 2D input and the graph."""

    def __init__(self, skeleton, conv: str = "vanilla", in_features: int = 2, hidden: int = 128,
                 num_blocks: int = 4, non_local: bool = False, dropout: float | None = None,
                 joint_embedding: bool = False):
        super().__init__()
        sk = get_skeleton(skeleton)
        # joint-major (J, 1, C); zeros: the plain network at start
        self.joint_embedding = nn.Parameter(torch.zeros(sk.num_joints, 1, hidden)) if joint_embedding else None
        layers: list[nn.Module] = [ConvBNReLU(make_graph_conv(conv, in_features, hidden, sk), hidden, dropout)]
        groups = default_joint_groups(sk) if non_local else None
        if non_local:
            layers.append(NonLocalBlock(hidden, groups))
        for _ in range(num_blocks):
            layers.append(ResBlock(conv, hidden, sk, dropout))
            if non_local:
                layers.append(NonLocalBlock(hidden, groups))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer.forward_jm(x)
            if i == 0 and self.joint_embedding is not None:
                x = x + self.joint_embedding
        return x
