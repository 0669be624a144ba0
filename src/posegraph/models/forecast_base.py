"""Shared parts of the space-time GCN forecasters (STS-GCN, SeS-GCN).

Contract: ``forward(x)`` maps past poses ``(B, T_in, V, 3)`` (pelvis-relative, metres) to
future poses ``(B, T_out, V, 3)``; ``loss(out, target)`` returns ``(MPJPE, logs)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ShapeError
from ..nn.space_time_conv import SpaceTimeAdjacency, SpaceTimeGraphConv
from ..nn.temporal_decoder import TemporalConvDecoder
from ..skeleton import get_skeleton
from .contract import PoseModel

__all__ = ["mpjpe", "yaw_matrices", "heading_rotation", "SpaceTimeForecaster"]


def mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean per-joint position error: :math:`\frac{1}{B T V}\sum_{b,t,v} \|\hat p_{btv} - p_{btv}\|_2`."""
    return torch.linalg.vector_norm(pred - target, dim=-1).mean()


def yaw_matrices(c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``(B, 3, 3)`` rotations about the vertical +y axis with cosines ``c`` and sines ``s`` (B,):
    ``[[c, 0, s], [0, 1, 0], [-s, 0, c]]``."""
    zero, one = torch.zeros_like(c), torch.ones_like(c)
    return torch.stack([c, zero, s, zero, one, zero, -s, zero, c], dim=-1).view(-1, 3, 3)


def heading_rotation(x: torch.Tensor, l_hip: int, r_hip: int) -> torch.Tensor:
    """``(B, 3, 3)`` rotations about +y that turn each window's last hip vector to +x.

    With ``(c, s)`` the unit ground-plane direction of ``l_hip - r_hip`` (x, z components) in the
    last frame of ``x`` (B, T, V, 3), ``R = [[c, 0, s], [0, 1, 0], [-s, 0, c]]`` maps it to
    ``(|d|, 0, 0)``. Windows whose hips coincide on the ground plane get the identity."""
    d = x[:, -1, l_hip] - x[:, -1, r_hip]  # (B, 3)
    dx, dz = d[:, 0], d[:, 2]
    n = torch.sqrt(dx * dx + dz * dz)
    ok = n > 1e-6
    c = torch.where(ok, dx / n.clamp_min(1e-6), torch.ones_like(n))
    s = torch.where(ok, dz / n.clamp_min(1e-6), torch.zeros_like(n))
    return yaw_matrices(c, s)


class SpaceTimeForecaster(PoseModel):
    r"""Encoder of space-time separable graph convolutions + temporal convolutional decoder.

    ``channels`` lists the hidden widths; the encoder is ``coords -> channels... -> coords``.
    Subclasses choose the layer kind (``separable``) and whether adjacencies are masked.
    ``residual``: the output is a displacement from the last observed pose,
    :math:`\hat x_{T+k} = x_T + s\, f(x)_k`, with ``s = output_scale`` (default ``1e-3``: the
    network's output unit is the millimetre, so an untrained network, whose output is O(1), starts
    within millimetres of "repeat the last pose" instead of a metre away; in metres a residual
    collapsed to zero velocity, see benchmarks/results/forecast.md). The papers regress
    absolute poses (``residual=False``; ``output_scale`` then defaults to 1).

    ``canonical_heading``: each window is turned about the vertical (+y) axis so that the last
    observed hips (left minus right hip, on the ground plane) point along +x; the forecast is
    made in that frame and turned back. The model is then invariant to the person's heading.
    """

    def __init__(self, skeleton="h36m17", input_frames: int = 10, output_frames: int = 25,
                 channels=(64, 32, 64), num_tcn_layers: int = 4, dropout: float = 0.1,
                 tcn_kernel_size: int = 3, tcn_dropout: float = 0.0, coords: int = 3,
                 separable: bool = False, depth_multiplier: int = 1, sparse: bool = False,
                 residual: bool = False, output_scale: float | None = None,
                 canonical_heading: bool = False):
        super().__init__()
        self.residual = bool(residual)
        self.output_scale = float(output_scale) if output_scale is not None else (1e-3 if self.residual else 1.0)
        if not (self.output_scale > 0 and self.output_scale < float("inf")):
            raise ValueError(f"output_scale must be a positive number, not {output_scale!r}")
        self.canonical_heading = bool(canonical_heading)
        sk = get_skeleton(skeleton)
        self.skeleton = sk
        if self.canonical_heading:
            if "l_hip" not in sk.joints or "r_hip" not in sk.joints:
                raise ValueError(f"canonical_heading needs 'l_hip' and 'r_hip' joints; {sk.name} has none")
            self.hips = (sk.index("l_hip"), sk.index("r_hip"))
        self.input_frames = int(input_frames)
        self.output_frames = int(output_frames)
        self.num_joints = sk.num_joints
        self.coords = int(coords)
        channels = tuple(int(c) for c in channels)
        widths = (self.coords, *channels, self.coords)
        self.encoder = nn.ModuleList(
            SpaceTimeGraphConv(cin, cout, self.input_frames, self.num_joints, dropout=dropout,
                               separable=separable, depth_multiplier=depth_multiplier, sparse=sparse)
            for cin, cout in zip(widths[:-1], widths[1:])
        )
        self.decoder = TemporalConvDecoder(self.input_frames, self.output_frames, num_tcn_layers,
                                           tcn_kernel_size, tcn_dropout)
        self.config = dict(skeleton=sk.name, input_frames=self.input_frames,
                           output_frames=self.output_frames, channels=list(channels),
                           num_tcn_layers=int(num_tcn_layers), dropout=float(dropout),
                           tcn_kernel_size=int(tcn_kernel_size), tcn_dropout=float(tcn_dropout),
                           coords=self.coords, residual=self.residual, output_scale=self.output_scale,
                           canonical_heading=self.canonical_heading)

    # -- forward -------------------------------------------------------------------------

    def _check_input(self, x: torch.Tensor) -> None:
        want = (self.input_frames, self.num_joints, self.coords)
        if x.dim() != 4 or tuple(x.shape[1:]) != want:
            raise ShapeError(f"{type(self).__name__} expects input (B, {want[0]}, {want[1]}, "
                             f"{want[2]}), got {tuple(x.shape)}")

    def heading_rotation(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, 3)`` rotations about +y that turn each window's last hip vector to +x
        (:func:`heading_rotation`)."""
        return heading_rotation(x, *self.hips)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Past poses ``(B, T_in, V, 3)`` -> future poses ``(B, T_out, V, 3)``."""
        if not torch.jit.is_tracing():
            self._check_input(x)
        R = None
        if self.canonical_heading:  # p' = R p for every joint and frame
            R = self.heading_rotation(x)
            x = torch.einsum("bij,btvj->btvi", R, x)
        h = x.permute(0, 3, 1, 2)  # (B, 3, T_in, V)
        for layer in self.encoder:
            h = layer(h)
        h = self.decoder(h.transpose(1, 2))  # frames as channels: (B, T_in, 3, V) -> (B, T_out, 3, V)
        out = h.transpose(2, 3)  # (B, T_out, V, 3)
        if self.output_scale != 1.0:
            out = out * self.output_scale
        if self.residual:  # predict the displacement from the last observed pose
            out = out + x[:, -1:]
        if R is not None:  # back to the input's heading: p = R^T p'
            out = torch.einsum("bji,btvj->btvi", R, out)
        return out

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """MPJPE (metres) between predicted and true future poses, both ``(B, T_out, V, 3)``."""
        if out.shape != target.shape:
            raise ShapeError(f"prediction {tuple(out.shape)} and target {tuple(target.shape)} differ")
        err = torch.linalg.vector_norm(out - target, dim=-1)  # (B, T, V)
        loss = err.mean()
        with torch.no_grad():
            logs = {"mpjpe": loss.detach(), "mpjpe_last_frame": err[:, -1].mean()}
        return loss, logs

    # -- introspection -------------------------------------------------------------------

    def adjacencies(self) -> list[SpaceTimeAdjacency]:
        return [layer.adjacency for layer in self.encoder]

    def num_parameters(self, effective: bool = False) -> int:
        """Number of trainable scalars; with ``effective`` masked adjacency entries are not counted."""
        n = sum(p.numel() for p in self.parameters() if p.requires_grad)
        if effective:
            for adj in self.adjacencies():
                if adj.temporal_mask is not None:
                    n -= int((adj.temporal_mask == 0).sum()) + int((adj.spatial_mask == 0).sum())
        return n
